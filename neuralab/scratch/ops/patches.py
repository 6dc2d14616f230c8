"""Sliding blocks and sub-pixel rearrangement: ``F.unfold`` / ``F.fold``, ``F.pixel_shuffle`` /
``F.pixel_unshuffle``, and ``Tensor.unfold`` (windows along one dim).

``unfold`` (im2col) and ``fold`` (col2im) are each other's adjoint, so each one's backward
is the other applied to the gradient.  The pixel (un)shuffles are a reshape and a permute
(both differentiable already), written with the engine's shape ops.
"""

from __future__ import annotations

import numpy as np

from ..function import Function
from .conv import columns, ntuple, out_size, pad_zeros, window_slice
from .shape import permute, reshape


def _block_args(kernel_size, dilation, padding, stride) -> tuple:
    k, d, p, s = (ntuple(v, 2, name) for v, name in
                  ((kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    for name, v, least in (("kernel", k, 1), ("dilation", d, 1), ("stride", s, 1)):
        if min(v) < least:
            raise RuntimeError(f"{name} should be greater than zero, but got {name}_height: {v[0]} {name}_width: {v[1]}")
    if min(p) < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, p, s


def _blocks(hw, k, d, p, s) -> tuple:
    return tuple(out_size(hw[i], k[i], s[i], p[i], p[i], d[i]) for i in range(2))


def im2col(x: np.ndarray, k, d, p, s) -> np.ndarray:
    """``x (N, C, H, W)`` -> ``(N, C*KH*KW, L)``: every block, channel-major then kernel row/column."""
    n, c, h, w = x.shape
    blocks = _blocks((h, w), k, d, p, s)
    xp = pad_zeros(x, ((p[0], p[0]), (p[1], p[1])))
    return columns(xp, 1, k, s, d, blocks, per_sample=True).reshape(n, c * k[0] * k[1], blocks[0] * blocks[1])


def col2im(cols: np.ndarray, hw, k, d, p, s) -> np.ndarray:
    """Adjoint of :func:`im2col`: ``(N, C*KH*KW, L)`` -> ``(N, C, H, W)``, overlapping blocks summed."""
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    blocks = _blocks(hw, k, d, p, s)
    taps = cols.reshape(n, c, k[0], k[1], blocks[0], blocks[1])
    buffer = np.zeros((n, c, hw[0] + 2 * p[0], hw[1] + 2 * p[1]), dtype=cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            buffer[window_slice(i, j, s, d, blocks)] += taps[:, :, i, j]
    return buffer[:, :, p[0]:p[0] + hw[0], p[1]:p[1] + hw[1]]


class Unfold(Function):
    @staticmethod
    def forward(ctx, x, k, d, p, s):
        ctx.hw, ctx.args = x.shape[2:], (k, d, p, s)
        return im2col(x, k, d, p, s)

    @staticmethod
    def backward(ctx, grad):
        return col2im(grad, ctx.hw, *ctx.args), None, None, None, None


class Fold(Function):
    @staticmethod
    def forward(ctx, cols, hw, k, d, p, s):
        ctx.args = (k, d, p, s)
        return col2im(cols, hw, k, d, p, s)

    @staticmethod
    def backward(ctx, grad):
        return im2col(np.ascontiguousarray(grad), *ctx.args), None, None, None, None, None


def _unbatched(input, batched_ndim: int, message: str):
    """(tensor with a batch dim, whether one was added); other ranks raise ``message``."""
    ndim = input._data.ndim
    if ndim == batched_ndim - 1:
        return reshape(input, (1, *input._data.shape)), True
    if ndim != batched_ndim or any(size == 0 for size in input._data.shape[1:]):
        raise RuntimeError(f"{message}, but got: {list(input._data.shape)}")
    return input, False


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding blocks: ``(N, C, H, W)`` -> ``(N, C * prod(kernel_size), L)``.

    ``L = prod_i floor((size_i + 2 p_i - d_i (k_i - 1) - 1) / s_i + 1)``; block ``l`` is
    the window at output position ``l`` in row-major order.  ``(C, H, W)`` gives ``(C*K, L)``.
    """
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride)
    x, added = _unbatched(input, 4, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                                    "other non-zero dimensions for input")
    hw = x._data.shape[2:]
    blocks = tuple((hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {tuple(hw)}, kernel_size={k}, dilation={d}, padding={p}, "
            f"calculated shape of the array of sliding blocks as {blocks}, but its components must be at least one.")
    out = Unfold.apply(x, k, d, p, s)
    return reshape(out, out._data.shape[1:]) if added else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding blocks back into an image: ``(N, C * prod(kernel_size), L)`` -> ``(N, C, *output_size)``.

    The adjoint of :func:`unfold` (``fold(unfold(x))`` multiplies each pixel by the number of
    blocks that cover it).  ``(C*K, L)`` gives ``(C, *output_size)``.
    """
    hw = ntuple(output_size, 2, "output_size")
    k, d, p, s = _block_args(kernel_size, dilation, padding, stride)
    cols, added = _unbatched(input, 3, "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and "
                                       "non-zero dimensions for input")
    _, ck, length = cols._data.shape
    if ck % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={ck} and kernel_size={k}.")
    blocks = _blocks(hw, k, d, p, s)
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(
            f"Given output_size={hw}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, expected size of "
            f"input's dimension 2 to match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    out = Fold.apply(cols, hw, k, d, p, s)
    return reshape(out, out._data.shape[1:]) if added else out


def _check_rank(input, name: str) -> tuple:
    shape = input._data.shape
    if len(shape) < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with "
                           f"{len(shape)} dimension(s)")
    return shape


def pixel_shuffle(input, upscale_factor: int):
    """``(*, C r^2, H, W)`` -> ``(*, C, H r, W r)``: out[c, h r + i, w r + j] = in[c r^2 + i r + j, h, w]."""
    r = int(upscale_factor)
    *lead, c, h, w = _check_rank(input, "pixel_shuffle")
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = permute(x, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):
    """``(*, C, H r, W r)`` -> ``(*, C r^2, H, W)``, the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    *lead, c, h, w = _check_rank(input, "pixel_unshuffle")
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    n = len(lead)
    x = reshape(input, (*lead, c, h // r, r, w // r, r))
    x = permute(x, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return reshape(x, (*lead, c * r * r, h // r, w // r))


# ---------------------------------------------------------------- Tensor.unfold (windows along one dim)

class Windows(Function):
    @staticmethod
    def forward(ctx, x, axis, size, step):
        n = (x.shape[axis] - size) // step + 1
        moved = np.moveaxis(x, axis, -1)
        strides = moved.strides[:-1] + (moved.strides[-1] * step, moved.strides[-1])
        view = np.lib.stride_tricks.as_strided(moved, moved.shape[:-1] + (n, size), strides, writeable=False)
        ctx.shape, ctx.axis, ctx.size, ctx.step = x.shape, axis, size, step
        return np.moveaxis(view, -2, axis).copy()

    @staticmethod
    def backward(ctx, grad):
        """Each input element gets the sum of the window entries that copied it."""
        axis, size, step = ctx.axis, ctx.size, ctx.step
        g = np.moveaxis(grad, axis, -2)                      # (..., n, size)
        out = np.zeros(np.moveaxis(np.empty(ctx.shape, dtype=bool), axis, -1).shape, dtype=grad.dtype)
        n = g.shape[-2]
        for j in range(size):
            out[..., j:j + step * (n - 1) + 1:step] += g[..., j]
        return np.moveaxis(out, -1, axis), None, None, None


def tensor_unfold(self, dimension: int, size: int, step: int):
    """``x.unfold(dim, size, step)``: every window of ``size`` along ``dim``, ``step`` apart, as a
    new last dim; ``dim`` becomes the window count ``(L - size) // step + 1``."""
    from ._util import norm_dim
    axis = norm_dim(dimension, max(self._data.ndim, 1))
    length = self._data.shape[axis] if self._data.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Windows.apply(self, axis, int(size), int(step))
