"""Small helpers shared by the op files: operand promotion, dims, in-place plumbing."""

from __future__ import annotations

import builtins

import numpy as np

from .. import dtypes as _dt
from .. import function as _fn
from ..tensor import Tensor, _cast, _torch_name, _wrap


def shape_of(x) -> tuple:
    """Shape of an array operand, ``()`` for a Python scalar."""
    return x.shape if type(x) is np.ndarray else ()


def as_tensor_operand(x):
    """Tensor stays; ndarray becomes a Tensor; NumPy scalars become Python scalars."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (builtins.int, builtins.float, builtins.bool)):
        return x
    if isinstance(x, (list, tuple)):
        from ..creation import tensor
        return tensor(x)
    raise TypeError(f"unsupported operand type: {type(x).__name__}")


_LITERALS: dict = {}


def literal(value, dtype) -> np.ndarray:
    """The constant ``value`` of a rule (0, 1, 2...) as a read-only 0-dim array of ``dtype``.

    NumPy converts a Python-scalar operand on every ufunc call, which on a 16-element
    array costs about as much as the arithmetic (``np.multiply(a, 0.5)`` ~0.85-1.9 us,
    with a 0-dim array ~0.55-0.87 us); a 0-dim array of the other operand's dtype gives the
    same bits, since NumPy casts a Python scalar to that dtype first (NEP 50).  Kept per
    (value, dtype): callers pass literals, so the cache stays a handful of entries.
    """
    key = (value, dtype)
    a = _LITERALS.get(key)
    if a is None:
        a = _LITERALS[key] = np.array(value, dtype=dtype)
        a.flags.writeable = False
    return a


def promote(a, b):
    """Apply PyTorch's type promotion to a binary op's operands.

    Returns (a, b) where Tensors share one dtype (cast differentiably if needed) and
    Python scalars stay scalars (NumPy 2 keeps the array's dtype for them, as torch does).
    """
    a = as_tensor_operand(a)
    b = as_tensor_operand(b)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        r = _dt.result_type(a, b)
        if da != r:
            a = _cast(a, r)
        if db != r:
            b = _cast(b, r)
        return a, b
    if ta or tb:
        t, s = (a, b) if ta else (b, a)
        if isinstance(s, builtins.float) and t._data.dtype.kind != "f":
            t = _cast(t, _dt.default_np())
        elif isinstance(s, builtins.bool) or isinstance(s, builtins.int):
            if t._data.dtype.kind == "b" and not isinstance(s, builtins.bool):
                t = _cast(t, np.int64)
        return (t, s) if ta else (s, t)
    from ..creation import tensor
    return tensor(a), b


def promote_many(tensors) -> list:
    """Promote a list of tensors (``cat``/``stack`` inputs) to one dtype."""
    tensors = [as_tensor_operand(t) for t in tensors]
    tensors = [t if isinstance(t, Tensor) else _wrap(np.asarray(t)) for t in tensors]
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return tensors
    r = _dt.result_type(*tensors)
    return [t if t._data.dtype == r else _cast(t, r) for t in tensors]


def to_float(t: Tensor) -> Tensor:
    """Cast integer/bool tensors to the default float dtype (true division, mean, ...)."""
    if t._data.dtype.kind == "f":
        return t
    return _cast(t, _dt.default_np())


def norm_dim(dim, ndim: int):
    """Normalise a ``dim`` argument (int, tuple, list or None) to NumPy's ``axis``."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        return tuple(_one_dim(d, ndim) for d in dim)
    return _one_dim(dim, ndim)


def _one_dim(d, ndim: int) -> int:
    d = builtins.int(d)
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n if ndim else 0


def is_tracked(*tensors) -> bool:
    return _fn._mode.enabled and any(isinstance(t, Tensor) and t._rg for t in tensors)


def check_leaf_inplace(t: Tensor) -> None:
    if t._rg and t._ctx is None and _fn._mode.enabled:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def check_cast(result_dtype, target_dtype) -> None:
    cat = {"b": 0, "i": 1, "u": 1, "f": 2}
    if cat.get(np.dtype(result_dtype).kind, 3) > cat.get(np.dtype(target_dtype).kind, 3):
        raise RuntimeError(
            f"result type {_torch_name(result_dtype)} can't be cast to the desired output type "
            f"{_torch_name(target_dtype)}"
        )


def rebind(t: Tensor, result: Tensor) -> Tensor:
    """Make ``t`` become ``result`` (graph-tracked in-place op); returns ``t``."""
    if result._data.shape != t._data.shape:
        raise RuntimeError(
            f"output with shape {list(t._data.shape)} doesn't match the broadcast shape {list(result._data.shape)}"
        )
    if result._data.dtype != t._data.dtype:
        check_cast(result._data.dtype, t._data.dtype)
        result = _cast(result, t._data.dtype)
    t._data = result._data
    t._ctx = result._ctx
    t._rg = result._rg
    if result._ctx is not None and result._ctx.nout != 1:
        t._oidx = getattr(result, "_oidx", 0)
    return t


def inplace(t: Tensor, compute, *others) -> Tensor:
    """Generic in-place op: ``compute(t_now, *others)`` gives the out-of-place result.

    Untracked: the result is written into ``t``'s array (views and shared NumPy memory
    see it).  Tracked by autograd: ``t`` is rebound to the new graph node instead, so
    arrays saved by earlier nodes stay intact.
    """
    if is_tracked(t, *others):
        check_leaf_inplace(t)
        return rebind(t, compute(t, *others))
    with _fn.no_grad():
        result = compute(_wrap(t._data), *others)
    check_cast(result._data.dtype, t._data.dtype)
    try:
        np.copyto(t._data, result._data, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"output with shape {list(t._data.shape)} doesn't match the broadcast shape {list(result._data.shape)}"
        ) from None
    return t


def inplace_ufunc(t: Tensor, ufunc, other, compute) -> Tensor:
    """Fast in-place binary op with a NumPy ufunc (``+=``, ``add_`` ...)."""
    if _fn._mode.enabled and (t._rg or (isinstance(other, Tensor) and other._rg)):
        check_leaf_inplace(t)
        return rebind(t, compute(t, other))
    o = other._data if isinstance(other, Tensor) else other
    if isinstance(o, (list, tuple)):
        o = np.asarray(o)
    target = t._data.dtype
    od = getattr(o, "dtype", None)
    if od is not None and od != target:
        check_cast(_dt.promote_types(target, od), target)
    elif isinstance(o, builtins.float) and target.kind != "f":
        check_cast(np.float32, target)
    try:
        ufunc(t._data, o, out=t._data, casting="unsafe")
    except ValueError as error:
        raise RuntimeError(
            f"output with shape {list(t._data.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(t._data.shape, np.shape(o)))}"
        ) from error
    return t
