"""Elementwise ops: arithmetic, powers, exp/log, clamp, where, comparisons.

Each op is a Function (forward and backward side by side) plus the public function
with PyTorch's name and arguments.  Binary ops broadcast; backward un-broadcasts
with :func:`sum_to`.  Backward methods never modify the incoming ``grad`` in place.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..function import Function, constant, sum_to
from ..tensor import Tensor, _wrap
from ._util import as_tensor_operand, inplace, inplace_ufunc, literal, promote, shape_of, to_float


# ---------------------------------------------------------------- arithmetic

class Add(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a + b

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (sum_to(grad, sa) if need[0] else None, sum_to(grad, sb) if need[1] else None)


class Sub(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        sa, sb = ctx.shapes
        return (sum_to(grad, sa) if need[0] else None, sum_to(-grad, sb) if need[1] else None)


class Mul(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        return (sum_to(grad * ctx.input(1, b), shape_of(a)) if need[0] else None,
                sum_to(grad * ctx.input(0, a), shape_of(b)) if need[1] else None)


class Div(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        bt = ctx.input(1, b)
        ga = sum_to(grad / bt, shape_of(a)) if need[0] else None
        gb = sum_to(-grad * ctx.input(0, a) / (bt * bt), shape_of(b)) if need[1] else None
        return ga, gb


class Neg(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        return np.negative(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class MaskedGrad(Function):
    """``grad * mask``: the graph_backward of a piecewise-linear op (relu, leaky_relu, clamp, abs).

    The mask is constant, but the result still depends on the op's input ``x`` with a zero
    derivative (as in torch's ``threshold_backward``), so a second backward hands ``x``'s
    producers zeros rather than nothing (Adam then still steps those parameters, as in torch).
    """

    @staticmethod
    def forward(ctx, grad, x, mask):
        ctx.mask = mask
        ctx.save_for_backward(x)
        return grad * mask

    @staticmethod
    def backward(ctx, g):
        need = ctx.needs_input_grad
        x = ctx.saved[0]
        return (g * ctx.mask if need[0] else None, np.zeros(x.shape, x.dtype) if need[1] else None, None)

    @staticmethod
    def graph_backward(ctx, g):
        need = ctx.needs_input_grad
        x = ctx.saved[0]
        return (MaskedGrad.apply(g, ctx.input_tensor(1, x), ctx.mask) if need[0] else None,
                constant(np.zeros(x.shape, x.dtype)) if need[1] else None, None)


def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other`` with broadcasting and torch's type promotion."""
    _no_out(out)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    return Add.apply(a, b)


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``."""
    _no_out(out)
    if alpha != 1:
        other = mul(other, alpha)
    a, b = promote(input, other)
    return Sub.apply(a, b)


subtract = sub


def mul(input, other, *, out=None):
    """Elementwise product."""
    _no_out(out)
    a, b = promote(input, other)
    return Mul.apply(a, b)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers give the default float dtype); or 'trunc' / 'floor' rounding."""
    _no_out(out)
    if rounding_mode is not None:
        a, b = promote(input, other)
        ad = a._data if isinstance(a, Tensor) else a
        bd = b._data if isinstance(b, Tensor) else b
        if rounding_mode == "floor":
            res = np.floor_divide(ad, bd)
        elif rounding_mode == "trunc":
            res = np.trunc(np.true_divide(ad, bd)) if np.result_type(ad, bd).kind == "f" else _trunc_int_div(ad, bd)
        else:
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
        return _wrap(np.asarray(res))
    a, b = promote(input, other)
    if isinstance(a, Tensor) and a._data.dtype.kind != "f":
        a = to_float(a)
        if isinstance(b, Tensor):
            b = to_float(b)
    elif isinstance(b, Tensor) and b._data.dtype.kind != "f":
        b = to_float(b)
    return Div.apply(a, b)


divide = true_divide = div


def _trunc_int_div(a, b):
    q = np.floor_divide(a, b)
    r = np.remainder(a, b)
    return q + ((r != 0) & ((np.sign(a) * np.sign(b)) < 0))


def floor_divide(input, other):
    """Floor division (backward through it raises, as in torch)."""
    a, b = promote(input, other)
    if isinstance(a, Tensor) and a._rg and a._data.dtype.kind == "f":
        bd = b._data if isinstance(b, Tensor) else b
        return FloorDivide.apply(a, bd)
    return div(a, b, rounding_mode="floor")


class FloorDivide(Function):
    """Recorded so that backward fails as in torch (the derivative is not defined)."""

    @staticmethod
    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(Function):
    """a - b * floor(a / b) (Python's %), or a - b * trunc(a / b) for fmod."""

    @staticmethod
    def forward(ctx, a, b, c_style):
        ctx.save_for_backward(a, b)
        ctx.sa, ctx.sb, ctx.c_style = shape_of(a), shape_of(b), c_style
        return np.fmod(a, b) if c_style else np.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        sa, sb, c_style = ctx.sa, ctx.sb, ctx.c_style
        need = ctx.needs_input_grad
        ga = sum_to(grad, sa) if need[0] else None
        gb = None
        if need[1]:
            q = np.trunc(a / b) if c_style else np.floor(a / b)
            gb = sum_to(-grad * q, sb)
        return ga, gb, None


def remainder(input, other):
    """Python-style modulus (sign of the divisor)."""
    a, b = promote(input, other)
    if not isinstance(a, Tensor):
        a = as_tensor_operand(np.asarray(a))
    return Remainder.apply(a, b, False)


def fmod(input, other):
    """C-style modulus (sign of the dividend)."""
    a, b = promote(input, other)
    return Remainder.apply(a, b, True)


def neg(input):
    """``-input``."""
    return Neg.apply(input)


negative = neg


def _no_out(out):
    if out is not None:
        from ..errors import not_in_subset
        raise not_in_subset("the out= argument")


# ---------------------------------------------------------------- powers

class PowScalar(Function):
    """x ** p for a Python number p."""

    tensor_safe = True

    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        if p == 2:
            return x * x
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(x, p)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        p = ctx.p
        if p == 0:
            return ctx.const(np.zeros_like(x)), None  # zeros even where grad is inf/nan (torch)
        xt = ctx.input(0, x)
        if p == 2:
            return grad * (2 * xt), None
        return grad * (p * xt ** (p - 1)), None


class Pow(Function):
    """a ** b for two tensors."""

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved
        need = ctx.needs_input_grad
        ga = gb = None
        if need[0]:
            ga = sum_to(grad * (b * np.power(a, b - 1)), shape_of(a))
        if need[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                term = out * np.log(a)
            term = np.where((a == 0) & (b >= 0), 0, term)
            gb = sum_to(grad * term, shape_of(b))
        return ga, gb


class RPow(Function):
    """base ** x for a Python number base."""

    tensor_safe = True

    @staticmethod
    def forward(ctx, x, base):
        out = np.power(np.asarray(base, dtype=x.dtype), x)
        ctx.save_for_backward(out)
        ctx.base = base
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.saved[0]
        if ctx.base == 0:
            return ctx.const(np.zeros_like(out)), None
        return grad * ctx.output(out) * math.log(ctx.base), None


def pow(input, exponent):  # noqa: A001 - torch.pow
    """``input ** exponent`` (either may be a number)."""
    if not isinstance(input, Tensor):
        base = as_tensor_operand(input)
        if isinstance(base, Tensor):
            return pow(base, exponent)
        exponent = as_tensor_operand(exponent)
        if isinstance(base, builtins.float) and exponent._data.dtype.kind != "f":
            exponent = to_float(exponent)
        return RPow.apply(exponent, base)
    exponent = as_tensor_operand(exponent)
    if isinstance(exponent, Tensor):
        a, b = promote(input, exponent)
        return Pow.apply(a, b)
    if isinstance(exponent, builtins.float) and input._data.dtype.kind != "f":
        input = to_float(input)
    if input._data.dtype.kind in "iu" and isinstance(exponent, builtins.int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return PowScalar.apply(input, exponent)


def square(input):
    return pow(input, 2)


def float_power(input, exponent):
    return pow(as_tensor_operand(input).to(np.float64) if isinstance(input, Tensor) else input, exponent)


# ---------------------------------------------------------------- exp / log / roots

class Exp(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.output(ctx.saved[0])


class Log(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):  # torch returns nan/-inf silently
            return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.input(0, ctx.saved[0])


class Log2(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved[0] * math.log(2.0))


class Log10(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.saved[0] * math.log(10.0))


class Log1p(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.input(0, ctx.saved[0]) + 1)


class Expm1(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved[0] + 1)


class Sqrt(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.output(ctx.saved[0]))


class Rsqrt(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.output(ctx.saved[0])
        return grad * (-0.5 * out * out * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * np.sign(ctx.saved[0])

    @staticmethod
    def graph_backward(ctx, grad):
        (x,) = ctx.saved
        return MaskedGrad.apply(grad, ctx.input_tensor(0, x), np.sign(x))


class Sin(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.ufuncs.cos(ctx.input(0, ctx.saved[0]))


class Cos(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        return -grad * ctx.ufuncs.sin(ctx.input(0, ctx.saved[0]))


class Tanh(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved[0]
        out = ctx.output(saved)
        return grad * (ctx.const(literal(1, saved.dtype)) - out * out)


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """Stable logistic function: 1 / (1 + e) for x >= 0, e / (1 + e) below, e = exp(-|x|).

    exp never overflows and both tails keep full relative precision (sigmoid(-20) in
    float32, log(sigmoid(x)) for very negative x), unlike 0.5*tanh(0.5x)+0.5; it is also
    2-4x faster than exp(-logaddexp(0, -x)) (logaddexp is not vectorised in NumPy) from
    a few hundred elements up; below that the four-call logaddexp form wins on per-call
    overhead (tiny networks, the XOR benchmark) and is just as precise.
    """
    if x.size < 256:
        out = np.negative(x)
        np.logaddexp(literal(0, out.dtype), out, out=out)
        np.negative(out, out=out)
        return np.exp(out, out=out)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    out = np.where(x >= 0, 1, e)
    e += 1
    return np.divide(out, e, out=out)


class Sigmoid(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        out = sigmoid_array(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved[0]
        out = ctx.output(saved)
        return grad * (out * (ctx.const(literal(1, saved.dtype)) - out))


def _float_unary(fn):
    def op(input):
        if input._data.dtype.kind != "f":
            input = to_float(input)
        return fn.apply(input)
    op.__name__ = fn.__name__.lower()
    op.__doc__ = f"Elementwise {fn.__name__.lower()} (integers are promoted to the default float dtype)."
    return op


exp = _float_unary(Exp)
log = _float_unary(Log)
log2 = _float_unary(Log2)
log10 = _float_unary(Log10)
log1p = _float_unary(Log1p)
expm1 = _float_unary(Expm1)
sqrt = _float_unary(Sqrt)
rsqrt = _float_unary(Rsqrt)
sin = _float_unary(Sin)
cos = _float_unary(Cos)
tanh = _float_unary(Tanh)
sigmoid = _float_unary(Sigmoid)


def abs(input):  # noqa: A001 - torch.abs
    """Elementwise absolute value (gradient sign(x), 0 at 0)."""
    if input._data.dtype.kind != "f":
        return _wrap(np.abs(input._data))
    return Abs.apply(input)


absolute = abs


def reciprocal(input):
    return div(1.0, to_float(input))


# ---------------------------------------------------------------- clamp / where / max-min

class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not x else x.copy()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        lo, hi = ctx.bounds
        keep = None
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = (x <= hi) if keep is None else keep & (x <= hi)
        return (grad * keep if keep is not None else grad), None, None

    @staticmethod
    def graph_backward(ctx, grad):
        (x,) = ctx.saved
        lo, hi = ctx.bounds
        keep = np.ones(x.shape, bool)
        if lo is not None:
            keep &= x >= lo
        if hi is not None:
            keep &= x <= hi
        return MaskedGrad.apply(grad, ctx.input_tensor(0, x), keep.astype(x.dtype)), None, None


def clamp(input, min=None, max=None):  # noqa: A002 - torch's names
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    if input._data.dtype.kind != "f" and (isinstance(min, builtins.float) or isinstance(max, builtins.float)):
        input = to_float(input)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, max=max)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        ctx.shapes = (shape_of(a), shape_of(b))
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        cond = ctx.cond
        sa, sb = ctx.shapes
        ga = sum_to(np.where(cond, grad, 0), sa) if need[1] else None
        gb = sum_to(np.where(cond, 0, grad), sb) if need[2] else None
        return None, ga, gb

    @staticmethod
    def graph_backward(ctx, grad):
        need = ctx.needs_input_grad
        sa, sb = ctx.shapes
        keep = _wrap(ctx.cond)
        ga = sum_to(where(keep, grad, 0.0), sa) if need[1] else None
        gb = sum_to(where(keep, 0.0, grad), sb) if need[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):
    """``input`` where ``condition`` else ``other`` (broadcasting); one-argument form gives indices."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(_wrap(i) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    a, b = promote(input, other)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        return _wrap(np.asarray(np.where(cond, a, b)))
    return Where.apply(cond, a, b)


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        half = np.where(a == b, grad * 0.5, grad)
        ga = sum_to(np.where(a < b, 0, half), shape_of(a)) if need[0] else None
        gb = sum_to(np.where(b < a, 0, half), shape_of(b)) if need[1] else None
        return ga, gb


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        half = np.where(a == b, grad * 0.5, grad)
        ga = sum_to(np.where(a > b, 0, half), shape_of(a)) if need[0] else None
        gb = sum_to(np.where(b > a, 0, half), shape_of(b)) if need[1] else None
        return ga, gb


def maximum(input, other):
    """Elementwise maximum (ties share the gradient equally, like torch)."""
    a, b = promote(input, other)
    return Maximum.apply(a, b)


def minimum(input, other):
    """Elementwise minimum."""
    a, b = promote(input, other)
    return Minimum.apply(a, b)


# ---------------------------------------------------------------- piecewise-constant (zero gradient)

class ZeroGrad(Function):
    """Ops whose derivative is zero almost everywhere (floor, round, sign...)."""

    @staticmethod
    def forward(ctx, x, fn):
        return fn(x)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad), None

    @staticmethod
    def graph_backward(ctx, grad):
        return grad * 0, None


def _piecewise(np_fn, name):
    def op(input):
        if input._data.dtype.kind != "f":
            return _wrap(np.asarray(np_fn(input._data)).astype(input._data.dtype))
        return ZeroGrad.apply(input, np_fn)
    op.__name__ = name
    op.__doc__ = f"Elementwise {name} (zero gradient)."
    return op


floor = _piecewise(np.floor, "floor")
ceil = _piecewise(np.ceil, "ceil")
trunc = _piecewise(np.trunc, "trunc")
sign = _piecewise(np.sign, "sign")
sgn = sign


def round(input, *, decimals=0):  # noqa: A001 - torch.round
    """Round half to even (like torch)."""
    if decimals:
        return _piecewise(lambda a: np.round(a, decimals), "round")(input)
    return _piecewise(np.round, "round")(input)


def frac(input):
    return sub(input, trunc(input))


# ---------------------------------------------------------------- comparisons and logic (no gradient)

def _compare(np_fn):
    def op(input, other):
        if other is None:
            return NotImplemented
        a = input._data if isinstance(input, Tensor) else np.asarray(input)
        b = other._data if isinstance(other, Tensor) else other
        if isinstance(b, (list, tuple)):
            b = np.asarray(b)
        return _wrap(np.asarray(np_fn(a, b)))
    return op


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)
logical_xor = _compare(np.logical_xor)
bitwise_and = _compare(np.bitwise_and)
bitwise_or = _compare(np.bitwise_or)
bitwise_xor = _compare(np.bitwise_xor)


def logical_not(input):
    return _wrap(np.logical_not(input._data))


def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise TypeError("bitwise_not is only supported for integer and boolean tensors")
    return _wrap(np.invert(input._data))


def isfinite(input):
    return _wrap(np.isfinite(input._data))


def isnan(input):
    return _wrap(np.isnan(input._data))


def isinf(input):
    return _wrap(np.isinf(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    b = other._data if isinstance(other, Tensor) else other
    return _wrap(np.isclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    b = other._data if isinstance(other, Tensor) else other
    return builtins.bool(np.allclose(input._data, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    """True if both tensors have the same shape and elements."""
    return input._data.shape == other._data.shape and builtins.bool(np.array_equal(input._data, other._data))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return where(isfinite(input), input, _wrap(np.nan_to_num(input._data, nan=nan, posinf=posinf, neginf=neginf)))


# ---------------------------------------------------------------- in-place variants (methods)

def add_(self, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return inplace_ufunc(self, np.add, other, lambda a, b: add(a, b))


def sub_(self, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return inplace_ufunc(self, np.subtract, other, lambda a, b: sub(a, b))


def mul_(self, other):
    return inplace_ufunc(self, np.multiply, other, lambda a, b: mul(a, b))


def div_(self, other, *, rounding_mode=None):
    if rounding_mode is not None:
        return inplace(self, lambda a, b: div(a, b, rounding_mode=rounding_mode), other)
    return inplace_ufunc(self, np.true_divide, other, lambda a, b: div(a, b))


def pow_(self, exponent):
    return inplace(self, pow, exponent)


def clamp_(self, min=None, max=None):  # noqa: A002
    return inplace(self, lambda a: clamp(a, min, max))


def _unary_inplace(fn):
    def op(self):
        return inplace(self, fn)
    op.__name__ = fn.__name__ + "_"
    return op


INPLACE_UNARY = {
    name: _unary_inplace(fn)
    for name, fn in {
        "neg": neg, "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "tanh": tanh,
        "sigmoid": sigmoid, "floor": floor, "ceil": ceil, "round": round, "sign": sign,
        "trunc": trunc, "reciprocal": reciprocal, "square": square, "sin": sin, "cos": cos,
        "log1p": log1p, "expm1": expm1, "rsqrt": rsqrt,
    }.items()
}


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return add(input, mul(sub(end, input), weight))


def addcmul(input, tensor1, tensor2, *, value=1):
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    return add(input, mul(div(tensor1, tensor2), value))
