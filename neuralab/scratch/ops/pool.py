"""Pooling: max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool1d/2d.

Max and average pooling walk the KH*KW kernel taps: each tap is one strided slab of the
padded input (a view, no copy).  Max pooling keeps, per output, the first tap holding the
maximum (strict ``>`` while scanning taps in row-major order, as PyTorch's CPU kernel), so
its backward sends the gradient to that one input: ``grad * (argmax == tap)`` added into
the tap's slab, the same kernel-position loop as the convolution's input gradient.
Adaptive average pooling is a fixed linear map per axis: ``A_h @ x @ A_w^T``.

Shapes: ``x: (N, C, H, W)`` or unbatched ``(C, H, W)``; 1-D pools run with H = 1.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .conv import ntuple, pad_zeros, window_slice


def pool_out_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length (the last window must start inside input or left pad)."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _to_4d(x: np.ndarray, spatial: int, name: str) -> np.ndarray:
    want = spatial + 2
    if x.ndim not in (want - 1, want):
        raise RuntimeError(
            f"{name}: expected {want - 1}D (unbatched) or {want}D (batched) input, but got input of size: "
            f"{list(x.shape)}"
        )
    if x.ndim == want - 1:
        x = x[None]
    return x[:, :, None, :] if spatial == 1 else x


def _geometry(x4, kernel, stride, padding, dilation, ceil_mode, name):
    """Output size and the (lo, hi) padding that makes every window fit."""
    _, _, h, w = x4.shape
    for k, p, d in zip(kernel, padding, dilation):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    oh = pool_out_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = pool_out_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"{name}: given input size ({h}x{w}), calculated output size ({oh}x{ow}) is too small"
        )
    pads = []
    for size, o, k, s, p, d in zip((h, w), (oh, ow), kernel, stride, padding, dilation):
        need = (o - 1) * s + d * (k - 1) + 1
        pads.append((p, max(need - size - p, 0)))
    return (oh, ow), tuple(pads)


def _restore(out4: np.ndarray, shape: tuple, spatial: int) -> np.ndarray:
    out = out4[:, :, 0, :] if spatial == 1 else out4
    return out[0] if len(shape) == spatial + 1 else out


# ---------------------------------------------------------------- max pooling

class MaxPoolNd(Function):
    """Max over each window; backward routes the gradient to the first maximal tap.

    Forward is a running ``np.maximum`` over the tap slabs (NaN propagates, as in torch).
    The argmax is not materialized: backward walks the taps in order and gives each
    output's gradient to the first tap equal to the maximum (``taken`` marks outputs
    already served), which is exactly torch's first-argmax rule.
    """

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, return_indices, spatial):
        x4 = _to_4d(x, spatial, f"max_pool{spatial}d")
        out_hw, pads = _geometry(x4, kernel, stride, padding, dilation, ceil_mode, f"max_pool{spatial}d")
        fill = -np.inf if x4.dtype.kind == "f" else np.iinfo(x4.dtype).min
        xp = pad_zeros(x4, pads, value=fill)
        taps = [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]
        best = xp[window_slice(0, 0, stride, dilation, out_hw)].copy()
        for i, j in taps[1:]:
            np.maximum(best, xp[window_slice(i, j, stride, dilation, out_hw)], out=best)
        ctx.save_for_backward(xp, best)
        ctx.x_shape, ctx.pads, ctx.taps, ctx.stride = x.shape, pads, taps, stride
        ctx.dilation, ctx.out_hw, ctx.spatial = dilation, out_hw, spatial
        out = _restore(best, x.shape, spatial)
        if not return_indices:
            return out
        arg = np.zeros(best.shape, dtype=np.int64)
        for k, hit in _first_hits(xp, best, taps, stride, dilation, out_hw):
            arg[hit] = k
        i_tap, j_tap = np.divmod(arg, kernel[1])
        rows = np.arange(out_hw[0])[:, None] * stride[0] - padding[0] + i_tap * dilation[0]
        cols = np.arange(out_hw[1]) * stride[1] - padding[1] + j_tap * dilation[1]
        return out, _restore(rows * x4.shape[3] + cols, x.shape, spatial)

    @staticmethod
    def backward(ctx, grad, grad_indices=None):
        xp, best = ctx.saved
        g = grad.reshape(best.shape)
        buffer = np.zeros(xp.shape, dtype=grad.dtype)
        # windows that do not overlap own their inputs: write each tap's share in place
        disjoint = all(s >= d * (k - 1) + 1 for s, d, k in
                       zip(ctx.stride, ctx.dilation, (ctx.taps[-1][0] + 1, ctx.taps[-1][1] + 1)))
        routed = None if disjoint else np.empty(g.shape, dtype=g.dtype)
        for k, hit in _first_hits(xp, best, ctx.taps, ctx.stride, ctx.dilation, ctx.out_hw):
            target = buffer[window_slice(*ctx.taps[k], ctx.stride, ctx.dilation, ctx.out_hw)]
            if disjoint:
                np.multiply(g, hit, out=target)
            else:
                np.multiply(g, hit, out=routed)
                target += routed
        (top, _), (left, _) = ctx.pads
        h, w = (1, ctx.x_shape[-1]) if ctx.spatial == 1 else ctx.x_shape[-2:]
        return buffer[:, :, top:top + h, left:left + w].reshape(ctx.x_shape)


def _first_hits(xp, best, taps, stride, dilation, out_hw):
    """Yield (tap index, bool mask of the outputs whose first maximum is at that tap)."""
    taken = np.zeros(best.shape, dtype=bool)
    hit = np.empty(best.shape, dtype=bool)
    last = len(taps) - 1
    for k, (i, j) in enumerate(taps):
        np.equal(xp[window_slice(i, j, stride, dilation, out_hw)], best, out=hit)
        if k:
            np.greater(hit, taken, out=hit)        # hit and not taken yet
        if k < last:
            taken |= hit
        yield k, hit


def _pool_args(kernel_size, stride, padding, dilation, n: int):
    kernel = ntuple(kernel_size, n, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else ntuple(stride, n, "stride")
    return kernel, stride, ntuple(padding, n, "padding"), ntuple(dilation, n, "dilation")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over ``(N, C, H, W)``; ``return_indices`` adds flat ``h * W + w`` argmax indices."""
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation, 2)
    return MaxPoolNd.apply(input, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                           ceil_mode=bool(ceil_mode), return_indices=bool(return_indices), spatial=2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over ``(N, C, L)``."""
    (k,), (s,), (p,), (d,) = _pool_args(kernel_size, stride, padding, dilation, 1)
    return MaxPoolNd.apply(input, kernel=(1, k), stride=(1, s), padding=(0, p), dilation=(1, d),
                           ceil_mode=bool(ceil_mode), return_indices=bool(return_indices), spatial=1)


# ---------------------------------------------------------------- average pooling

def _divisor_axis(size, out, kernel, stride, pad, include_pad):
    """Per-output window length along one axis, PyTorch's rule (padding counted or not)."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


class AvgPoolNd(Function):
    """Mean over each window (sum of the tap slabs, divided by PyTorch's divisor)."""

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, spatial):
        x4 = _to_4d(x, spatial, f"avg_pool{spatial}d")
        out_hw, pads = _geometry(x4, kernel, stride, padding, (1, 1), ceil_mode, f"avg_pool{spatial}d")
        xp = pad_zeros(x4, pads)
        taps = [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]
        total = xp[window_slice(0, 0, stride, (1, 1), out_hw)].copy()
        for i, j in taps[1:]:
            total += xp[window_slice(i, j, stride, (1, 1), out_hw)]
        if divisor_override:
            scale = np.asarray(1.0 / divisor_override, dtype=x.dtype)
        else:
            h, w = x4.shape[2:]
            dh = _divisor_axis(h, out_hw[0], kernel[0], stride[0], padding[0], count_include_pad)
            dw = _divisor_axis(w, out_hw[1], kernel[1], stride[1], padding[1], count_include_pad)
            scale = (1.0 / np.outer(dh, dw)).astype(x.dtype)
        total *= scale
        ctx.x_shape, ctx.xp_shape, ctx.pads, ctx.taps = x.shape, xp.shape, pads, taps
        ctx.stride, ctx.out_hw, ctx.scale, ctx.spatial = stride, out_hw, scale, spatial
        return _restore(total, x.shape, spatial)

    @staticmethod
    def backward(ctx, grad):
        g = grad.reshape(ctx.xp_shape[:2] + ctx.out_hw) * ctx.scale
        buffer = np.zeros(ctx.xp_shape, dtype=grad.dtype)
        for i, j in ctx.taps:
            buffer[window_slice(i, j, ctx.stride, (1, 1), ctx.out_hw)] += g
        (top, _), (left, _) = ctx.pads
        h, w = (1, ctx.x_shape[-1]) if ctx.spatial == 1 else ctx.x_shape[-2:]
        return buffer[:, :, top:top + h, left:left + w].reshape(ctx.x_shape)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over ``(N, C, H, W)``."""
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding, 1, 2)
    return AvgPoolNd.apply(input, kernel=kernel, stride=stride, padding=padding, ceil_mode=bool(ceil_mode),
                           count_include_pad=bool(count_include_pad), divisor_override=divisor_override,
                           spatial=2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over ``(N, C, L)``."""
    (k,), (s,), (p,), _ = _pool_args(kernel_size, stride, padding, 1, 1)
    return AvgPoolNd.apply(input, kernel=(1, k), stride=(1, s), padding=(0, p), ceil_mode=bool(ceil_mode),
                           count_include_pad=bool(count_include_pad), divisor_override=None, spatial=1)


# ---------------------------------------------------------------- adaptive average pooling

def adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages [floor(i*size/out), ceil((i+1)*size/out))."""
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start = (i * size) // out
        end = -((-(i + 1) * size) // out)
        m[i, start:end] = 1.0 / (end - start)
    return m


class AdaptiveAvgPool(Function):
    """``y = A_h @ x @ A_w^T`` with fixed averaging matrices (two GEMMs each way)."""

    @staticmethod
    def forward(ctx, x, output_size, spatial):
        x4 = _to_4d(x, spatial, f"adaptive_avg_pool{spatial}d")
        n, c, h, w = x4.shape
        oh, ow = output_size
        oh, ow = h if oh is None else oh, w if ow is None else ow
        a_h, a_w = adaptive_matrix(h, oh, x.dtype), adaptive_matrix(w, ow, x.dtype)
        out = np.matmul(a_h, np.matmul(x4, a_w.T))
        ctx.x_shape, ctx.out_shape, ctx.a_h, ctx.a_w = x.shape, out.shape, a_h, a_w
        return _restore(out, x.shape, spatial)

    @staticmethod
    def backward(ctx, grad):
        g = grad.reshape(ctx.out_shape)
        return np.matmul(ctx.a_h.T, np.matmul(g, ctx.a_w)).reshape(ctx.x_shape)


def _adaptive_size(output_size, n):
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise ValueError(f"output_size must have {n} elements; got {tuple(output_size)}")
        return tuple(None if v is None else int(v) for v in output_size)
    return (int(output_size),) * n


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size ``(OH, OW)`` (``None`` keeps that input size)."""
    return AdaptiveAvgPool.apply(input, output_size=_adaptive_size(output_size, 2), spatial=2)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of ``(N, C, L)`` to a fixed length."""
    (length,) = _adaptive_size(output_size, 1)
    return AdaptiveAvgPool.apply(input, output_size=(1, length), spatial=1)


__all__ = [
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "pool_out_size",
]
