"""neuralab: train, evaluate, sample and verify neural networks from the command line.

This package is the command-line face: it parses, shows and calls public functions; no
training logic lives here. ``neuralab --help`` prints the first paragraph of this docstring.

Each sub-command lives in its own module exposing ``register(subparsers)``,
which adds a parser and sets ``func(args) -> int`` on it.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys

from neuralab.cli import failures

COMMAND_MODULES = ("train", "evaluate", "recipes", "data", "demo")
COMMAND_MODULES += ("sample", "lessons")
COMMAND_MODULES += ("lab",)
COMMAND_MODULES += ("export", "predict")
COMMAND_MODULES += ("tune",)
COMMAND_MODULES += ("board", "lr_find")


class SuggestingParser(argparse.ArgumentParser):
    """An ArgumentParser whose "unrecognized arguments" error names the closest option.

    Prefix abbreviations are off: ``--epoch`` is an error that suggests ``--epochs``
    rather than a silent guess.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # noqa: D401 - argparse hook
        if message.startswith("unrecognized arguments:"):
            known = sorted(_all_option_strings(self))
            hints = []
            for word in message.split(":", 1)[1].split():
                if word.startswith("-"):
                    flag = word.split("=")[0]
                    if flag in known:  # an option, but of other commands: say which, not "did you mean" itself
                        owners = ", ".join(f"neuralab {name}" for name in _commands_with(self, flag))
                        hints.append(f"{flag} belongs to {owners}")
                        continue
                    close = difflib.get_close_matches(flag, known, n=1)
                    if close:
                        hints.append(f"{word} -> did you mean {close[0]}?")
            if hints:
                message += " (" + "; ".join(hints) + ")"
        super().error(message)


def _all_option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of ``parser`` and of its sub-commands, for suggestions."""
    options = set()
    for action in parser._actions:
        options.update(action.option_strings)
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                options |= _all_option_strings(child)
    return options


def _commands_with(parser: argparse.ArgumentParser, flag: str) -> list[str]:
    """The sub-commands of ``parser`` that take the option ``flag``."""
    return [name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name, child in action.choices.items() if flag in _all_option_strings(child)]


def help_summary() -> str:
    """The first paragraph of this module's docstring on one line (argparse rewraps it)."""
    return " ".join(__doc__.split("\n\n", 1)[0].split())


def build_parser() -> argparse.ArgumentParser:
    parser = SuggestingParser(prog="neuralab", description=help_summary())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=SuggestingParser)
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"neuralab.cli.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with failures.sigterm_as_interrupt():
            return int(args.func(args) or 0)
    except failures.USER_ERRORS as error:  # expected failures: one clear line, no traceback
        print(failures.error_line(args.command, error), file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:  # Ctrl-C or SIGTERM: the run has recorded itself as interrupted
        message, code = failures.interrupted_line(args.command, interrupt)
        print(message, file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
