"""Optional dependencies: import one, or say which ``pip install`` brings it.

The wheel installs only the core (NumPy, matplotlib, safetensors, ...); ONNX, TensorBoard,
Optuna and the lab come with extras (``pip install 'neuralab[onnx]'``). A missing one is a
user error with the command to run, never an ImportError traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ValueError):
    """An optional dependency is not installed (a ValueError, so the CLI prints it as one line)."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """``import module``, or raise :class:`MissingExtra` naming ``pip install 'neuralab[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(f"{purpose} needs the Python package {module.split('.')[0]!r}, which is not installed "
                           f"({error}); install it with: pip install 'neuralab[{extra}]'") from error
