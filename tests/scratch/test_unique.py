"""torch.unique / unique_consecutive / Tensor.unique against PyTorch (exact: integer results)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check

R = np.random.default_rng(5)
INTS = R.integers(0, 4, (5, 3))
INTS[3] = INTS[1]  # a repeated row, for dim=0


@pytest.mark.parametrize("kw", [
    {}, {"sorted": False}, {"return_inverse": True}, {"return_counts": True},
    {"return_inverse": True, "return_counts": True}, {"dim": 0, "return_inverse": True, "return_counts": True},
    {"dim": 1, "return_counts": True}, {"dim": -2, "return_inverse": True},
])
def test_unique_ints(kw):
    check(lambda T, x: T.unique(x, **kw), INTS, backward=False)
    check(lambda T, x: x.unique(**kw), INTS.astype(np.int32), backward=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unique_floats_keep_nans_apart(dtype):
    x = np.array([2.0, np.nan, 1.0, 2.0, np.nan, -0.5], dtype=dtype)
    check(lambda T, a: T.unique(a, return_inverse=True, return_counts=True), x, backward=False)


def test_unique_bools_and_empty():
    check(lambda T, x: T.unique(x, return_counts=True), np.array([True, False, True]), backward=False)
    check(lambda T, x: T.unique(x, dim=0, return_counts=True), np.zeros((0, 3)), backward=False)


@pytest.mark.parametrize("kw", [{}, {"return_inverse": True, "return_counts": True},
                                {"dim": 0, "return_inverse": True, "return_counts": True}])
def test_unique_consecutive(kw):
    x = np.array([[1, 2], [1, 2], [0, 5], [1, 2], [1, 2]])
    check(lambda T, a: T.unique_consecutive(a, **kw), x, backward=False)
    check(lambda T, a: a.flatten().unique_consecutive(**{k: v for k, v in kw.items() if k != "dim"}), x,
          backward=False)


def test_not_differentiable_like_torch():
    for T in (torch, S):
        x = T.tensor([1.0, 2.0, 1.0], requires_grad=True)
        u = T.unique(x)
        assert u.requires_grad
        with pytest.raises(NotImplementedError, match="the derivative for '_unique2' is not implemented"):
            u.sum().backward()


def test_dim_out_of_range():
    with pytest.raises(IndexError) as want:
        torch.unique(torch.zeros(2, 2), dim=3)
    with pytest.raises(IndexError) as got:
        S.unique(S.zeros(2, 2), dim=3)
    assert str(got.value) == str(want.value)
