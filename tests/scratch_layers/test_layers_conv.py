"""Convolution parity: conv1d / conv2d / conv_transpose2d against PyTorch (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from harness import check_functional

R = np.random.default_rng(0)


def rn(*shape):
    return R.standard_normal(shape)


CONV2D_CASES = [
    # (N, C, H, W), (O, KH, KW), kwargs
    ((2, 3, 7, 9), (4, 3, 3), {}),
    ((1, 1, 28, 28), (6, 5, 5), {"padding": 2}),
    ((3, 4, 8, 7), (6, 3, 2), {"stride": 2, "padding": 1}),
    ((2, 4, 11, 10), (4, 3, 3), {"stride": (2, 3), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 6, 9, 9), (4, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 6, 6), (8, 3, 3), {"groups": 4, "stride": 2}),     # depthwise-style multiplier
    ((1, 2, 5, 6), (3, 4, 2), {"padding": "same"}),            # even kernel: asymmetric 'same'
    ((1, 2, 6, 7), (3, 3, 3), {"padding": "same", "dilation": 2}),
    ((2, 3, 5, 5), (2, 5, 5), {"padding": "valid"}),
    ((1, 1, 1, 1), (1, 1, 1), {}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("xs, ws, kw", CONV2D_CASES)
def test_conv2d(xs, ws, kw, dtype):
    g = kw.get("groups", 1)
    x, w, b = rn(*xs), rn(ws[0], xs[1] // g, ws[1], ws[2]), rn(ws[0])
    check_functional("conv", lambda F, x, w, b: F.conv2d(x, w, b, **kw), x, w, b, dtype=dtype)


def test_conv2d_no_bias_unbatched():
    x, w = rn(3, 6, 5), rn(2, 3, 3, 2)
    check_functional("conv", lambda F, x, w: F.conv2d(x, w, None, stride=(1, 2), padding=1), x, w)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("xs, o, k, kw", [
    ((2, 3, 10), 4, 3, {}),
    ((3, 4, 17), 6, 5, {"stride": 3, "padding": 2, "dilation": 2, "groups": 2}),
    ((1, 2, 8), 2, 4, {"padding": "same"}),
])
def test_conv1d(xs, o, k, kw, dtype):
    g = kw.get("groups", 1)
    x, w, b = rn(*xs), rn(o, xs[1] // g, k), rn(o)
    check_functional("conv", lambda F, x, w, b: F.conv1d(x, w, b, **kw), x, w, b, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("xs, o, k, kw", [
    ((2, 3, 5, 4), 4, (3, 3), {}),
    ((2, 4, 4, 5), 3, (3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 2, 3, 3), 5, (4, 4), {"stride": (2, 3), "padding": (1, 2), "output_padding": (0, 2)}),
    ((2, 4, 5, 5), 6, (3, 3), {"stride": 2, "groups": 2, "dilation": 2, "output_padding": 1}),
    ((3, 8, 7, 7), 16, (4, 4), {"stride": 2, "padding": 1}),   # DCGAN-style upsampling
])
def test_conv_transpose2d(xs, o, k, kw, dtype):
    g = kw.get("groups", 1)
    x, w, b = rn(*xs), rn(xs[1], o // g, *k), rn(o)
    check_functional("conv", lambda F, x, w, b: F.conv_transpose2d(x, w, b, **kw), x, w, b, dtype=dtype)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 3), c=st.integers(1, 3), o=st.integers(1, 3), g=st.sampled_from([1, 2]),
    h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 4), kw=st.integers(1, 4),
    sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
    dh=st.integers(1, 2), dw=st.integers(1, 2), bias=st.booleans(),
)
def test_conv2d_property(n, c, o, g, h, w, kh, kw, sh, sw, ph, pw, dh, dw, bias):
    hp, wp = h + 2 * ph - dh * (kh - 1), w + 2 * pw - dw * (kw - 1)
    if hp < 1 or wp < 1:
        return
    x, wt = rn(n, c * g, h, w), rn(o * g, c, kh, kw)
    b = rn(o * g) if bias else None
    args = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=g)
    check_functional("conv", lambda F, x, wt, b=None: F.conv2d(x, wt, b, **args), x, wt, *([b] if bias else []))


def test_conv2d_errors():
    import neuralab.scratch as T
    from neuralab.scratch.ops.conv import conv2d
    with pytest.raises(RuntimeError, match="expected input.*to have 1 channels, but got 3"):
        conv2d(T.zeros(2, 3, 8, 8), T.zeros(4, 1, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        conv2d(T.zeros(1, 1, 2, 2), T.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match="strided"):
        conv2d(T.zeros(1, 1, 5, 5), T.zeros(1, 1, 3, 3), stride=2, padding="same")


def test_conv2d_keeps_float32():
    import neuralab.scratch as T
    from neuralab.scratch.ops.conv import conv2d, conv_transpose2d
    x = T.randn(2, 3, 6, 6, requires_grad=True)
    w = T.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w, T.zeros(4), padding=1)
    z = conv_transpose2d(y, T.randn(4, 2, 2, 2), stride=2)
    z.sum().backward()
    assert y.dtype == T.float32 and z.dtype == T.float32
    assert x.grad.dtype == T.float32 and w.grad.dtype == T.float32


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_large_products_use_one_matrix(dtype):
    """Per-sample products above the small-GEMM size run as one big GEMM: same numbers."""
    from neuralab.scratch.ops._blas import is_small
    assert not is_small(64, 14 * 14, 32 * 9) and not is_small(32, 12 * 12, 16 * 9)
    x, w, b = rn(2, 32, 14, 14), rn(64, 32, 3, 3), rn(64)
    check_functional("conv", lambda F, x, w, b: F.conv2d(x, w, b, padding=1), x, w, b, dtype=dtype)
    check_functional("conv", lambda F, x, w: F.conv2d(x, w, None, padding=1, groups=2), x, rn(64, 16, 3, 3), dtype=dtype)
    x, w = rn(2, 32, 12, 12), rn(32, 16, 3, 3)
    check_functional("conv", lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1), x, w, rn(16), dtype=dtype)
