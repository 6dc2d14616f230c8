"""``scratch.cuda``: present so capability checks work; the scratch engine has no GPU."""

from __future__ import annotations

from .errors import not_in_subset


def is_available() -> bool:
    """Always False: the scratch engine runs on the CPU only."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed) -> None:
    return None


def manual_seed_all(seed) -> None:
    return None


def synchronize(device=None) -> None:
    return None


def empty_cache() -> None:
    return None


def is_bf16_supported(*args, **kwargs) -> bool:
    return False


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.cuda.{name}", "CUDA is not available in the scratch engine")
