"""Normalization: batch_norm, layer_norm, group_norm (each one fused Function).

All three standardize ``x`` over some axes, ``x_hat = (x - mean) / sqrt(var + eps)``
(biased variance), then apply a per-feature affine map ``y = x_hat * weight + bias``.
They share the two helpers below; the backward of the standardization is

    dx = invstd * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat))

with the means over the normalized axes.  ``batch_norm`` also updates the running
statistics in place, as PyTorch does: ``running = (1 - momentum) * running + momentum * batch``
with the *unbiased* batch variance for ``running_var``.
"""

from __future__ import annotations

import math

import numpy as np

from ..function import Function


def _reduce(per_row: np.ndarray, axes: tuple, ndim: int, keepdims: bool) -> np.ndarray:
    """Finish a reduction whose last axis is already summed (``per_row``: shape without it)."""
    rest = tuple(a for a in axes if a != ndim - 1)
    if rest:
        per_row = per_row.sum(axis=rest, keepdims=keepdims)
    return per_row[..., None] if keepdims else per_row


def axis_sum(a: np.ndarray, axes: tuple, keepdims: bool = False) -> np.ndarray:
    """``a.sum(axes)``; a reduced last axis goes through one BLAS matrix-vector product."""
    if a.ndim - 1 not in axes:
        return a.sum(axis=axes, keepdims=keepdims)
    return _reduce(np.matmul(a, np.ones(a.shape[-1], dtype=a.dtype)), axes, a.ndim, keepdims)


def axis_dot(a: np.ndarray, b: np.ndarray, axes: tuple, keepdims: bool = False) -> np.ndarray:
    """``(a * b).sum(axes)`` without the product array when the last axis is reduced (row dots)."""
    if a.ndim - 1 not in axes:
        return np.multiply(a, b).sum(axis=axes, keepdims=keepdims)
    dots = np.matmul(a[..., None, :], b[..., :, None])[..., 0, 0]
    return _reduce(dots, axes, a.ndim, keepdims)


def standardize(x: np.ndarray, axes: tuple, eps: float):
    """(x_hat, invstd, mean, var) with statistics over ``axes`` (kept as size-1 dims)."""
    count = math.prod(x.shape[a] for a in axes)
    mean = axis_sum(x, axes, keepdims=True) / count
    x_hat = x - mean
    var = axis_dot(x_hat, x_hat, axes, keepdims=True) / count   # two-pass: no cancellation
    invstd = np.sqrt(var + eps)
    np.reciprocal(invstd, out=invstd)
    x_hat *= invstd
    return x_hat, invstd, mean, var


def standardize_backward(d_hat: np.ndarray, x_hat: np.ndarray, invstd: np.ndarray, axes: tuple) -> np.ndarray:
    """Gradient of :func:`standardize` w.r.t. x, given dL/dx_hat (``d_hat`` may be overwritten)."""
    count = math.prod(d_hat.shape[a] for a in axes)
    m1 = axis_sum(d_hat, axes, keepdims=True) / count
    m2 = axis_dot(d_hat, x_hat, axes, keepdims=True) / count
    d_hat -= m1
    d_hat -= x_hat * m2
    d_hat *= invstd
    return d_hat


def _affine(x_hat, weight, bias, shape):
    """x_hat * weight + bias with the parameters reshaped to broadcast (new array)."""
    if weight is None:
        out = x_hat.copy()
    else:
        out = x_hat * weight.reshape(shape)
    if bias is not None:
        out += bias.reshape(shape)
    return out


def _affine_grads(grad, x_hat, axes, need):
    """Gradients of weight and bias (positional inputs 1 and 2) where they are needed."""
    gw = axis_dot(grad, x_hat, axes) if need[1] else None
    gb = axis_sum(grad, axes) if need[2] else None
    return gw, gb


# ---------------------------------------------------------------- batch norm

class BatchNorm(Function):
    """Per-channel standardization of ``x: (N, C, *)``; batch statistics or running ones."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        axes = (0, 2)
        shape = (1, c, 1)
        if training:
            count = n * x3.shape[2]
            if count <= 1:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input size {list(x.shape)}"
                )
            x_hat, invstd, mean, var = standardize(x3, axes, eps)
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(c)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var.reshape(c)
        else:
            if running_mean is None or running_var is None:
                raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
            invstd = (1.0 / np.sqrt(running_var + eps)).reshape(shape).astype(x.dtype, copy=False)
            x_hat = x3 - running_mean.reshape(shape)
            x_hat *= invstd
        ctx.save_for_backward(x_hat, invstd, weight)
        ctx.x_shape, ctx.training = x.shape, training
        return _affine(x_hat, weight, bias, shape).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat, invstd, weight = ctx.saved
        x_shape, training = ctx.x_shape, ctx.training
        need = ctx.needs_input_grad
        g = grad.reshape(x_hat.shape)
        axes = (0, 2)
        gw, gb = _affine_grads(g, x_hat, axes, need)
        gx = None
        if need[0]:
            d_hat = g * weight.reshape(1, -1, 1) if weight is not None else g.copy()
            if training:
                gx = standardize_backward(d_hat, x_hat, invstd, axes)
            else:
                gx = np.multiply(d_hat, invstd, out=d_hat)
            gx = gx.reshape(x_shape)
        return gx, gw, gb, None, None


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Batch normalization over ``(N, C, *)``; in training updates ``running_*`` in place."""
    if input._data.ndim < 2:
        raise ValueError(f"batch_norm expects an input of shape (N, C, *); got {list(input._data.shape)}")
    c = input._data.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t._data.shape != (c,):
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements not {t._data.size}")
    return BatchNorm.apply(input, weight, bias, running_mean, running_var, training=bool(training),
                           momentum=0.0 if momentum is None else float(momentum), eps=float(eps))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) of ``(N, C, *)`` over its own spatial positions.

    Written as torch does: batch norm of the ``(1, N*C, *)`` view, with the channel's
    weight, bias and running statistics repeated per sample (and the updated running
    statistics averaged back over the samples).
    """
    from ..tensor import _wrap
    from .shape import reshape
    shape = input._data.shape
    n, c = shape[0], shape[1]
    tiled = [None if t is None else _wrap(np.tile(t._data, n)) for t in (running_mean, running_var)]
    w = None if weight is None else weight.repeat(n)
    b = None if bias is None else bias.repeat(n)
    out = batch_norm(reshape(input, (1, n * c, *shape[2:])), tiled[0], tiled[1], w, b, use_input_stats,
                     momentum, eps)
    for t, rep in zip((running_mean, running_var), tiled):
        if t is not None and use_input_stats:
            t._data[...] = rep._data.reshape(n, c).mean(axis=0)
    return reshape(out, shape)


# ---------------------------------------------------------------- layer norm

class LayerNorm(Function):
    """Standardize over the trailing ``D = prod(normalized_shape)`` elements of each row."""

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps):
        d = math.prod(normalized_shape)
        x2 = x.reshape(-1, d)
        x_hat, invstd, _, _ = standardize(x2, (1,), eps)
        ctx.save_for_backward(x_hat, invstd, weight)
        ctx.x_shape, ctx.normalized_shape = x.shape, normalized_shape
        return _affine(x_hat, weight, bias, (1, d)).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat, invstd, weight = ctx.saved
        x_shape, normalized_shape = ctx.x_shape, ctx.normalized_shape
        need = ctx.needs_input_grad
        g = grad.reshape(x_hat.shape)
        gw, gb = _affine_grads(g, x_hat, (0,), need)
        gw = None if gw is None else gw.reshape(normalized_shape)
        gb = None if gb is None else gb.reshape(normalized_shape)
        gx = None
        if need[0]:
            d_hat = g * weight.reshape(1, -1) if weight is not None else g.copy()
            gx = standardize_backward(d_hat, x_hat, invstd, (1,)).reshape(x_shape)
        return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the last ``len(normalized_shape)`` dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if tuple(input._data.shape[input._data.ndim - k:]) != normalized_shape or input._data.ndim < k:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape [*, "
            f"{', '.join(str(s) for s in normalized_shape)}], but got input of size{list(input._data.shape)}"
        )
    return LayerNorm.apply(input, weight, bias, normalized_shape=normalized_shape, eps=float(eps))


# ---------------------------------------------------------------- group norm

class GroupNorm(Function):
    """Standardize each of G channel groups of every sample, then a per-channel affine."""

    @staticmethod
    def forward(ctx, x, weight, bias, num_groups, eps):
        n, c = x.shape[0], x.shape[1]
        xg = x.reshape(n, num_groups, -1)
        x_hat, invstd, _, _ = standardize(xg, (2,), eps)
        x_hat3 = x_hat.reshape(n, c, -1)
        ctx.save_for_backward(x_hat3, invstd, weight)
        ctx.x_shape, ctx.num_groups = x.shape, num_groups
        return _affine(x_hat3, weight, bias, (1, c, 1)).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        x_hat3, invstd, weight = ctx.saved
        x_shape, num_groups = ctx.x_shape, ctx.num_groups
        need = ctx.needs_input_grad
        n, c = x_shape[0], x_shape[1]
        g = grad.reshape(x_hat3.shape)
        gw, gb = _affine_grads(g, x_hat3, (0, 2), need)
        gx = None
        if need[0]:
            d_hat = g * weight.reshape(1, c, 1) if weight is not None else g.copy()
            gx = standardize_backward(d_hat.reshape(n, num_groups, -1), x_hat3.reshape(n, num_groups, -1),
                                      invstd, (2,)).reshape(x_shape)
        return gx, gw, gb


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization of ``(N, C, *)`` over ``num_groups`` groups of C/num_groups channels."""
    shape = input._data.shape
    if len(shape) < 2 or shape[1] % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(shape)} and num_groups={num_groups}"
        )
    return GroupNorm.apply(input, weight, bias, num_groups=int(num_groups), eps=float(eps))
