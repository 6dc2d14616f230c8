"""The two engines behind one API: ``neuralab.scratch`` and ``torch``.

Models receive the engine module ``T`` and use only the API subset both share
(``T.nn``, ``T.nn.functional``, ``T.optim``, ``T.tensor``, ``T.no_grad`` ...).
Engine-specific features (devices; thread control) are asked for through :func:`capabilities`.
"""

from __future__ import annotations

import difflib
import importlib
from types import ModuleType

from neuralab.extras import require

ENGINES = ("torch", "scratch")


def get(name: str) -> ModuleType:
    """Return the engine module for ``name`` ("torch" or "scratch")."""
    if name not in ENGINES:
        hint = difflib.get_close_matches(name, ENGINES, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"unknown engine {name!r}: expected one of {ENGINES}{suggestion}")
    if name == "scratch":
        return importlib.import_module("neuralab.scratch")
    # torch is the `torch` extra; `--engine scratch` trains every recipe without it
    return require("torch", "torch", "the torch engine", "or use --engine scratch, which needs NumPy only")


def name_of(T: ModuleType) -> str:
    """The engine name of a module returned by :func:`get`."""
    return "scratch" if T.__name__.startswith("neuralab.scratch") else "torch"


def capabilities(T: ModuleType) -> dict[str, bool]:
    """What the engine can do beyond the shared API subset."""
    is_torch = name_of(T) == "torch"
    return {
        "cuda": bool(is_torch and T.cuda.is_available()),
        "mps": bool(is_torch and getattr(T.backends, "mps", None) and T.backends.mps.is_available()),
        # scratch: NumPy's BLAS threads, limited through threadpoolctl when it is installed
        "threads": bool(is_torch or getattr(T, "thread_control_available", lambda: False)()),
    }


def resolve_device(T: ModuleType, requested: str = "auto") -> str:
    """Pick a device string: "auto" means cuda when present, else cpu."""
    caps = capabilities(T)
    if requested == "auto":
        return "cuda" if caps["cuda"] else "cpu"
    if requested != "cpu" and name_of(T) == "scratch":
        raise ValueError(f"the scratch engine runs on the cpu only; got device {requested!r}")
    if name_of(T) == "torch":
        try:
            T.device(requested)
        except (RuntimeError, TypeError):  # torch's message lists two dozen backends; name the usual ones
            raise ValueError(f"device {requested!r} is not a device name: expected auto, cpu, cuda, cuda:N or mps") from None
    if requested.startswith("cuda") and not caps["cuda"]:
        raise ValueError(f"device {requested!r} requested but the torch engine sees no CUDA device here; use --device cpu")
    return requested


def setup(name: str, *, threads: int | None = None, device: str = "auto") -> tuple[ModuleType, str]:
    """The engine ``name`` with ``threads`` applied (when it can limit them) and its resolved device."""
    T = get(name)
    if threads and capabilities(T)["threads"]:
        T.set_num_threads(int(threads))
    return T, resolve_device(T, device)
