"""Optional dependencies: import one, or say which ``pip install`` brings it.

The wheel installs only the core (NumPy, matplotlib, tqdm, safetensors: the scratch engine
trains every recipe with it); torch, the lab, ONNX, TensorBoard, Optuna, scikit-learn and the
lessons' packages come with extras (``pip install 'neuralab[onnx]'``). A missing one is a
user error with the command to run, never an ImportError traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingExtra(ValueError):
    """An optional dependency is not installed (a ValueError, so the CLI prints it as one line)."""


def require(module: str, extra: str, purpose: str, alternative: str = "") -> ModuleType:
    """``import module``, or raise :class:`MissingExtra` naming ``pip install 'neuralab[extra]'``
    (and ``alternative``, a way that needs no install, when there is one)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise missing_extra(error, extra, purpose, alternative) from error


def missing_extra(error: ImportError, extra: str, purpose: str, alternative: str = "") -> MissingExtra:
    """The :class:`MissingExtra` for an ``ImportError`` already caught (an import inside a module
    that needs the extra): ``raise missing_extra(error, "lab", "`neuralab lab`") from error``."""
    package = (getattr(error, "name", None) or str(error)).split(".")[0]
    other = f" ({alternative})" if alternative else ""
    return MissingExtra(f"{purpose} needs the Python package {package!r}, which is not installed "
                        f"({error}); install it with: pip install 'neuralab[{extra}]'{other}")
