"""``scratch.utils``: ``data`` (Dataset, DataLoader, ...)."""

from . import data  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    from ..errors import not_in_subset
    raise not_in_subset(f"torch.utils.{name}")
