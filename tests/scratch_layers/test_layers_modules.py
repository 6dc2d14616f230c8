"""Module parity (conv, pooling, normalization, embedding, dropout2d, upsample): same state_dict,
same outputs and gradients as torch; state_dict round trips in both directions; default init."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from neuralab.scratch.nn.modules import conv as C, dropout_nd as D, normalization as N, pooling as P
from neuralab.scratch.nn.modules import sparse as SP
from harness import check_modules, copy_state, engine_tensor

R = np.random.default_rng(4)


def rn(*shape):
    return R.standard_normal(shape)


CASES = [
    ("conv", lambda nn: nn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    ("conv", lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, dilation=(1, 2), groups=2, bias=False), (2, 4, 9, 8)),
    ("conv", lambda nn: nn.Conv2d(2, 3, 4, padding="same"), (1, 2, 5, 6)),
    ("conv", lambda nn: nn.Conv2d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 2, 5, 5)),
    ("conv", lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (2, 2, 5, 5)),
    ("conv", lambda nn: nn.Conv2d(2, 3, 3, padding="same", padding_mode="replicate"), (2, 2, 5, 5)),
    ("conv", lambda nn: nn.Conv1d(3, 5, 3, stride=2, padding=1), (2, 3, 10)),
    ("conv", lambda nn: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), (2, 4, 5, 4)),
    ("conv", lambda nn: nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2, bias=False), (2, 4, 3, 3)),
    ("conv", lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), (2, 3, 7)),
    ("pool", lambda nn: nn.MaxPool2d(2), (2, 3, 8, 7)),
    ("pool", lambda nn: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 7)),
    ("pool", lambda nn: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 8, 7)),
    ("pool", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 7)),
    ("pool", lambda nn: nn.MaxPool1d(3, 2), (2, 3, 9)),
    ("pool", lambda nn: nn.AvgPool1d(2), (2, 3, 9)),
    ("pool", lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    ("layernorm", lambda nn: nn.LayerNorm(5), (3, 4, 5)),
    ("layernorm", lambda nn: nn.LayerNorm((4, 5), eps=1e-3, bias=False), (3, 4, 5)),
    ("layernorm", lambda nn: nn.LayerNorm([5], elementwise_affine=False), (3, 5)),
    ("groupnorm", lambda nn: nn.GroupNorm(2, 6), (3, 6, 4, 4)),
    ("groupnorm", lambda nn: nn.GroupNorm(3, 3, affine=False), (2, 3, 5)),
    ("groupnorm", lambda nn: nn.GroupNorm(1, 4, bias=False), (2, 4, 3)),
    ("interpolate", lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    ("interpolate", lambda nn: nn.Upsample(size=(7, 3), mode="bilinear"), (2, 3, 4, 5)),
    ("interpolate", lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    ("interpolate", lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 3)),
    ("interpolate", lambda nn: nn.UpsamplingNearest2d(size=5), (1, 2, 3, 3)),
]

SNN = T.nn


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("family, build, shape", CASES)
def test_module_parity(family, build, shape, dtype):
    torch.manual_seed(0)
    check_modules(family, build(torch.nn), build(SNN), rn(*shape), dtype=dtype)


@pytest.mark.parametrize("family, build, shape", [CASES[1], CASES[7], CASES[18], CASES[20]])
def test_state_dict_round_trip_from_scratch(family, build, shape):
    """scratch -> torch: the scratch module's own (random) init loaded into torch gives torch's numbers."""
    T.manual_seed(1)
    sm, tm = build(SNN).to(T.float64), build(torch.nn).double()
    copy_state(sm, tm)
    check_modules(family, tm, sm, rn(*shape), copy_state=False)
    # and back: torch -> scratch -> torch keeps every value
    tm2 = build(torch.nn).double()
    copy_state(sm, tm2)
    for (k, v), (k2, v2) in zip(tm.state_dict().items(), tm2.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("build, shape", [
    (lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    (lambda nn: nn.BatchNorm2d(3, momentum=None), (4, 3, 5, 5)),
    (lambda nn: nn.BatchNorm1d(4, momentum=0.3, eps=1e-3), (6, 4)),
    (lambda nn: nn.BatchNorm1d(4, affine=False), (6, 4, 3)),
    (lambda nn: nn.BatchNorm2d(3, bias=False), (3, 3, 2, 2)),
    (lambda nn: nn.BatchNorm2d(3, track_running_stats=False), (4, 3, 2, 2)),
    (lambda nn: nn.BatchNorm3d(2), (3, 2, 2, 3, 2)),
])
def test_batchnorm_train_then_eval(build, shape, dtype):
    """Several training steps (running stats, num_batches_tracked equal), then eval mode."""
    tm, sm = build(torch.nn), build(SNN)
    for step in range(4):
        x = rn(*shape) * (step + 1) + step
        tm.zero_grad(), sm.zero_grad()
        check_modules("batchnorm", tm, sm, x, dtype=dtype, copy_state=step == 0)
    tm.eval(), sm.eval()
    for step in range(2):
        check_modules("batchnorm", tm, sm, rn(*shape), dtype=dtype, copy_state=False)
    if tm.track_running_stats:
        assert int(sm.num_batches_tracked.item()) == 4
        assert sm.num_batches_tracked.dtype == T.int64


def test_batchnorm_errors_and_repr():
    with pytest.raises(ValueError, match="expected 4D input"):
        N.BatchNorm2d(3)(T.zeros(2, 3, 4))
    assert repr(N.BatchNorm2d(3)) == repr(torch.nn.BatchNorm2d(3))
    assert repr(C.Conv2d(1, 6, 5, padding=2)) == repr(torch.nn.Conv2d(1, 6, 5, padding=2))
    assert repr(P.MaxPool2d(2)) == repr(torch.nn.MaxPool2d(2))
    assert repr(N.LayerNorm(5)) == repr(torch.nn.LayerNorm(5))
    assert repr(N.GroupNorm(2, 4)) == repr(torch.nn.GroupNorm(2, 4))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding_module(dtype):
    idx = R.integers(0, 7, (3, 5))
    idx[0, 0] = idx[1, 1] = 2

    def call(m, i=idx):
        lib = torch if isinstance(m, torch.nn.Module) else T
        return m(torch.from_numpy(i) if lib is torch else engine_tensor(T, i))
    check_modules("embedding", torch.nn.Embedding(7, 4, padding_idx=2), SP.Embedding(7, 4, padding_idx=2),
                  dtype=dtype, call=call)
    sm = SP.Embedding(7, 4, padding_idx=2)
    assert not np.any(sm.weight._data[2])
    sm(engine_tensor(T, idx)).sum().backward()
    assert not np.any(sm.weight.grad._data[2]) and np.any(sm.weight.grad._data[1] if (idx == 1).any() else 1)


def test_embedding_from_pretrained():
    w = engine_tensor(T, rn(5, 3))
    emb = SP.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad
    out = emb(engine_tensor(T, np.array([4, 0])))
    np.testing.assert_array_equal(out._data, w._data[[4, 0]])
    assert SP.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


def test_dropout2d_module_modes():
    m = D.Dropout2d(0.5)
    x = T.ones(8, 6, 3, 3)
    y = m(x)
    assert np.all(np.isin(y._data, [0.0, 2.0]))
    m.eval()
    assert m(x) is x
    assert repr(m) == repr(torch.nn.Dropout2d(0.5))


@pytest.mark.parametrize("build", [
    lambda nn: nn.Conv2d(16, 32, 3), lambda nn: nn.Conv1d(8, 4, 5, groups=2), lambda nn: nn.ConvTranspose2d(16, 8, 4),
    lambda nn: nn.Embedding(50, 40),
])
def test_default_init_matches_torch_distribution(build):
    """Same distribution family and bounds as torch (two-sample comparison of moments and ranges)."""
    torch.manual_seed(0)
    T.manual_seed(0)
    tm, sm = build(torch.nn), build(SNN)
    for (name, tp), (sname, sp) in zip(tm.named_parameters(), sm.named_parameters()):
        assert name == sname
        a, b = sp._data.ravel(), tp.detach().numpy().ravel()
        assert sp._data.dtype == np.float32
        if a.size > 100:
            assert abs(a.std() - b.std()) < 0.1 * b.std(), name
        if "Embedding" not in type(tm).__name__:   # U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
            w = tm.weight
            bound = 1 / math.sqrt(w.shape[1] * math.prod(w.shape[2:]))
            assert np.abs(a).max() <= bound and np.abs(b).max() <= bound, name
            if a.size > 100:
                assert np.abs(a).max() > 0.9 * bound, name
