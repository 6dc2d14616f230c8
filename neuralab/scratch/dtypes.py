"""dtype objects (``float32``, ``int64``, ...) and PyTorch's type-promotion rules.

A :class:`dtype` wraps one NumPy dtype.  Promotion follows PyTorch, not NumPy:
int + float gives the float type (``int64 + float32 -> float32``), a Python float
scalar mixed with an integer tensor gives the default dtype, and 0-dim tensors do
not up-promote dimensioned tensors of the same category.
"""

from __future__ import annotations

import builtins

import numpy as np


class dtype:
    """A tensor element type, e.g. ``scratch.float32`` (mirrors ``torch.dtype``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "is_complex")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self.is_complex = False

    def __repr__(self) -> str:
        return f"scratch.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        return self


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

# torch's aliases
half = float16
float = float32  # noqa: A001 - mirrors torch.float
double = float64
short = int16
int = int32  # noqa: A001 - mirrors torch.int
long = int64

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}

_default = [float32]


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The scratch dtype of a NumPy dtype (raises TypeError for unsupported ones)."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        try:
            return _FROM_NP[np.dtype(np_dtype)]
        except (KeyError, TypeError):
            raise TypeError(
                f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
                "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
            ) from None


def to_np(d) -> np.dtype:
    """NumPy dtype of a scratch dtype, a NumPy dtype/type, or a name ("float32")."""
    if isinstance(d, dtype):
        return d.np
    if isinstance(d, str):
        return _NAMES[d.replace("torch.", "").replace("scratch.", "")].np
    if d is builtins.float:
        return _default[0].np
    if d is builtins.int:
        return np.dtype(np.int64)
    if d is builtins.bool:
        return np.dtype(np.bool_)
    return np.dtype(d)


def get_default_dtype() -> dtype:
    """The default floating dtype (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the default floating dtype: float32 or float64."""
    d = from_numpy_dtype(to_np(d))
    if d not in (float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def default_np() -> np.dtype:
    return _default[0].np


# ---------------------------------------------------------------- promotion

def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's ``promote_types`` on NumPy dtypes: a float beats any int or bool."""
    if a == b:
        return a
    fa, fb = a.kind == "f", b.kind == "f"
    if fa and not fb:
        return a
    if fb and not fa:
        return b
    return np.promote_types(a, b)


def _category(k: str) -> int:
    return 0 if k == "b" else (2 if k == "f" else 1)


def result_type(*operands) -> np.dtype:
    """Result dtype of an elementwise op on Tensors / arrays / Python scalars (torch rules).

    Three priority levels as in ATen: dimensioned tensors, 0-dim tensors, Python numbers.
    A lower level only matters if it is of a higher category (bool < int < float).
    """
    dim = zero = wrapped = None
    for x in operands:
        arr = getattr(x, "_data", None)
        if arr is None and isinstance(x, np.ndarray):
            arr = x
        if arr is not None:
            d = arr.dtype
            if arr.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        elif isinstance(x, (bool, np.bool_)):
            d = np.dtype(np.bool_)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif isinstance(x, (builtins.int, np.integer)):
            d = np.dtype(np.int64)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif isinstance(x, (builtins.float, np.floating)):
            d = _default[0].np
            wrapped = d if wrapped is None else promote_types(wrapped, d)
        elif x is None:
            continue
        else:
            raise TypeError(f"unsupported operand type {type(x).__name__}")
    return _combine(dim, _combine(zero, wrapped))


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _category(higher.kind), _category(lower.kind)
    if cl > ch:
        return promote_types(higher, lower)
    return higher
