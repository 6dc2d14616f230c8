"""Activations: relu, leaky_relu, elu, gelu (exact and tanh), silu, softplus, softmax,
log_softmax, plus erf (NumPy has none) and a few clamp-based ones."""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev as _cheb

from ..function import Function, sum_keepdim
from ..tensor import _wrap
from ._util import inplace as _inplace_op, norm_dim, to_float
from .elementwise import MaskedGrad, Sigmoid, clamp, sigmoid_array, where


# ---------------------------------------------------------------- erf

def _fit(f, lo, hi, degree):
    return _cheb.chebinterpolate(lambda t: f(lo + (t + 1) * (hi - lo) / 2), degree)


# Chebyshev interpolants fitted once at import against math.erf/erfc (|error| ~1e-14):
#   |x| < 2 : erf(x) = x * P(x^2)            (P fitted on u = x^2 in [0, 4])
#   2..6    : erfc(x) = exp(-x^2) * Q(x)      (Q fitted on [2, 6])
#   >= 6    : erf(x) = sign(x)                (erfc(6) ~ 2e-17)
_ERF_SMALL = _fit(
    lambda u: np.array([math.erf(math.sqrt(v)) / math.sqrt(v) if v > 0 else 2 / math.sqrt(math.pi) for v in u]),
    0.0, 4.0, 18,
)
_ERFC_MID = _fit(lambda x: np.array([math.erfc(v) * math.exp(v * v) for v in x]), 2.0, 6.0, 24)


def erf_array(x: np.ndarray) -> np.ndarray:
    """The error function on an array (computed in float64, returned in x's dtype)."""
    x64 = np.asarray(x, dtype=np.float64)
    a = np.abs(x64)
    out = np.empty_like(x64)
    small = a < 2.0
    xs = x64[small]
    out[small] = xs * _cheb.chebval((xs * xs - 2.0) / 2.0, _ERF_SMALL)
    mid = ~small & (a < 6.0)
    if mid.any():
        am = a[mid]
        out[mid] = np.sign(x64[mid]) * (1.0 - np.exp(-am * am) * _cheb.chebval((am - 4.0) / 2.0, _ERFC_MID))
    big = a >= 6.0
    if big.any():
        out[big] = np.sign(x64[big])
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out


class Erf(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_array(x)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.input(0, ctx.saved[0])
        return grad * (2.0 / math.sqrt(math.pi)) * ctx.ufuncs.exp(-x * x)


def erf(input):
    """Error function."""
    return Erf.apply(to_float(input))


# ---------------------------------------------------------------- relu family

class ReLU(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad * (ctx.saved[0] > 0)

    @staticmethod
    def graph_backward(ctx, grad):
        (out,) = ctx.saved
        return MaskedGrad.apply(grad, ctx.output_tensor(out), (out > 0).astype(out.dtype))


def relu(input, inplace=False):
    """max(x, 0); the gradient at 0 is 0 (like torch)."""
    if inplace:
        return relu_(input)
    if input._data.dtype.kind != "f":
        return _wrap(np.maximum(input._data, 0))
    return ReLU.apply(input)


def relu_(input):
    return _inplace_op(input, relu)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return np.where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return np.where(x > 0, grad, grad * ctx.slope), None

    @staticmethod
    def graph_backward(ctx, grad):
        (x,) = ctx.saved
        return MaskedGrad.apply(grad, ctx.input_tensor(0, x), np.where(x > 0, 1, ctx.slope).astype(x.dtype)), None


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    return _maybe_inplace(input, lambda t: LeakyReLU.apply(t, negative_slope), inplace)


class ELU(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return np.where(x > 0, grad, grad * (ctx.alpha * np.exp(np.minimum(x, 0)))), None

    @staticmethod
    def graph_backward(ctx, grad):
        (x,) = ctx.saved
        xt = ctx.input_tensor(0, x)
        negative = xt.clamp(max=0).exp() * ctx.alpha
        return grad * where(_wrap(x > 0), 1.0, negative), None


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return _maybe_inplace(input, lambda t: ELU.apply(t, alpha), inplace)


def _maybe_inplace(input, compute, flag):
    """``compute(input)``, or the in-place version of it when ``flag`` is set."""
    if not flag:
        return compute(input)
    return _inplace_op(input, compute)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _maybe_inplace(input, lambda t: clamp(t, min_val, max_val), inplace)


# ---------------------------------------------------------------- gelu / silu / softplus

_SQRT_2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class GELU(Function):
    """x * Phi(x) with the exact normal CDF (erf)."""

    @staticmethod
    def forward(ctx, x):
        cdf = 0.5 * (1.0 + erf_array(x / _SQRT_2))
        ctx.save_for_backward(x, cdf)
        return x * cdf

    @staticmethod
    def backward(ctx, grad):
        x, cdf = ctx.saved
        pdf = np.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return grad * (cdf + x * pdf)

    @staticmethod
    def graph_backward(ctx, grad):
        xt = ctx.input_tensor(0, ctx.saved[0])
        cdf = ((xt / _SQRT_2).erf() + 1) * 0.5
        pdf = (xt * xt * -0.5).exp() * _INV_SQRT_2PI
        return grad * (cdf + xt * pdf)


class GELUTanh(Function):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    @staticmethod
    def forward(ctx, x):
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        t = np.tanh(inner)
        ctx.save_for_backward(x, t)
        return 0.5 * x * (1 + t)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.saved
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)

    @staticmethod
    def graph_backward(ctx, grad):
        x = ctx.input_tensor(0, ctx.saved[0])
        t = ((x + x * x * x * 0.044715) * _SQRT_2_OVER_PI).tanh()
        d_inner = (x * x * (3 * 0.044715) + 1) * _SQRT_2_OVER_PI
        return grad * ((t + 1) * 0.5 + x * (1 - t * t) * d_inner * 0.5)


def gelu(input, approximate="none"):
    """Gaussian error linear unit; ``approximate='tanh'`` for the tanh formula."""
    if approximate == "none":
        return GELU.apply(input)
    if approximate == "tanh":
        return GELUTanh.apply(input)
    raise RuntimeError(f"approximate argument must be either none or tanh.")


class SiLU(Function):
    @staticmethod
    def forward(ctx, x):
        s = sigmoid_array(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, grad):
        x, s = ctx.saved
        return grad * (s * (1 + x * (1 - s)))

    @staticmethod
    def graph_backward(ctx, grad):
        x = ctx.input_tensor(0, ctx.saved[0])
        s = x.sigmoid()
        return grad * (s * (1 + x * (1 - s)))


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    return _maybe_inplace(input, SiLU.apply, inplace)


def mish(input, inplace=False):
    from .elementwise import tanh
    return _maybe_inplace(input, lambda t: t * tanh(softplus(t)), inplace)


class Softplus(Function):
    @staticmethod
    def forward(ctx, x, beta, threshold):
        bx = x * beta
        ctx.save_for_backward(bx, x)
        ctx.beta = beta
        ctx.threshold = threshold
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)

    @staticmethod
    def backward(ctx, grad):
        bx = ctx.saved[0]
        return np.where(bx > ctx.threshold, grad, grad * sigmoid_array(bx)), None, None

    @staticmethod
    def graph_backward(ctx, grad):
        bx, x = ctx.saved
        slope = (ctx.input_tensor(0, x) * ctx.beta).sigmoid()
        return grad * where(_wrap(bx > ctx.threshold), 1.0, slope), None, None


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above ``threshold``."""
    return Softplus.apply(input, beta, threshold)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x)."""
    return -softplus(-input)


def softsign(input):
    from .elementwise import abs as _abs
    return input / (1 + _abs(input))


def sigmoid(input):
    return Sigmoid.apply(to_float(input))


# ---------------------------------------------------------------- softmax family

class Softmax(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(e)
        ctx.axis = axis
        return e

    @staticmethod
    def backward(ctx, grad):
        s = ctx.output(ctx.saved[0])
        gs = grad * s
        return gs - s * sum_keepdim(gs, ctx.axis), None


class LogSoftmax(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        out = ctx.output(ctx.saved[0])
        return grad - ctx.ufuncs.exp(out) * sum_keepdim(grad, ctx.axis), None


def _softmax_dim(ndim: int) -> int:
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    input = to_float(input)
    if dim is None:
        dim = _softmax_dim(input._data.ndim)
    return Softmax.apply(input, norm_dim(dim, input._data.ndim))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along ``dim`` (stable)."""
    if dtype is not None:
        input = input.to(dtype)
    input = to_float(input)
    if dim is None:
        dim = _softmax_dim(input._data.ndim)
    return LogSoftmax.apply(input, norm_dim(dim, input._data.ndim))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    return softmax(-input, dim, dtype=dtype)
