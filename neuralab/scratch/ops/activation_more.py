"""Activations composed from primitives (their backward is the primitives' chain rule; CELU
and Hardsigmoid have their own, to match torch's rounding).

    selu(x)        = scale * elu(x, alpha),  alpha = 1.6732632423543772, scale = 1.0507009873554805
    celu(x, a)     = x if x > 0 else a * (exp(x / a) - 1)  (its own Function, see CELU)
    hardsigmoid(x) = clamp(x / 6 + 1/2, 0, 1)  (own Function)   hardswish(x) = x * clamp(x / 6 + 1/2, 0, 1)
    threshold(x)   = x if x > threshold else value
    prelu(x, w)    = x if x >= 0 else w_c * x       (w per channel, dim 1, or one shared)
    rrelu(x)       = x if x >= 0 else a * x,  a ~ U(lower, upper) in training, (lower+upper)/2 in eval
    hardshrink(x)  = x if |x| > l else 0            softshrink(x) = x - l*sign(x) if |x| > l else 0
    tanhshrink(x)  = x - tanh(x)                    glu(x, dim)   = a * sigmoid(b), (a, b) = halves of x
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..random import rng
from ..tensor import _wrap
from .activation import _maybe_inplace, elu
from .elementwise import clamp, sigmoid, tanh, where

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _maybe_inplace(input, lambda t: elu(t, SELU_ALPHA) * SELU_SCALE, inplace)


class CELU(Function):
    """celu's own rule, because torch's backward (derivatives.yaml) takes 1/alpha with alpha
    rounded to float32: d/dx = alpha * s * exp(s x) for x <= 0, s = 1 / float32(alpha).
    Composing ``elu(x / alpha) * alpha`` would differ from torch by ~1e-8 there."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        s = 1.0 / float(np.float32(ctx.alpha))
        return np.where(x > 0, grad, grad * (ctx.alpha * s * np.exp(np.minimum(x, 0) * s))), None

    @staticmethod
    def graph_backward(ctx, grad):
        (x,) = ctx.saved
        s = 1.0 / float(np.float32(ctx.alpha))
        negative = (ctx.input_tensor(0, x).clamp(max=0) * s).exp() * (ctx.alpha * s)
        return grad * where(_wrap(x > 0), 1.0, negative), None


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise ValueError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _maybe_inplace(input, lambda t: CELU.apply(t, alpha), inplace)


class Hardsigmoid(Function):
    """Its own rule because torch's backward kernel scales by the float32 constant 1.0f/6.0f
    (in every dtype): d/dx = float32(1/6) on -3 < x < 3, else 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        return grad * ((x > -3) & (x < 3)) * float(np.float32(1.0) / np.float32(6.0))

    @staticmethod
    def graph_backward(ctx, grad):
        (x,) = ctx.saved
        return grad * _wrap(((x > -3) & (x < 3)) * float(np.float32(1.0) / np.float32(6.0)))


def hardsigmoid(input, inplace=False):
    return _maybe_inplace(input, Hardsigmoid.apply, inplace)


def hardswish(input, inplace=False):
    return _maybe_inplace(input, lambda t: t * clamp(t / 6 + 0.5, 0.0, 1.0), inplace)


def threshold(input, threshold, value, inplace=False):
    return _maybe_inplace(input, lambda t: where(t > threshold, t, value), inplace)


def prelu(input, weight):
    """``weight`` has one entry, or one per channel (dim 1 of ``input``)."""
    w = weight
    if weight.numel() != 1:
        channels = input.shape[1] if input.dim() > 1 else 1
        if weight.numel() != channels:
            raise RuntimeError(
                f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{weight.numel()} and channel size = {channels}."
            )
        w = weight.reshape((channels,) + (1,) * (input.dim() - 2))
    return where(input >= 0, input, input * w)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if not training:
        slope = (lower + upper) / 2
        return _maybe_inplace(input, lambda t: where(t >= 0, t, t * slope), inplace)
    a = rng(None).uniform(lower, upper, input.shape).astype(input._data.dtype)
    return _maybe_inplace(input, lambda t: where(t >= 0, t, t * _wrap(a)), inplace)


def hardshrink(input, lambd=0.5):
    return where(input.abs() > lambd, input, 0.0)


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def tanhshrink(input):
    return input - tanh(input)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % input.dim()} is size {n}")
    a, b = input.chunk(2, dim)
    return a * sigmoid(b)
