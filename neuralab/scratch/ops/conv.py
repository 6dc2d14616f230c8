"""Convolutions: conv1d, conv2d, conv_transpose2d (F.conv1d / F.conv2d / F.conv_transpose2d).

Both directions share two array helpers:

* :func:`columns`: the padded input seen through a read-only strided window view and
  copied once into the im2col matrix; the forward pass is then ONE GEMM call
  ``(G, Og, Cg*KH*KW) @ cols``.  When the product of one sample is small (see
  ``_blas``) the matrix is kept per sample, ``(N, G, Cg*KH*KW, OH*OW)``: the batched GEMM
  then yields ``(N, O, OH, OW)`` directly and the weight gradient is a batched GEMM
  summed over N.  Otherwise it is one ``(G, Cg*KH*KW, N*OH*OW)`` matrix (one big GEMM,
  whose result is transposed to ``(N, O, OH, OW)``).
* :func:`scatter_windows`: the adjoint of ``columns``, a loop over the KH*KW kernel
  positions, each adding one strided slab ``(C, OH, OW, N)`` into the padded buffer
  (never a loop over pixels, never ``np.add.at``); the batch is innermost there so each
  add moves long contiguous runs.

``conv2d``'s input gradient is ``scatter_windows(W^T @ dY)``; ``conv_transpose2d``'s
forward is that same computation and its input gradient is a ``conv2d`` forward.

Shapes: ``x: (N, C, H, W)`` (or unbatched ``(C, H, W)``), ``weight: (O, C/groups, KH, KW)``
for conv2d and ``(C, O/groups, KH, KW)`` for conv_transpose2d; 1-D convolutions run as
2-D ones with H = 1.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..function import Function
from ._blas import is_small


# ---------------------------------------------------------------- argument helpers

def ntuple(value, n: int, name: str = "argument") -> tuple:
    """``3 -> (3, 3)``; a tuple/list of length ``n`` stays (as ints)."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{name} must be an int or a tuple of {n} ints; got {tuple(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def out_size(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int, dilation: int) -> int:
    """Number of window positions along one axis (floor mode)."""
    return (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1


def pad_zeros(x: np.ndarray, pads, value=0) -> np.ndarray:
    """``x`` (.., H, W) padded on its last two axes by ``pads = ((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    *lead, h, w = x.shape
    out = np.full((*lead, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[..., top:top + h, left:left + w] = x
    return out


def window_slice(i: int, j: int, stride, dilation, out_hw) -> tuple:
    """Index of the positions kernel tap (i, j) reads, in the padded (.., Hp, Wp) array."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    return (
        Ellipsis,
        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
    )


def columns(xp: np.ndarray, groups: int, kernel, stride, dilation, out_hw, per_sample: bool) -> np.ndarray:
    """im2col of the padded input ``xp (N, C, Hp, Wp)``, one copy.

    ``per_sample``: ``(N, G, Cg*KH*KW, OH*OW)``; else ``(G, Cg*KH*KW, N*OH*OW)``.
    """
    n, c, _, _ = xp.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    s_n, s_c, s_h, s_w = xp.strides
    if per_sample:
        shape, strides = (n, c, kh, kw, oh, ow), (s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw)
    else:
        shape, strides = (c, kh, kw, n, oh, ow), (s_c, s_h * dh, s_w * dw, s_n, s_h * sh, s_w * sw)
    view = as_strided(xp, shape=shape, strides=strides, writeable=False)
    cols = np.empty(view.shape, dtype=xp.dtype)
    np.copyto(cols, view)
    k = (c // groups) * kh * kw
    return cols.reshape(n, groups, k, oh * ow) if per_sample else cols.reshape(groups, k, n * oh * ow)


def scatter_windows(cols: np.ndarray, buffer: np.ndarray, stride, dilation, out_hw) -> np.ndarray:
    """Adjoint of :func:`columns`: add ``cols (C, KH, KW, OH, OW, N)`` into ``buffer (C, Hp, Wp, N)``.

    The batch is the innermost axis here, so each of the KH*KW strided adds moves runs of
    ``OW * N`` contiguous numbers (stride 1) instead of rows of ``OW``.
    """
    _, kh, kw = cols.shape[:3]
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out_hw
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            buffer[:, rows, j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, i, j]
    return buffer


def batch_last(a: np.ndarray, groups: int) -> np.ndarray:
    """``(N, C, H, W) -> (G, C/G, H*W*N)``: the layout :func:`scatter_windows` consumes."""
    n, c, h, w = a.shape
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).reshape(groups, c // groups, h * w * n)


def grouped_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` over a leading groups axis; plain 2-D GEMM when there is one group."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0])[None]
    return np.matmul(a, b)


def batch_first(a: np.ndarray, groups: int) -> np.ndarray:
    """``(N, C, H, W) -> (G, C/G, N*H*W)``: the layout of the one-matrix :func:`columns`."""
    n, c, h, w = a.shape
    return np.ascontiguousarray(a.transpose(1, 0, 2, 3)).reshape(groups, c // groups, n * h * w)


def weight_product(a: np.ndarray, cols: np.ndarray, per_sample: bool) -> np.ndarray:
    """``sum over samples and positions of a * cols``: ``(G, I, K)`` for ``a`` like ``cols``.

    ``a`` is ``(N, C, H, W)`` in the spatial layout of ``cols``' positions.
    """
    n, c = a.shape[:2]
    if per_sample:
        groups = cols.shape[1]
        a4 = a.reshape(n, groups, c // groups, -1)
        return np.matmul(a4, cols.transpose(0, 1, 3, 2)).sum(axis=0)
    groups = cols.shape[0]
    # (cols @ a^T)^T is the faster BLAS orientation for this long inner dimension
    return np.swapaxes(grouped_matmul(cols, np.swapaxes(batch_first(a, groups), 1, 2)), 1, 2)


def _check_float(x, w, b) -> None:
    if x.dtype != w.dtype or (b is not None and b.dtype != w.dtype):
        names = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
        raise RuntimeError(
            f"Input type ({names.get(x.dtype, x.dtype)}) and weight type ({names.get(w.dtype, w.dtype)}) "
            "should be the same"
        )


def _as_4d(x: np.ndarray, w: np.ndarray, spatial: int, name: str):
    """Canonical (N, C, H, W) / 4-D weight views for 1-D and unbatched inputs."""
    want = spatial + 2
    if x.ndim not in (want - 1, want):
        raise RuntimeError(
            f"Expected {want - 1}D (unbatched) or {want}D (batched) input to {name}, but got input of size: "
            f"{list(x.shape)}"
        )
    if x.ndim == want - 1:
        x = x[None]
    if spatial == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
    return x, w


# ---------------------------------------------------------------- conv2d

class ConvNd(Function):
    """y = conv(x, w) + b for 1-D/2-D inputs; ``pads = ((top, bottom), (left, right))``."""

    @staticmethod
    def forward(ctx, x, w, b, stride, pads, dilation, groups, spatial):
        _check_float(x, w, b)
        x_shape, w_shape = x.shape, w.shape
        x4, w4 = _as_4d(x, w, spatial, f"conv{spatial}d")
        n, c, h, wd = x4.shape
        o, cg, kh, kw = w4.shape
        if c != cg * groups:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(w_shape)}, expected input{list(x_shape)} to have "
                f"{cg * groups} channels, but got {c} channels instead"
            )
        if o % groups:
            raise RuntimeError(f"out_channels ({o}) must be divisible by groups ({groups})")
        oh = out_size(h, kh, stride[0], *pads[0], dilation[0])
        ow = out_size(wd, kw, stride[1], *pads[1], dilation[1])
        if oh < 1 or ow < 1:
            hp, wp = h + sum(pads[0]), wd + sum(pads[1])
            raise RuntimeError(
                f"Calculated padded input size per channel: ({hp} x {wp}). Kernel size: "
                f"({dilation[0] * (kh - 1) + 1} x {dilation[1] * (kw - 1) + 1}). Kernel size can't be greater "
                "than actual input size"
            )
        xp = pad_zeros(x4, pads)
        per_sample = is_small(o // groups, oh * ow, cg * kh * kw)
        cols = columns(xp, groups, (kh, kw), stride, dilation, (oh, ow), per_sample)
        wmat = w4.reshape(groups, o // groups, cg * kh * kw)
        if per_sample:
            out = np.matmul(wmat, cols).reshape(n, o, oh, ow)    # the one GEMM call
            if b is not None:
                out += b[:, None, None]
        else:
            out = grouped_matmul(wmat, cols).reshape(o, n * oh * ow)
            if b is not None:
                out += b[:, None]
            out = np.ascontiguousarray(out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3))
        ctx.save_for_backward(cols, wmat)
        ctx.x_shape, ctx.w_shape, ctx.xp_shape = x_shape, w_shape, xp.shape
        ctx.in_hw, ctx.out_hw, ctx.pads = (h, wd), (oh, ow), pads
        ctx.stride, ctx.dilation, ctx.groups, ctx.per_sample = stride, dilation, groups, per_sample
        if spatial == 1:
            out = out[:, :, 0, :]
        return out[0] if len(x_shape) == spatial + 1 else out

    @staticmethod
    def backward(ctx, grad):
        cols, wmat = ctx.saved
        (h, wd), (oh, ow), w_shape = ctx.in_hw, ctx.out_hw, ctx.w_shape
        need = ctx.needs_input_grad
        n, c, hp, wp = ctx.xp_shape
        o = wmat.shape[0] * wmat.shape[1]
        g = grad.reshape(n, o, oh, ow)
        gx = gw = gb = None
        if need[0]:
            gcols = grouped_matmul(wmat.transpose(0, 2, 1), batch_last(g, ctx.groups))
            kh, kw = w_shape[-2:] if len(w_shape) == 4 else (1, w_shape[-1])
            buffer = np.zeros((c, hp, wp, n), dtype=grad.dtype)
            scatter_windows(gcols.reshape(c, kh, kw, oh, ow, n), buffer, ctx.stride, ctx.dilation, (oh, ow))
            top, left = ctx.pads[0][0], ctx.pads[1][0]
            gx = np.ascontiguousarray(buffer[:, top:top + h, left:left + wd].transpose(3, 0, 1, 2))
            gx = gx.reshape(ctx.x_shape)
        if need[1]:
            gw = weight_product(g, cols, ctx.per_sample).reshape(w_shape)
        if need[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


def _conv_padding(padding, kernel, dilation, stride, n: int, name: str):
    """``padding`` (int, tuple, 'same', 'valid') -> per-axis (lo, hi) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pairs = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise ValueError(f"Invalid padding string '{padding}', should be one of ['valid', 'same'] ({name})")
    return tuple((p, p) for p in ntuple(padding, n, "padding"))


def _spatial_of(weight, n: int) -> tuple:
    if weight._data.ndim != n + 2:
        raise RuntimeError(
            f"conv{n}d expects a {n + 2}-D weight (out_channels, in_channels/groups, "
            f"{'kH, kW' if n == 2 else 'kW'}); got weight of size {list(weight._data.shape)}"
        )
    return weight._data.shape[2:]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over ``input (N, C, H, W)``; see ``torch.nn.functional.conv2d``."""
    kernel = _spatial_of(weight, 2)
    stride, dilation = ntuple(stride, 2, "stride"), ntuple(dilation, 2, "dilation")
    pads = _conv_padding(padding, kernel, dilation, stride, 2, "conv2d")
    return ConvNd.apply(input, weight, bias, stride=stride, pads=pads, dilation=dilation,
                        groups=int(groups), spatial=2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over ``input (N, C, L)``; runs as a 2-D convolution with H = 1."""
    kernel = _spatial_of(weight, 1)
    (stride,), (dilation,) = ntuple(stride, 1, "stride"), ntuple(dilation, 1, "dilation")
    (pad,) = _conv_padding(padding, kernel, (dilation,), (stride,), 1, "conv1d")
    return ConvNd.apply(input, weight, bias, stride=(1, stride), pads=((0, 0), pad), dilation=(1, dilation),
                        groups=int(groups), spatial=1)


# ---------------------------------------------------------------- conv_transpose2d

def transpose_out_size(size, kernel, stride, padding, output_padding, dilation) -> int:
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


class ConvTransposeNd(Function):
    """The adjoint of conv2d: ``y = scatter_windows(W^T x)`` cropped by ``padding``, plus bias."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups, spatial):
        _check_float(x, w, b)
        x_shape, w_shape = x.shape, w.shape
        x4, w4 = _as_4d(x, w, spatial, f"conv_transpose{spatial}d")
        n, c, h, wd = x4.shape
        cin, og, kh, kw = w4.shape
        if c != cin:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(w_shape)}, expected input{list(x_shape)} to have "
                f"{cin} channels, but got {c} channels instead"
            )
        if cin % groups:
            raise RuntimeError(f"in_channels ({cin}) must be divisible by groups ({groups})")
        for op, s, d in zip(output_padding, stride, dilation):
            if op >= max(s, d):
                raise RuntimeError("output padding must be smaller than either stride or dilation")
        o = og * groups
        oh = transpose_out_size(h, kh, stride[0], padding[0], output_padding[0], dilation[0])
        ow = transpose_out_size(wd, kw, stride[1], padding[1], output_padding[1], dilation[1])
        if oh < 1 or ow < 1:
            raise RuntimeError(f"conv_transpose{spatial}d: output size ({oh} x {ow}) is too small")
        hf, wf = oh + 2 * padding[0], ow + 2 * padding[1]
        wmat = w4.reshape(groups, c // groups, og * kh * kw)
        cols = grouped_matmul(wmat.transpose(0, 2, 1), batch_last(x4, groups)).reshape(o, kh, kw, h, wd, n)
        full = np.zeros((o, hf, wf, n), dtype=x.dtype)
        scatter_windows(cols, full, stride, dilation, (h, wd))
        out = full[:, padding[0]:padding[0] + oh, padding[1]:padding[1] + ow]
        if b is not None:
            out = out + b[:, None, None, None]
        out = np.ascontiguousarray(out.transpose(3, 0, 1, 2))
        ctx.save_for_backward(x4, wmat)
        ctx.x_shape, ctx.w_shape, ctx.in4, ctx.out4 = x_shape, w_shape, (n, c, h, wd), (n, o, oh, ow)
        ctx.kernel, ctx.stride, ctx.padding, ctx.dilation, ctx.groups = (kh, kw), stride, padding, dilation, groups
        if spatial == 1:
            out = out[:, :, 0, :]
        return out[0] if len(x_shape) == spatial + 1 else out

    @staticmethod
    def backward(ctx, grad):
        x4, wmat = ctx.saved
        n, c, h, wd = ctx.in4
        x_shape, padding, groups = ctx.x_shape, ctx.padding, ctx.groups
        need = ctx.needs_input_grad
        g = grad.reshape(ctx.out4)
        gfull = pad_zeros(g, ((padding[0], padding[0]), (padding[1], padding[1])))
        per_sample = is_small(c // groups, h * wd, wmat.shape[2])
        gcols = columns(gfull, groups, ctx.kernel, ctx.stride, ctx.dilation, (h, wd), per_sample)
        gx = gw = gb = None
        if need[0]:
            if per_sample:
                gx = np.matmul(wmat, gcols).reshape(x_shape)
            else:
                gx = grouped_matmul(wmat, gcols).reshape(c, n, h, wd)
                gx = np.ascontiguousarray(gx.transpose(1, 0, 2, 3)).reshape(x_shape)
        if need[1]:
            gw = weight_product(x4, gcols, per_sample).reshape(ctx.w_shape)
        if need[2]:
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"); ``weight: (C_in, C_out/groups, KH, KW)``."""
    _spatial_of(weight, 2)
    return ConvTransposeNd.apply(
        input, weight, bias, stride=ntuple(stride, 2, "stride"), padding=ntuple(padding, 2, "padding"),
        output_padding=ntuple(output_padding, 2, "output_padding"), dilation=ntuple(dilation, 2, "dilation"),
        groups=int(groups), spatial=2,
    )


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution; runs as a 2-D one with H = 1."""
    _spatial_of(weight, 1)
    (s,), (p,), (op,), (d,) = (ntuple(v, 1) for v in (stride, padding, output_padding, dilation))
    return ConvTransposeNd.apply(
        input, weight, bias, stride=(1, s), padding=(0, p), output_padding=(0, op), dilation=(1, d),
        groups=int(groups), spatial=1,
    )
