"""The one error type for PyTorch features outside the scratch engine's subset."""

from __future__ import annotations


class NotInSubsetError(NotImplementedError, AttributeError):
    """A PyTorch feature the scratch engine does not implement.

    It is a ``NotImplementedError`` (what callers should catch) and an ``AttributeError``
    so that ``hasattr(T, "compile")`` / ``getattr(T, name, None)`` capability probes keep
    working and simply answer "absent".
    """


def not_in_subset(feature: str, hint: str = "") -> NotInSubsetError:
    """Build the error for ``feature`` (e.g. "torch.fft"), with an optional hint."""
    message = f"{feature} is not implemented in the scratch engine (it covers a subset of PyTorch)"
    if hint:
        message += f"; {hint}"
    return NotInSubsetError(message)
