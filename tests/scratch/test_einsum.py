"""einsum with '...', implicit output and repeated letters: parity with PyTorch (values and grads)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check

DTYPES = [np.float64, np.float32]


def rnd(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


CASES = [
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)]),   # batch dims broadcast, size 1 too
    ("b...d,bd->b...", [(2, 3, 4, 5), (2, 5)]),
    ("i...->...", [(3, 4, 2)]),                           # ellipsis summed over nothing, i summed
    ("...ij->...", [(2, 3, 4)]),
    ("...,...->...", [(3, 1), (4,)]),
    ("bij,bjk", [(2, 3, 4), (2, 4, 5)]),                  # implicit output: i, k
    ("ij,jk", [(2, 3), (3, 4)]),
    ("i,i", [(5,), (5,)]),                                # implicit: a scalar
    ("ii->i", [(4, 4)]),                                  # diagonal
    ("ii", [(4, 4)]),                                     # trace
    ("...ii->...i", [(2, 3, 3)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),    # attention scores
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("eq, shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum(eq, shapes, dtype):
    arrays = [rnd(*shape, dtype=dtype, seed=i) for i, shape in enumerate(shapes)]
    check(lambda T, *xs: T.einsum(eq, *xs), *arrays, label=eq)
    check(lambda T, *xs: T.einsum(eq, list(xs)), *arrays, label=eq + " (list)")


@pytest.mark.parametrize("eq, shapes", [
    ("ij,jk->ik", [(2, 3), (4, 5)]), ("ij->ik", [(2, 3)]), ("ij,jk", [(2, 3)]), ("i..j", [(2, 3)]),
    ("ijk->ij", [(2, 3)]),
])
def test_errors_match_torch(eq, shapes):
    with pytest.raises(RuntimeError) as want:
        torch.einsum(eq, *[torch.zeros(s) for s in shapes])
    with pytest.raises(RuntimeError) as got:
        S.einsum(eq, *[S.zeros(s) for s in shapes])
    assert str(got.value) == str(want.value)
