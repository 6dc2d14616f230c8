"""Reductions: sum, mean, max/min (with indices), amax/amin, argmax/argmin, var/std,
logsumexp, prod, cumsum, norm, all/any.

``dim`` is an int, a tuple/list of ints or ``None`` (all dims); ``keepdim`` keeps the
reduced dims with length 1.  Backward re-expands the gradient with :func:`_expand`.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import dtypes as _dt
from ..function import Function
from ..tensor import Tensor, _wrap
from ._util import norm_dim, to_float


def _expand(grad, shape, axis, keepdims):
    """Broadcast a reduced gradient back to the input shape: a read-only view of an
    ndarray, or (recorded) an expanded Tensor under create_graph."""
    if isinstance(grad, Tensor):
        if not keepdims and axis is not None:
            grad = grad.reshape(_kept_shape(shape, axis))
        return grad.expand(shape)
    if not keepdims and axis is not None:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad, shape)


def _kept_shape(shape, axis) -> tuple:
    """``shape`` with the reduced ``axis`` (an int or a tuple) kept as 1s."""
    axes = (axis,) if isinstance(axis, int) else axis
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape, axis) -> int:
    if axis is None:
        n = 1
        for s in shape:
            n *= s
        return n
    if isinstance(axis, int):
        return shape[axis]
    n = 1
    for a in axis:
        n *= shape[a]
    return n


# ---------------------------------------------------------------- sum / mean

class Sum(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x, axis, keepdims, dtype):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims, dtype=dtype)

    @staticmethod
    def backward(ctx, grad):
        shape, axis, keepdims = ctx.shape, ctx.axis, ctx.keepdims
        return _expand(grad, shape, axis, keepdims), None, None, None


class Mean(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        # sum / count is exactly what np.mean does for floats, without its Python layer
        return x.sum(axis=axis, keepdims=keepdims) / x.dtype.type(_count(x.shape, axis))

    @staticmethod
    def backward(ctx, grad):
        shape, axis, keepdims = ctx.shape, ctx.axis, ctx.keepdims
        return _expand(grad / _count(shape, axis), shape, axis, keepdims), None, None


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None):  # noqa: A001 - torch.sum
    """Sum over ``dim`` (all dims by default). Integer and bool inputs sum to int64."""
    dim = axis if dim is None else dim
    axis = norm_dim(dim, input._data.ndim)
    np_dtype = _dt.to_np(dtype) if dtype is not None else None
    if np_dtype is None and input._data.dtype.kind in "biu":
        np_dtype = np.int64
    if input._data.dtype.kind != "f" or (np_dtype is not None and np.dtype(np_dtype).kind != "f"):
        return _wrap(np.asarray(input._data.sum(axis=axis, keepdims=keepdim, dtype=np_dtype)))
    return Sum.apply(input, axis, keepdim, np_dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None):
    """Arithmetic mean over ``dim``; floating dtypes only, like torch."""
    dim = axis if dim is None else dim
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_torch_dtype_name(input)}"
        )
    return Mean.apply(input, norm_dim(dim, input._data.ndim), keepdim)


def _torch_dtype_name(t):
    from ..tensor import _torch_name
    return _torch_name(t._data.dtype)


def nansum(input, dim=None, keepdim=False):
    from .elementwise import isnan, where
    return sum(where(isnan(input), 0.0, input), dim, keepdim)


# ---------------------------------------------------------------- max / min

values_indices = {}


def _return_type(name):
    if name not in values_indices:
        cls = namedtuple(name, ["values", "indices"])
        cls.__module__ = "scratch.return_types"
        values_indices[name] = cls
    return values_indices[name]


class ExtremumDim(Function):
    """max/min along one dim: outputs (values, indices); the gradient goes to the index."""

    @staticmethod
    def forward(ctx, x, axis, keepdims, largest):
        idx = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
        idx = np.expand_dims(idx, axis)
        values = np.take_along_axis(x, idx, axis=axis)
        ctx.shape, ctx.dtype, ctx.axis = x.shape, x.dtype, axis
        ctx.save_for_backward(idx)
        if not keepdims:
            values = np.squeeze(values, axis)
            idx = np.squeeze(idx, axis)
        return values, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        shape, dtype, axis = ctx.shape, ctx.dtype, ctx.axis
        (idx,) = ctx.saved
        g = np.zeros(shape, dtype)
        if grad_values.ndim != len(shape):
            grad_values = np.expand_dims(grad_values, axis)
        np.put_along_axis(g, idx, grad_values, axis=axis)
        return g, None, None, None


class Extremum(Function):
    """amax/amin (and max()/min() without dim): ties share the gradient evenly."""

    @staticmethod
    def forward(ctx, x, axis, keepdims, largest):
        out = x.max(axis=axis, keepdims=True) if largest else x.min(axis=axis, keepdims=True)
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        return out if keepdims else (out.reshape(()) if axis is None else np.squeeze(out, axis))

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        axis, keepdims = ctx.axis, ctx.keepdims
        mask = x == out
        count = mask.sum(axis=axis, keepdims=True).astype(x.dtype)
        if not keepdims:
            grad = grad.reshape(out.shape)
        return grad * mask / count, None, None, None


def _extremum(input, dim, keepdim, largest, name):
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        if x.dtype.kind != "f":
            return _wrap(np.asarray(x.max() if largest else x.min()))
        return Extremum.apply(input, None, False, largest)
    if isinstance(dim, Tensor):  # torch.max(a, b) elementwise form
        from .elementwise import maximum, minimum
        return maximum(input, dim) if largest else minimum(input, dim)
    axis = norm_dim(dim, x.ndim)
    if x.ndim == 0:
        return _return_type(name)(input, _wrap(np.zeros((), np.int64)))
    if x.dtype.kind != "f":
        with_grad = False
    else:
        with_grad = True
    if not with_grad:
        idx = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
        vals = np.take_along_axis(x, np.expand_dims(idx, axis), axis)
        if not keepdim:
            vals = np.squeeze(vals, axis)
        else:
            idx = np.expand_dims(idx, axis)
        return _return_type(name)(_wrap(vals), _wrap(idx.astype(np.int64)))
    values, indices = ExtremumDim.apply(input, axis, keepdim, largest)
    return _return_type(name)(values, indices)


def max(input, dim=None, keepdim=False, *, axis=None):  # noqa: A001 - torch.max
    """Max of all elements, or ``(values, indices)`` along ``dim``, or elementwise with a tensor."""
    dim = axis if dim is None else dim
    return _extremum(input, dim, keepdim, True, "max")


def min(input, dim=None, keepdim=False, *, axis=None):  # noqa: A001 - torch.min
    """Min of all elements, or ``(values, indices)`` along ``dim``."""
    dim = axis if dim is None else dim
    return _extremum(input, dim, keepdim, False, "min")


def amax(input, dim=(), keepdim=False):
    axis = norm_dim(dim, input._data.ndim) if dim != () else None
    if input._data.dtype.kind != "f":
        return _wrap(np.asarray(input._data.max(axis=axis, keepdims=keepdim)))
    return Extremum.apply(input, axis, keepdim, True)


def amin(input, dim=(), keepdim=False):
    axis = norm_dim(dim, input._data.ndim) if dim != () else None
    if input._data.dtype.kind != "f":
        return _wrap(np.asarray(input._data.min(axis=axis, keepdims=keepdim)))
    return Extremum.apply(input, axis, keepdim, False)


def aminmax(input, *, dim=None, keepdim=False):
    cls = namedtuple("aminmax", ["min", "max"])
    return cls(amin(input, dim if dim is not None else (), keepdim), amax(input, dim if dim is not None else (), keepdim))


def argmax(input, dim=None, keepdim=False, *, axis=None):
    """Index of the maximum (first occurrence), flattened when ``dim`` is None."""
    dim = axis if dim is None else dim
    x = input._data
    if dim is None:
        idx = np.asarray(np.argmax(x))
        return _wrap(idx.reshape((1,) * x.ndim if keepdim else ()).astype(np.int64))
    axis = norm_dim(dim, x.ndim)
    return _wrap(np.asarray(np.argmax(x, axis=axis, keepdims=keepdim)).astype(np.int64, copy=False))


def argmin(input, dim=None, keepdim=False):
    """Index of the minimum (first occurrence)."""
    x = input._data
    if dim is None:
        idx = np.asarray(np.argmin(x))
        return _wrap(idx.reshape((1,) * x.ndim if keepdim else ()).astype(np.int64))
    axis = norm_dim(dim, x.ndim)
    return _wrap(np.asarray(np.argmin(x, axis=axis, keepdims=keepdim)).astype(np.int64, copy=False))


# ---------------------------------------------------------------- var / std

class Var(Function):
    @staticmethod
    def forward(ctx, x, axis, correction, keepdims):
        mu = x.mean(axis=axis, keepdims=True)
        dev = x - mu
        n = _count(x.shape, axis)
        denom = builtins.max(n - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (dev * dev).sum(axis=axis, keepdims=keepdims) / x.dtype.type(denom)
        ctx.save_for_backward(dev)
        ctx.axis, ctx.keepdims, ctx.denom = axis, keepdims, denom
        return out

    @staticmethod
    def backward(ctx, grad):
        (dev,) = ctx.saved
        axis, keepdims, denom = ctx.axis, ctx.keepdims, ctx.denom
        g = _expand(grad, dev.shape, axis, keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * dev * (2.0 / denom if denom else np.inf), None, None, None


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (``correction=1``)."""
    if isinstance(dim, builtins.bool):  # legacy var(input, unbiased)
        unbiased, dim = dim, None
    input = _float_only(input, "var")
    return Var.apply(input, norm_dim(dim, input._data.ndim), _correction(unbiased, correction), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation: ``sqrt(var)``."""
    from .elementwise import sqrt
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def _float_only(input, name):
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {_torch_dtype_name(input)}")
    return input


# ---------------------------------------------------------------- logsumexp / prod / cumsum

class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        m = x.max(axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        if keepdims:
            return out
        return out.reshape(()) if axis is None else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        axis, keepdims = ctx.axis, ctx.keepdims
        if not keepdims:
            grad = grad.reshape(out.shape)
        return grad * np.exp(x - out), None, None


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(x), dim))`` computed stably."""
    input = to_float(input)
    return LogSumExp.apply(input, norm_dim(dim, input._data.ndim), keepdim)


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdims = axis, keepdims
        if axis is None:
            return np.asarray(x.prod()).reshape((1,) * x.ndim if keepdims else ())
        return x.prod(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        axis, keepdims = ctx.axis, ctx.keepdims
        flat = axis is None
        xa = x.reshape(-1) if flat else x
        ax = 0 if flat else axis
        # product of all other elements = exclusive cumprod from the left times from the right
        ones = np.ones_like(np.take(xa, [0], axis=ax))
        left = np.cumprod(np.concatenate([ones, np.delete(xa, -1, axis=ax)], axis=ax), axis=ax)
        rev = np.flip(xa, ax)
        right = np.flip(np.cumprod(np.concatenate([ones, np.delete(rev, -1, axis=ax)], axis=ax), axis=ax), ax)
        others = left * right
        if flat:
            return (grad.reshape(()) * others).reshape(x.shape), None, None
        if not keepdims:
            grad = np.expand_dims(grad, axis)
        return grad * others, None, None


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over ``dim`` (or all elements)."""
    if dtype is not None:
        input = input.to(dtype)
    x = input._data
    if x.dtype.kind != "f":
        r = x.prod(axis=dim, keepdims=keepdim, dtype=np.int64) if dim is not None else x.prod(dtype=np.int64)
        return _wrap(np.asarray(r))
    axis = None if dim is None else norm_dim(dim, x.ndim)
    return Prod.apply(input, axis, keepdim)


class CumSum(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        a = ctx.axis
        return np.flip(np.cumsum(np.flip(grad, a), axis=a), a), None


def cumsum(input, dim, *, dtype=None):
    """Cumulative sum along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        return _wrap(np.cumsum(input._data, axis=norm_dim(dim, input._data.ndim), dtype=np.int64))
    return CumSum.apply(input, norm_dim(dim, input._data.ndim))


def cumprod(input, dim):
    x = input._data
    if x.dtype.kind != "f":
        return _wrap(np.cumprod(x, axis=norm_dim(dim, x.ndim)))
    # differentiable via logs is unstable; compose as a loop of products over the dim
    from .shape import stack, unbind
    parts = unbind(input, dim)
    out = [parts[0]]
    for p in parts[1:]:
        out.append(out[-1] * p)
    return stack(out, dim)


# ---------------------------------------------------------------- norms

class VectorNorm2(Function):
    @staticmethod
    def forward(ctx, x, axis, keepdims):
        out = np.sqrt((x * x).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(x, out)
        ctx.axis, ctx.keepdims = axis, keepdims
        if keepdims:
            return out
        return out.reshape(()) if axis is None else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved
        axis, keepdims = ctx.axis, ctx.keepdims
        if not keepdims:
            grad = grad.reshape(out.shape)
        safe = np.where(out == 0, 1, out)
        return np.where(out == 0, 0, grad * x / safe), None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (2-norm / Frobenius by default; 1, inf also supported)."""
    from .elementwise import abs as _abs, pow as _pow
    if dtype is not None:
        input = input.to(dtype)
    input = to_float(input)
    axis = norm_dim(dim, input._data.ndim)
    if p in ("fro", 2, 2.0, None):
        return VectorNorm2.apply(input, axis, keepdim)
    if p == 1:
        return sum(_abs(input), dim, keepdim)
    if p in (float("inf"), "inf"):
        return amax(_abs(input), dim if dim is not None else (), keepdim)
    if isinstance(p, (int, float)):
        return _pow(sum(_pow(_abs(input), p), dim, keepdim), 1.0 / p)
    from ..errors import not_in_subset
    raise not_in_subset(f"norm(p={p!r})")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    return norm(x, ord, dim, keepdim, dtype)


# ---------------------------------------------------------------- boolean reductions

def all(input, dim=None, keepdim=False):  # noqa: A001 - torch.all
    axis = norm_dim(dim, input._data.ndim)
    return _wrap(np.asarray(np.all(input._data, axis=axis, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):  # noqa: A001 - torch.any
    axis = norm_dim(dim, input._data.ndim)
    return _wrap(np.asarray(np.any(input._data, axis=axis, keepdims=keepdim)))


def count_nonzero(input, dim=None):
    axis = norm_dim(dim, input._data.ndim)
    return _wrap(np.asarray(np.count_nonzero(input._data, axis=axis)).astype(np.int64))


def median(input, dim=None, keepdim=False):
    """Lower median (torch returns the lower of the two middle values)."""
    from .indexing import sort
    if dim is None:
        flat = input.reshape(-1)
        values, _ = sort(flat)
        return values[(flat._data.size - 1) // 2]
    values, indices = sort(input, dim)
    n = input._data.shape[dim]
    k = (n - 1) // 2
    from .shape import select
    v, i = select(values, dim, k), select(indices, dim, k)
    if keepdim:
        v, i = v.unsqueeze(dim), i.unsqueeze(dim)
    return _return_type("median")(v, i)


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]`` applied ``n``
    times, after joining ``prepend`` / ``append`` on that dim."""
    from .shape import cat, narrow
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = x.shape[dim]
        if length == 0:
            break
        x = narrow(x, dim, 1, length - 1) - narrow(x, dim, 0, length - 1)
    return x
