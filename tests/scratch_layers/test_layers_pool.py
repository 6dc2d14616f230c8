"""Pooling parity: max / avg / adaptive-avg pooling against PyTorch (values, indices, gradients)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from harness import check_functional

R = np.random.default_rng(1)


def rn(*shape):
    return R.standard_normal(shape)


POOL_CASES = [
    ((2, 3, 8, 8), {"kernel_size": 2}),
    ((2, 3, 7, 9), {"kernel_size": 3, "stride": 2}),
    ((1, 2, 9, 7), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1)}),
    ((2, 2, 7, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((1, 3, 6, 5), {"kernel_size": 2, "stride": 3, "ceil_mode": True}),
    ((1, 1, 1, 1), {"kernel_size": 1}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("xs, kw", POOL_CASES + [((2, 2, 11, 10), {"kernel_size": 3, "dilation": 2, "padding": 1})])
def test_max_pool2d(xs, kw, dtype):
    check_functional("pool", lambda F, x: F.max_pool2d(x, **kw), rn(*xs), dtype=dtype)
    check_functional("pool", lambda F, x: F.max_pool2d(x, return_indices=True, **kw), rn(*xs), dtype=dtype)


def test_max_pool2d_ties_first_argmax():
    # many equal values: the gradient goes to the first maximal element of each window (torch's rule)
    x = np.round(R.standard_normal((2, 3, 9, 9)) * 0.7)
    for kw in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}, {"kernel_size": 3, "stride": 2}):
        check_functional("pool", lambda F, x: F.max_pool2d(x, return_indices=True, **kw), x)
    check_functional("pool", lambda F, x: F.max_pool2d(x, 2), np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("xs, kw", POOL_CASES)
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool2d(xs, kw, include_pad, dtype):
    check_functional("pool", lambda F, x: F.avg_pool2d(x, count_include_pad=include_pad, **kw), rn(*xs), dtype=dtype)


def test_avg_pool2d_divisor_override_and_unbatched():
    check_functional("pool", lambda F, x: F.avg_pool2d(x, 3, 2, 1, divisor_override=4), rn(2, 3, 7, 6))
    check_functional("pool", lambda F, x: F.avg_pool2d(x, 2), rn(3, 6, 4))
    check_functional("pool", lambda F, x: F.max_pool2d(x, 2), rn(3, 6, 4))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("xs, size", [
    ((2, 3, 8, 8), (1, 1)), ((2, 3, 7, 9), (3, 4)), ((1, 2, 5, 5), 7), ((2, 2, 6, 9), (None, 4)),
    ((3, 10, 10), 3),
])
def test_adaptive_avg_pool2d(xs, size, dtype):
    check_functional("pool", lambda F, x: F.adaptive_avg_pool2d(x, size), rn(*xs), dtype=dtype)


def test_pool1d():
    x = rn(2, 3, 11)
    check_functional("pool", lambda F, x: F.max_pool1d(x, 3, 2, 1), x)
    check_functional("pool", lambda F, x: F.max_pool1d(x, 2, return_indices=True), x)
    check_functional("pool", lambda F, x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), x)
    check_functional("pool", lambda F, x: F.adaptive_avg_pool1d(x, 4), x)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3),
       p=st.integers(0, 2), ceil=st.booleans(), avg=st.booleans())
def test_pool_property(h, w, k, s, p, ceil, avg):
    if p > k // 2 or h + 2 * p < k or w + 2 * p < k:
        return
    x = np.round(rn(2, 2, h, w) * 2) / 2  # some ties
    if avg:
        check_functional("pool", lambda F, x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil), x)
    else:
        check_functional("pool", lambda F, x: F.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True), x)
