"""F.unfold / F.fold, F.pixel_shuffle / F.pixel_unshuffle and their modules: parity against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check_functional, check_modules

R = np.random.default_rng(11)


def rn(*shape):
    return R.standard_normal(shape)


BLOCKS = [  # (input shape, kernel, dilation, padding, stride)
    ((2, 3, 7, 6), (2, 3), (1, 2), 1, (2, 1)),
    ((1, 2, 5, 5), 3, 1, 0, 1),
    ((2, 1, 6, 8), 2, 1, 0, 2),          # non-overlapping patches (ViT-style)
    ((3, 4, 4), 2, 2, (1, 0), 1),        # unbatched
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, k, d, p, s", BLOCKS)
def test_unfold(shape, k, d, p, s, dtype):
    check_functional("unfold", lambda F, x: F.unfold(x, k, dilation=d, padding=p, stride=s), rn(*shape), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, k, d, p, s", BLOCKS)
def test_fold_is_unfolds_adjoint(shape, k, d, p, s, dtype):
    cols = torch.nn.functional.unfold(torch.zeros(shape), k, dilation=d, padding=p, stride=s)
    out = shape[-2:]
    check_functional("fold", lambda F, c: F.fold(c, out, k, dilation=d, padding=p, stride=s), rn(*cols.shape),
                     dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, r", [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 1, 4, 3, 3), 2)])
def test_pixel_shuffle_and_unshuffle(shape, r, dtype):
    check_functional("pixel_shuffle", lambda F, x: F.pixel_shuffle(x, r), rn(*shape), dtype=dtype)
    back = (*shape[:-3], shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    check_functional("pixel_shuffle", lambda F, x: F.pixel_unshuffle(x, r), rn(*back), dtype=dtype)


def test_modules_and_repr():
    x = rn(2, 3, 6, 6)
    for tm, sm, arr in [
        (torch.nn.Unfold(3, padding=1, stride=2), S.nn.Unfold(3, padding=1, stride=2), x),
        (torch.nn.Fold((6, 6), 3, padding=1, stride=2), S.nn.Fold((6, 6), 3, padding=1, stride=2), rn(2, 27, 9)),
        (torch.nn.PixelShuffle(2), S.nn.PixelShuffle(2), rn(2, 12, 3, 3)),
        (torch.nn.PixelUnshuffle(3), S.nn.PixelUnshuffle(3), x),
    ]:
        assert repr(sm) == repr(tm)
        check_modules("patches", tm, sm, arr)


@pytest.mark.parametrize("call", [
    lambda F, T: F.unfold(T.zeros(2, 3, 4, 5, 6), 2),
    lambda F, T: F.unfold(T.zeros(1, 2, 3, 3), 5),
    lambda F, T: F.unfold(T.zeros(1, 2, 3, 3), 2, stride=0),
    lambda F, T: F.fold(T.zeros(1, 7, 4), (3, 3), 2),
    lambda F, T: F.fold(T.zeros(1, 8, 5), (3, 3), 2),
    lambda F, T: F.pixel_shuffle(T.zeros(1, 5, 2, 2), 2),
    lambda F, T: F.pixel_shuffle(T.zeros(5, 2), 2),
    lambda F, T: F.pixel_unshuffle(T.zeros(1, 1, 3, 4), 2),
])
def test_errors_match_torch(call):
    with pytest.raises(RuntimeError) as want:
        call(torch.nn.functional, torch)
    with pytest.raises(RuntimeError) as got:
        call(S.nn.functional, S)
    assert str(got.value) == str(want.value)
