"""The one error type of the playgrounds."""


class PlaygroundError(ValueError):
    """A bad setting or upload.

    The message names what was expected and what came, in the user's terms
    (``networkShape: expected at most 8 hidden layers, got 9``), so a face can show
    it as it is, without a traceback.
    """
