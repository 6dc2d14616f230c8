"""``scratch.accelerator``: torch's device-agnostic accelerator API, answering "CPU only".

Scripts written for any hardware ask ``torch.accelerator.is_available()`` and fall back to
``"cpu"``; the scratch engine has no accelerator, so they take that branch.
"""

from __future__ import annotations


def is_available() -> bool:
    """Always False: the scratch engine computes in NumPy on the CPU."""
    return False


def current_accelerator(check_available: bool = False):
    """None, as torch answers on a machine without an accelerator."""
    return None


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    return None  # NumPy runs synchronously
