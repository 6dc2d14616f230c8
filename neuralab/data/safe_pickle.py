"""A pickle reader for untrusted files that can only rebuild NumPy arrays.

Unpickling runs whatever callable a pickle names, so a plain ``pickle.load`` on a
downloaded file can run ``os.system``. :class:`ArrayUnpickler` resolves only the
globals NumPy arrays need (plus tuples, lists, numbers and strings, which need none)
and raises :class:`pickle.UnpicklingError` naming any other global *before* anything
is called.
"""

from __future__ import annotations

import importlib
import io
import pickle
from typing import IO, Any

import numpy as np


def _reconstruct():
    # numpy>=2 moved numpy.core to numpy._core; importing numpy.core warns there.
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._reconstruct
        except (ImportError, AttributeError):
            continue
    raise ImportError("cannot find numpy's multiarray._reconstruct")


# (module, name) -> object; both spellings of _reconstruct map to the same function.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): lambda: np.ndarray,
    ("numpy", "dtype"): lambda: np.dtype,
}


class ArrayUnpickler(pickle.Unpickler):
    """Unpickler admitting only ``multiarray._reconstruct``, ``numpy.ndarray`` and
    ``numpy.dtype`` as globals."""

    def find_class(self, module: str, name: str) -> Any:
        factory = _ALLOWED.get((module, name))
        if factory is None:
            raise pickle.UnpicklingError(
                f"refused global {module}.{name}: this reader only rebuilds NumPy arrays "
                "(the file is not a plain array pickle, or it is malicious)"
            )
        return factory()


def load(file: IO[bytes], encoding: str = "latin1") -> Any:
    """Read one pickle from ``file`` with :class:`ArrayUnpickler`.

    ``encoding="latin1"`` reads Python 2 pickles (such as ``mnist.pkl.gz``), whose
    array buffers are byte strings.
    """
    return ArrayUnpickler(file, encoding=encoding).load()


def loads(data: bytes, encoding: str = "latin1") -> Any:
    """:func:`load` from bytes."""
    return load(io.BytesIO(data), encoding=encoding)
