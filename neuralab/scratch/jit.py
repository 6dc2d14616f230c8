"""``scratch.jit``: TorchScript is refused; the probes scripts use answer "not scripting"."""

from __future__ import annotations

from .errors import not_in_subset

_WHY = ("TorchScript compiles a model for torch's runtime; the scratch engine runs Python "
        "eagerly, so call the model directly (torch.compile is accepted as the identity)")


def script(obj=None, *args, **kwargs):
    raise not_in_subset("torch.jit.script", _WHY)


def trace(func=None, *args, **kwargs):
    raise not_in_subset("torch.jit.trace", _WHY)


def load(f, *args, **kwargs):
    raise not_in_subset("torch.jit.load", "TorchScript archives need torch; torch.load reads checkpoints")


def save(m, f, *args, **kwargs):
    raise not_in_subset("torch.jit.save", "use torch.save(model.state_dict(), path)")


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.jit.{name}", _WHY)
