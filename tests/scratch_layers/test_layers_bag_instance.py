"""EmbeddingBag / F.embedding_bag and InstanceNorm1d/2d/3d / F.instance_norm: parity with PyTorch
(outputs, input and weight gradients, running statistics)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check_functional, check_modules

R = np.random.default_rng(8)
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0])
OFFSETS = np.array([0, 4, 4, 7])  # the second bag is empty


def rn(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 0])
def test_embedding_bag_offsets(mode, padding_idx, dtype):
    check_functional("embedding_bag", lambda F, w: F.embedding_bag(
        (torch if F is torch.nn.functional else S).from_numpy(FLAT), w,
        (torch if F is torch.nn.functional else S).from_numpy(OFFSETS), mode=mode, padding_idx=padding_idx),
        rn(10, 3), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_bag_2d_last_offset_and_weights(dtype):
    def fn(F, w, psw):
        T = torch if F is torch.nn.functional else S
        two_d = F.embedding_bag(T.from_numpy(FLAT[:8].reshape(2, 4)), w, mode="max")
        last = F.embedding_bag(T.from_numpy(FLAT), w, T.from_numpy(np.array([0, 3, 10])), mode="mean",
                               include_last_offset=True)
        weighted = F.embedding_bag(T.from_numpy(FLAT), w, T.from_numpy(OFFSETS), mode="sum", per_sample_weights=psw)
        return two_d, last, weighted
    check_functional("embedding_bag", fn, rn(10, 3), rn(10), dtype=dtype)


def test_embedding_bag_module():
    tm, sm = torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2), S.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2)
    assert repr(sm) == repr(tm) and not sm.weight.detach().numpy()[2].any()
    check_modules("embedding_bag", tm, sm, FLAT, OFFSETS)  # output and weight gradient
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        sm(S.from_numpy(FLAT))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (2, 3, 7)), ("InstanceNorm2d", (2, 3, 4, 5)),
                                        ("InstanceNorm3d", (2, 3, 2, 3, 4)), ("InstanceNorm2d", (3, 4, 5))])
@pytest.mark.parametrize("kw", [{}, {"affine": True, "track_running_stats": True, "momentum": 0.3}])
def test_instance_norm_modules(cls, shape, kw, dtype):
    tm, sm = getattr(torch.nn, cls)(3, **kw), getattr(S.nn, cls)(3, **kw)
    assert repr(sm) == repr(tm)
    assert list(sm.state_dict()) == list(tm.state_dict())
    x = rn(*shape)
    check_modules("instance_norm", tm, sm, x, dtype=dtype)       # training: input stats, buffers updated
    tm.eval()
    sm.eval()
    check_modules("instance_norm", tm, sm, x * 2 + 1, dtype=dtype, copy_state=False)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_instance_norm_functional(dtype):
    check_functional("instance_norm", lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
                     rn(2, 3, 6), rn(3), rn(3), dtype=dtype)


def test_instance_norm_errors_match_torch():
    for call in (lambda T: T.nn.InstanceNorm1d(3)(T.zeros(2, 3, 4, 5)),
                 lambda T: T.nn.InstanceNorm2d(3, affine=True)(T.zeros(2, 3, 4))):
        with pytest.raises(ValueError) as want:
            call(torch)
        with pytest.raises(ValueError) as got:
            call(S)
        assert str(got.value) == str(want.value)
