"""Ops found missing in the issue-19 audit: Tensor.unfold, diff, cdist, tensordot, kron,
linalg.cholesky (with backward), bincount, searchsorted, histc — parity with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check

DTYPES = [np.float64, np.float32]


def rnd(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("shape, dim, size, step", [((10,), 0, 3, 2), ((2, 7, 3), 1, 3, 2), ((2, 7, 3), -1, 2, 1),
                                                    ((4, 5), 0, 4, 3)])
def test_tensor_unfold(shape, dim, size, step, dtype):
    check(lambda T, x: x.unfold(dim, size, step), rnd(*shape, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_diff(dtype):
    x = rnd(3, 6, dtype=dtype)
    check(lambda T, a: T.diff(a), x)
    check(lambda T, a: T.diff(a, n=2, dim=0), x)
    check(lambda T, a, p: a.diff(dim=1, prepend=p, append=p * 2), x, rnd(3, 2, dtype=dtype, seed=1))
    check(lambda T, a: T.diff(a), np.array([1, 4, 9, 16]), backward=False)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_cdist(p, dtype):
    check(lambda T, a, b: T.cdist(a, b, p=p), rnd(2, 4, 3, dtype=dtype), rnd(2, 5, 3, dtype=dtype, seed=1))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_tensordot_and_kron(dtype):
    a, b = rnd(3, 4, 5, dtype=dtype), rnd(4, 5, 2, dtype=dtype, seed=1)
    check(lambda T, x, y: T.tensordot(x, y), a, b)
    check(lambda T, x, y: T.tensordot(x, y, dims=([1, 2], [0, 1])), a, b)
    check(lambda T, x, y: T.tensordot(x, y, dims=([0], [2])), rnd(2, 3, dtype=dtype), b)
    check(lambda T, x, y: T.tensordot(x, y, dims=0), rnd(2, dtype=dtype), rnd(3, dtype=dtype, seed=1))
    check(lambda T, x, y: T.kron(x, y), rnd(2, 3, dtype=dtype), rnd(4, 2, dtype=dtype, seed=1))
    check(lambda T, x, y: T.kron(x, y), rnd(3, dtype=dtype), rnd(2, 2, dtype=dtype, seed=1))


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper, dtype):
    a = rnd(2, 4, 4, seed=3)
    spd = (a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4)).astype(dtype)
    check(lambda T, x: T.linalg.cholesky(x, upper=upper), spd)
    check(lambda T, x: T.cholesky(x[0]) if not upper else T.linalg.cholesky(x[0], upper=True), spd)


def test_cholesky_refuses_a_matrix_that_is_not_positive_definite():
    with pytest.raises(torch.linalg.LinAlgError) as want:
        torch.linalg.cholesky(-torch.eye(2))
    with pytest.raises(S.linalg.LinAlgError) as got:
        S.linalg.cholesky(-S.eye(2))
    assert str(got.value) == str(want.value)


def test_counting():
    x = np.array([1, 1, 3, 0, 7])
    check(lambda T, a: (T.bincount(a), T.bincount(a, minlength=10), a.bincount()), x, backward=False)
    check(lambda T, a, w: T.bincount(a, weights=w), x, rnd(5), grad=False)
    seq, values = np.array([1.0, 3.0, 5.0, 7.0]), np.array([[3.0, 6.0], [0.0, 9.0]])
    check(lambda T, s, v: (T.searchsorted(s, v), T.searchsorted(s, v, right=True),
                           T.searchsorted(s, v, side="right", out_int32=True)), seq, values, backward=False)
    check(lambda T, s, v: T.searchsorted(s, v), np.sort(rnd(2, 5), -1), rnd(2, 3, seed=1), backward=False)
    check(lambda T, a: (T.histc(a, 5), T.histc(a, bins=4, min=-1, max=1), a.histc(3)), rnd(50), backward=False)
    for T in (torch, S):
        with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
            T.bincount(T.tensor([-1]))


@pytest.mark.parametrize("call", [
    lambda T: T.arange(10.0).unfold(0, 11, 1),
    lambda T: T.arange(10.0).unfold(0, 3, 0),
    lambda T: T.cdist(T.zeros(3, 4), T.zeros(5, 3)),
])
def test_errors_match_torch(call):
    with pytest.raises(RuntimeError) as want:
        call(torch)
    with pytest.raises(RuntimeError) as got:
        call(S)
    assert str(got.value) == str(want.value)
