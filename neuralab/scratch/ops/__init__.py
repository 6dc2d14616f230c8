"""All ops, and their binding as ``Tensor`` methods and operators (``x.sum(1)``, ``a @ b``)."""

from __future__ import annotations

import builtins

import numpy as np

from .. import function as _fn
from ..random import rng as _rng
from ..tensor import Tensor, _wrap
from . import activation, counting, elementwise, indexing, linalg, loss, patches, reduce, shape, unique
from ._util import inplace, promote
from .elementwise import Add, Div, Mul, Sub

_E, _R, _S, _I, _A, _L = elementwise, reduce, shape, indexing, activation, linalg


# ---------------------------------------------------------------- operators (hot: short paths)

def _fast(op):
    """Binary operator with a fast path for same-dtype tensors and float scalars."""
    def forward(self, other):
        if isinstance(other, Tensor):
            if other._data.dtype is self._data.dtype:
                return op.apply(self, other)
        elif type(other) is builtins.float or type(other) is builtins.int:
            kind = self._data.dtype.kind
            if kind == "f" or (type(other) is builtins.int and kind in "iu"):
                return op.apply(self, other)
        a, b = promote(self, other)
        return op.apply(a, b)

    def reflected(self, other):
        if type(other) is builtins.float or type(other) is builtins.int:
            kind = self._data.dtype.kind
            if kind == "f" or (type(other) is builtins.int and kind in "iu"):
                return op.apply(other, self)
        a, b = promote(other, self)
        return op.apply(a, b)
    return forward, reflected


Tensor.__add__, Tensor.__radd__ = _fast(Add)
Tensor.__sub__, Tensor.__rsub__ = _fast(Sub)
Tensor.__mul__, Tensor.__rmul__ = _fast(Mul)


def _truediv(self, other):
    if self._data.dtype.kind == "f":
        if type(other) is builtins.float or type(other) is builtins.int:
            return Div.apply(self, other)
        if isinstance(other, Tensor) and other._data.dtype is self._data.dtype:
            return Div.apply(self, other)
    return _E.div(self, other)


Tensor.__truediv__ = _truediv
Tensor.__rtruediv__ = lambda self, other: _E.div(other, self)
Tensor.__floordiv__ = lambda self, other: _E.floor_divide(self, other)
Tensor.__rfloordiv__ = lambda self, other: _E.floor_divide(other, self)
Tensor.__mod__ = lambda self, other: _E.remainder(self, other)
Tensor.__rmod__ = lambda self, other: _E.remainder(other, self)
Tensor.__pow__ = lambda self, other: _E.pow(self, other)
Tensor.__rpow__ = lambda self, other: _E.pow(other, self)
Tensor.__matmul__ = lambda self, other: _L.matmul(self, other)
Tensor.__rmatmul__ = lambda self, other: _L.matmul(other if isinstance(other, Tensor) else _wrap(np.asarray(other)), self)
Tensor.__neg__ = lambda self: _E.Neg.apply(self) if self._data.dtype.kind != "b" else _bool_neg()
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: _E.abs(self)
Tensor.__invert__ = lambda self: _E.bitwise_not(self)


def _bool_neg():
    raise RuntimeError(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
        "use the `~` or `logical_not()` operator instead."
    )


def _cmp(fn):
    def op(self, other):
        if other is None:
            return False if fn is _E.eq else (True if fn is _E.ne else NotImplemented)
        return fn(self, other)
    return op


Tensor.__eq__ = _cmp(_E.eq)
Tensor.__ne__ = _cmp(_E.ne)
Tensor.__lt__ = _cmp(_E.lt)
Tensor.__le__ = _cmp(_E.le)
Tensor.__gt__ = _cmp(_E.gt)
Tensor.__ge__ = _cmp(_E.ge)
Tensor.__and__ = Tensor.__rand__ = lambda self, other: _E.bitwise_and(self, other)
Tensor.__or__ = Tensor.__ror__ = lambda self, other: _E.bitwise_or(self, other)
Tensor.__xor__ = Tensor.__rxor__ = lambda self, other: _E.bitwise_xor(self, other)

Tensor.__iadd__ = lambda self, other: _E.add_(self, other)
Tensor.__isub__ = lambda self, other: _E.sub_(self, other)
Tensor.__imul__ = lambda self, other: _E.mul_(self, other)
Tensor.__itruediv__ = lambda self, other: _E.div_(self, other)
Tensor.__ifloordiv__ = lambda self, other: inplace(self, _E.floor_divide, other)
Tensor.__imod__ = lambda self, other: inplace(self, _E.remainder, other)
Tensor.__ipow__ = lambda self, other: inplace(self, _E.pow, other)
Tensor.__iand__ = lambda self, other: inplace(self, _E.bitwise_and, other)
Tensor.__ior__ = lambda self, other: inplace(self, _E.bitwise_or, other)

Tensor.__getitem__ = _I.getitem
Tensor.__setitem__ = _I.setitem


# ---------------------------------------------------------------- methods

def _clone(self, *, memory_format=None):
    """A copy that stays in the graph (gradient flows back to ``self``)."""
    return _Clone.apply(self)


class _Clone(_fn.Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy(order="K")

    @staticmethod
    def backward(ctx, grad):
        return grad

    graph_backward = backward


def _zero_(self):
    return _fill_(self, 0)


def _fill_(self, value):
    v = value.item() if isinstance(value, Tensor) else value
    if _fn._mode.enabled and self._rg:
        return inplace(self, lambda t: t * 0 + v)
    self._data.fill(v)
    return self


def _copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        src = _wrap(np.asarray(src))
    if _fn._mode.enabled and (self._rg or src._rg):
        shape = self._data.shape
        dtype = self._data.dtype
        return inplace(self, lambda _t, s: _S.expand(s.to(dtype), shape), src)
    try:
        np.copyto(self._data, src._data, casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match the size of "
            f"tensor b ({src._data.shape[-1] if src._data.ndim else 1}) at non-singleton dimension"
        ) from None
    return self


def _random_fill(self, values):
    if _fn._mode.enabled and self._rg and self._ctx is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    self._data[...] = values
    return self


def _float_draw(self, draw):
    dt = self._data.dtype
    return draw(dt if dt in (np.float32, np.float64) else np.float64)


def _uniform_(self, a=0.0, b=1.0, *, generator=None, from_=None, to=None):
    if from_ is not None:
        a = from_
    if to is not None:
        b = to
    g = _rng(generator)
    u = _float_draw(self, lambda dt: g.random(self._data.shape, dtype=dt))
    return _random_fill(self, a + (b - a) * u)


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    g = _rng(generator)
    z = _float_draw(self, lambda dt: g.standard_normal(self._data.shape, dtype=dt))
    return _random_fill(self, mean + std * z)


def _bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    return _random_fill(self, _rng(generator).random(self._data.shape) < probs)


def _exponential_(self, lambd=1.0, *, generator=None):
    return _random_fill(self, _rng(generator).exponential(1.0 / lambd, self._data.shape))


def _random_(self, low=0, high=None, *, generator=None):
    if high is None:
        low, high = 0, low if low else 2 ** 31
    return _random_fill(self, _rng(generator).integers(low, high, self._data.shape))


def _bernoulli(self, p=None, *, generator=None):
    from ..creation import bernoulli
    return bernoulli(self, p, generator=generator)


def _max_method(self, dim=None, keepdim=False, *, axis=None):
    return _R.max(self, dim, keepdim, axis=axis)


def _min_method(self, dim=None, keepdim=False, *, axis=None):
    return _R.min(self, dim, keepdim, axis=axis)


def _view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (builtins.int, np.integer, tuple, list)):
        return self.to(shape[0])  # view(dtype) -> reinterpret is not supported; cast instead
    return _S.reshape(self, *shape)


def _squeeze(self, dim=None):
    return _S.squeeze(self, dim)


def _split(self, split_size, dim=0):
    return _S.split(self, split_size, dim)


def _expand(self, *sizes):
    return _S.expand(self, *sizes)


def _sum(self, dim=None, keepdim=False, *, dtype=None, axis=None):
    return _R.sum(self, dim, keepdim, dtype=dtype, axis=axis)


def _mean(self, dim=None, keepdim=False, *, dtype=None, axis=None):
    return _R.mean(self, dim, keepdim, dtype=dtype, axis=axis)


METHODS = {
    # arithmetic
    "add": _E.add, "sub": _E.sub, "subtract": _E.sub, "mul": _E.mul, "multiply": _E.mul,
    "div": _E.div, "divide": _E.div, "true_divide": _E.div, "floor_divide": _E.floor_divide,
    "remainder": _E.remainder, "fmod": _E.fmod, "neg": _E.neg, "negative": _E.neg, "pow": _E.pow,
    "square": _E.square, "exp": _E.exp, "log": _E.log, "log2": _E.log2, "log10": _E.log10,
    "log1p": _E.log1p, "expm1": _E.expm1, "sqrt": _E.sqrt, "rsqrt": _E.rsqrt, "abs": _E.abs,
    "absolute": _E.abs, "sin": _E.sin, "cos": _E.cos, "tanh": _E.tanh, "sigmoid": _E.sigmoid,
    "clamp": _E.clamp, "clip": _E.clamp, "clamp_min": _E.clamp_min, "clamp_max": _E.clamp_max,
    "maximum": _E.maximum, "minimum": _E.minimum, "floor": _E.floor, "ceil": _E.ceil,
    "round": _E.round, "trunc": _E.trunc, "sign": _E.sign, "sgn": _E.sign, "frac": _E.frac,
    "reciprocal": _E.reciprocal, "lerp": _E.lerp, "addcmul": _E.addcmul, "addcdiv": _E.addcdiv,
    "where": lambda self, condition, other: _E.where(condition, self, other),
    "eq": _E.eq, "ne": _E.ne, "lt": _E.lt, "le": _E.le, "gt": _E.gt, "ge": _E.ge,
    "less": _E.lt, "greater": _E.gt, "not_equal": _E.ne,
    "logical_and": _E.logical_and, "logical_or": _E.logical_or, "logical_xor": _E.logical_xor,
    "logical_not": _E.logical_not, "bitwise_not": _E.bitwise_not,
    "isfinite": _E.isfinite, "isnan": _E.isnan, "isinf": _E.isinf, "isclose": _E.isclose,
    "allclose": _E.allclose, "equal": _E.equal, "nan_to_num": _E.nan_to_num, "erf": _A.erf,
    # in place
    "add_": _E.add_, "sub_": _E.sub_, "mul_": _E.mul_, "div_": _E.div_, "pow_": _E.pow_,
    "clamp_": _E.clamp_, "clip_": _E.clamp_, "zero_": _zero_, "fill_": _fill_, "copy_": _copy_,
    "masked_fill_": _I.masked_fill_, "relu_": _A.relu_, "uniform_": _uniform_, "normal_": _normal_,
    "bernoulli_": _bernoulli_, "exponential_": _exponential_, "random_": _random_,
    "bernoulli": _bernoulli,
    # reductions
    "sum": _sum, "mean": _mean, "max": _max_method, "min": _min_method, "amax": _R.amax,
    "amin": _R.amin, "argmax": _R.argmax, "argmin": _R.argmin, "var": _R.var, "std": _R.std,
    "logsumexp": _R.logsumexp, "prod": _R.prod, "cumsum": _R.cumsum, "cumprod": _R.cumprod,
    "norm": _R.norm, "all": _R.all, "any": _R.any, "nansum": _R.nansum, "median": _R.median,
    "count_nonzero": _R.count_nonzero,
    # shape
    "reshape": _S.reshape, "view": _view, "view_as": _S.view_as, "reshape_as": _S.reshape_as,
    "flatten": _S.flatten, "unflatten": _S.unflatten, "squeeze": _squeeze, "unsqueeze": _S.unsqueeze,
    "transpose": _S.transpose, "swapaxes": _S.transpose, "swapdims": _S.transpose,
    "permute": _S.permute, "t": _S.t, "movedim": _S.movedim, "moveaxis": _S.movedim,
    "expand": _expand, "expand_as": _S.expand_as, "broadcast_to": _S.broadcast_to,
    "repeat": _S.repeat, "tile": _S.tile, "repeat_interleave": _S.repeat_interleave,
    "split": _split, "chunk": _S.chunk, "unbind": _S.unbind, "tensor_split": _S.tensor_split,
    "flip": _S.flip, "fliplr": _S.fliplr, "flipud": _S.flipud, "roll": _S.roll,
    "narrow": _S.narrow, "select": _S.select,
    # indexing
    "masked_fill": _I.masked_fill, "masked_select": _I.masked_select, "gather": _I.gather,
    "scatter": _I.scatter, "scatter_add": _I.scatter_add, "index_select": _I.index_select,
    "tril": _I.tril, "triu": _I.triu, "diag": _I.diag, "diagonal": _I.diagonal, "trace": _I.trace,
    "sort": _I.sort, "argsort": _I.argsort, "topk": _I.topk, "nonzero": _I.nonzero,
    "take_along_dim": _I.take_along_dim, "unfold": patches.tensor_unfold, "diff": _R.diff,
    "bincount": counting.bincount, "histc": counting.histc, "unique": unique.unique, "unique_consecutive": unique.unique_consecutive,
    # linear algebra
    "matmul": _L.matmul, "mm": _L.mm, "bmm": _L.bmm, "mv": _L.mv, "dot": _L.dot, "outer": _L.outer,
    # activations
    "relu": _A.relu, "softmax": _A.softmax, "log_softmax": _A.log_softmax,
    # copies
    "clone": _clone,
}

for _name, _f in METHODS.items():
    setattr(Tensor, _name, _f)
for _name, _f in _E.INPLACE_UNARY.items():
    setattr(Tensor, _name + "_", _f)

Tensor.T = property(_S.T)
Tensor.mT = property(_S.mT)
Tensor.H = property(_S.T)
Tensor.mH = property(_S.mT)
