"""``_gemm`` (np.dot for 2-D float32/float64) gives exactly ``np.matmul``'s bits, in every layout."""

import itertools

import numpy as np
import pytest

from neuralab.scratch.ops.linalg import _gemm

SHAPES = [(4, 2, 4), (4, 4, 1), (1, 4, 4), (1, 1, 1), (3, 5, 7), (64, 128, 1), (1, 128, 64), (128, 784, 256)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", SHAPES)
def test_gemm_is_bit_identical_to_matmul(dtype, m, k, n):
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    for a_t, b_t in itertools.product((False, True), repeat=2):  # C- and F-ordered operands (weight.T, x.T)
        a = rng.standard_normal((k, m) if a_t else (m, k)).astype(dtype)
        b = rng.standard_normal((n, k) if b_t else (k, n)).astype(dtype)
        a, b = (a.T if a_t else a), (b.T if b_t else b)
        np.testing.assert_array_equal(_gemm(a, b), np.matmul(a, b))


def test_gemm_falls_back_to_matmul_beyond_2d_and_blas_floats():
    a3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    w = np.ones((4, 5), dtype=np.float32)
    np.testing.assert_array_equal(_gemm(a3, w), np.matmul(a3, w))   # np.dot would not use BLAS here
    h = np.ones((3, 4), dtype=np.float16)
    assert _gemm(h, w.astype(np.float16)).dtype == np.float16
