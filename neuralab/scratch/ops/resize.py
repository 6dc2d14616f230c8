"""Padding and resizing: F.pad (constant, reflect, replicate, circular) and F.interpolate.

Non-constant padding is a gather along each padded axis (``np.take`` with an index map);
its backward sums the gradient of every output position into the input position it
copied (sorted ``np.add.reduceat``, the embedding's helper).

Interpolation is separable: along each spatial axis the output is a fixed linear map of
the input, ``y = M @ x`` with ``M: (out, in)`` (one-hot rows for nearest, two taps for
(bi/tri)linear, four for bicubic, box averages for area).  Forward applies the matrices axis by axis and
backward applies their transposes in reverse order.  Source coordinates follow PyTorch's
CPU kernels, computed in the input's precision as torch does.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import not_in_subset
from ..function import Function
from .embedding import scatter_rows
from .pool import adaptive_matrix


# ---------------------------------------------------------------- pad

def _pairs(pad, ndim: int):
    """torch's flat ``pad`` (last dim first) -> {axis: (before, after)}."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {ndim}")
    return {ndim - 1 - i: (pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)}


class ConstantPad(Function):
    """Pad with a constant; negative amounts crop (as in torch)."""

    @staticmethod
    def forward(ctx, x, pairs, value):
        out_shape = list(x.shape)
        src, dst = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for axis, (lo, hi) in pairs.items():
            n = x.shape[axis]
            size = n + lo + hi
            if size < 0:
                raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted in a "
                                   f"negative output size, which is invalid. Check dimension {axis} of your input.")
            out_shape[axis] = size
            src[axis] = slice(max(-lo, 0), n - max(-hi, 0))
            dst[axis] = slice(max(lo, 0), size - max(hi, 0))
        out = np.full(out_shape, value, dtype=x.dtype)
        out[tuple(dst)] = x[tuple(src)]
        ctx.shape, ctx.src, ctx.dst = x.shape, tuple(src), tuple(dst)
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, src, dst = ctx.shape, ctx.src, ctx.dst
        g = np.zeros(shape, dtype=grad.dtype)
        g[src] = grad[dst]
        return g


def pad_index(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """Source index of every output position along one axis padded by (lo, hi)."""
    if lo < 0 or hi < 0:
        raise not_in_subset(f"negative padding in mode '{mode}'", "use mode='constant' to crop")
    if mode == "reflect" and (lo >= n or hi >= n):
        raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                           f"but got: padding ({lo}, {hi}) at dimension of input size {n}")
    if mode == "circular" and (lo > n or hi > n):
        raise ValueError("Padding value causes wrapping around more than once.")
    if n == 0:
        raise RuntimeError(f"padding mode '{mode}' needs a non-empty input dimension")
    src = np.arange(-lo, n + hi)
    if mode == "reflect":
        src = np.abs(src)
        return np.where(src >= n, 2 * (n - 1) - src, src)
    if mode == "replicate":
        return np.clip(src, 0, n - 1)
    return src % n  # circular


class GatherPad(Function):
    """Reflect / replicate / circular padding as a gather per padded axis."""

    @staticmethod
    def forward(ctx, x, maps):
        out = x
        for axis, index in maps:
            out = np.take(out, index, axis=axis)
        ctx.shape, ctx.maps = x.shape, maps
        return out

    @staticmethod
    def backward(ctx, grad):
        shape, maps = ctx.shape, ctx.maps
        g = grad
        for axis, index in reversed(maps):
            rows = np.moveaxis(g, axis, 0)
            summed = scatter_rows(index, rows, shape[axis])
            g = np.moveaxis(summed, 0, axis)
        return g


def pad(input, pad, mode="constant", value=None):
    """Pad ``input``: ``pad = (left, right, top, bottom, ...)``, last dim first (see torch.nn.functional.pad)."""
    x = input._data
    pairs = _pairs(pad, x.ndim)
    if mode == "constant":
        return ConstantPad.apply(input, pairs=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value:
        raise ValueError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    maps = tuple((axis, pad_index(x.shape[axis], lo, hi, mode))
                 for axis, (lo, hi) in sorted(pairs.items(), reverse=True) if lo or hi)
    if not maps:
        return input
    return GatherPad.apply(input, maps=maps)


# ---------------------------------------------------------------- interpolate

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
CUBIC_A = -0.75  # Keys' cubic convolution parameter, PyTorch's choice


def cubic_weights(t: np.ndarray) -> np.ndarray:
    """Weights of the 4 taps at offsets -1, 0, 1, 2 for fractional positions ``t`` (Keys' kernel):
    |x| <= 1: (A+2)|x|^3 - (A+3)|x|^2 + 1;  1 < |x| < 2: A|x|^3 - 5A|x|^2 + 8A|x| - 4A."""
    a = CUBIC_A
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731
    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def _scale(in_size, out_size, align_corners, scale_factor, dtype):
    """PyTorch's ``area_pixel_compute_scale`` in the compute precision ``dtype``."""
    t = dtype.type
    if align_corners:
        return t(in_size - 1) / t(out_size - 1) if out_size > 1 else t(0)
    if scale_factor is not None and scale_factor > 0:
        return t(1.0 / scale_factor)
    return t(in_size) / t(out_size)


def axis_matrix(in_size, out_size, mode, align_corners, scale_factor, dtype) -> np.ndarray:
    """The (out, in) matrix that resamples one axis."""
    dtype = np.dtype(dtype)
    m = np.zeros((out_size, in_size), dtype=dtype)
    rows = np.arange(out_size)
    if mode == "area":
        return adaptive_matrix(in_size, out_size, dtype)
    if mode in ("nearest", "nearest-exact"):
        scale = np.float32(1.0 / scale_factor) if scale_factor else np.float32(in_size) / np.float32(out_size)
        if mode == "nearest":
            if out_size == in_size:
                src = rows
            elif out_size == 2 * in_size:
                src = rows >> 1
            else:
                src = np.floor(rows.astype(np.float32) * scale).astype(np.int64)
        else:
            src = np.floor(((rows + 0.5) * np.float64(scale)).astype(np.float32)).astype(np.int64)
        m[rows, np.minimum(src, in_size - 1)] = 1
        return m
    scale = _scale(in_size, out_size, align_corners, scale_factor, dtype)
    if mode == "bicubic":  # source index not clamped at 0; taps beyond the border read the edge
        real = scale * rows.astype(dtype) if align_corners else (np.float64(scale) * (rows + 0.5) - 0.5).astype(dtype)
        i0 = np.floor(real).astype(np.int64)
        weights = cubic_weights((real - i0).astype(dtype)).astype(dtype)
        for tap in range(4):
            np.add.at(m, (rows, np.clip(i0 - 1 + tap, 0, in_size - 1)), weights[:, tap])
        return m
    if align_corners:
        real = scale * rows.astype(dtype)
    else:
        real = np.maximum(np.float64(scale) * (rows + 0.5) - 0.5, 0).astype(dtype)
    i0 = real.astype(np.int64)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam1 = np.clip(real - i0.astype(dtype), 0, 1).astype(dtype)
    lam0 = (1 - lam1).astype(dtype)
    m[rows, i0] += lam0   # one entry per row in each statement; i0 == i1 at the border adds up
    m[rows, i1] += lam1
    return m


def _along(x: np.ndarray, m: np.ndarray, axis: int) -> np.ndarray:
    """Apply ``m: (out, in)`` along ``axis`` of ``x``."""
    if axis == x.ndim - 1:
        return np.matmul(x, m.T)
    if axis == x.ndim - 2:
        return np.matmul(m, x)
    return np.moveaxis(np.matmul(np.moveaxis(x, axis, -1), m.T), -1, axis)


class Resample(Function):
    """Separable resampling: one fixed matrix per spatial axis."""

    @staticmethod
    def forward(ctx, x, mats):
        out = x
        for axis, m in mats:
            out = _along(out, m, axis)
        ctx.mats = mats
        return np.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        g = grad
        for axis, m in reversed(ctx.mats):
            g = _along(g, m.T, axis)
        return np.ascontiguousarray(g)


def _spatial_tuple(value, n, name):
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(f"Input and {name} must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {n} and {name} of {list(value)}.")
        return tuple(value)
    return (value,) * n


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``(N, C, *spatial)``: modes nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area."""
    x = input._data
    n_spatial = x.ndim - 2
    if n_spatial < 1:
        raise ValueError(f"interpolate expects (N, C, *spatial) input; got shape {list(x.shape)}")
    if antialias:
        raise not_in_subset("interpolate(antialias=True)")
    if mode in _LINEAR:
        if _LINEAR[mode] != n_spatial:
            raise NotImplementedError(
                f"Got {x.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input")
        align_corners = bool(align_corners)
    elif mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    else:
        raise NotImplementedError(f"Input Error: unsupported interpolation mode {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("either size or scale_factor should be defined" if size is None
                         else "only one of size or scale_factor should be defined")
    in_sizes = x.shape[2:]
    if size is not None:
        out_sizes = tuple(int(s) for s in _spatial_tuple(size, n_spatial, "size"))
        scales = (None,) * n_spatial
    else:
        factors = tuple(float(f) for f in _spatial_tuple(scale_factor, n_spatial, "scale_factor"))
        out_sizes = tuple(int(math.floor(float(s) * f)) for s, f in zip(in_sizes, factors))
        scales = (None,) * n_spatial if recompute_scale_factor else factors
    if mode == "area":
        scales = (None,) * n_spatial
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    mats = tuple(
        (2 + i, axis_matrix(n_in, n_out, mode, align_corners, s, dtype))
        for i, (n_in, n_out, s) in enumerate(zip(in_sizes, out_sizes, scales))
        if not (n_in == n_out and mode in ("nearest", "nearest-exact", "area") and s in (None, 1.0))
    )
    if not mats:
        return input.clone() if hasattr(input, "clone") else input
    return Resample.apply(input, mats=mats)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)
