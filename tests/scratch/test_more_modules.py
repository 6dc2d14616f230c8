"""Activations, losses, distances, legacy constructors, compile / jit (issue #19 item 6), against torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from tests.scratch.harness import check, check_module

RNG = np.random.default_rng(6)


def _away_from(x, points, gap=0.05):
    """``x`` nudged off the kinks at ``points`` (finite slopes differ only there, by convention)."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] = p + gap * np.sign(x[near] - p + 1e-300) * 2
    return x


ACTIVATIONS = {
    "selu": (lambda F, x: F.selu(x), [0.0]),
    "celu": (lambda F, x: F.celu(x, alpha=0.7), [0.0]),
    "hardsigmoid": (lambda F, x: F.hardsigmoid(x), [-3.0, 3.0]),
    "hardswish": (lambda F, x: F.hardswish(x), [-3.0, 3.0]),
    "threshold": (lambda F, x: F.threshold(x, 0.3, -2.0), [0.3]),
    "hardshrink": (lambda F, x: F.hardshrink(x, 0.4), [-0.4, 0.4]),
    "softshrink": (lambda F, x: F.softshrink(x, 0.4), [-0.4, 0.4]),
    "tanhshrink": (lambda F, x: F.tanhshrink(x), []),
    "glu": (lambda F, x: F.glu(x, 1), []),
    "rrelu eval": (lambda F, x: F.rrelu(x, 0.1, 0.3, training=False), [0.0]),
    "mish": (lambda F, x: F.mish(x), []),
    "softsign": (lambda F, x: F.softsign(x), []),
    "logsigmoid": (lambda F, x: F.logsigmoid(x), []),
    "hardtanh": (lambda F, x: F.hardtanh(x, -0.5, 0.8), [-0.5, 0.8]),
    "softmin": (lambda F, x: F.softmin(x, dim=1), []),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activations_match_torch(name, dtype):
    fn, kinks = ACTIVATIONS[name]
    x = _away_from(RNG.standard_normal((4, 6)) * 3, kinks).astype(dtype)
    check(lambda T, x: fn(T.nn.functional, x), x, label=name)


MODULES = {
    "PReLU shared": lambda T: T.nn.PReLU(),
    "PReLU per channel": lambda T: T.nn.PReLU(4, init=0.1),
    "SELU": lambda T: T.nn.SELU(), "CELU": lambda T: T.nn.CELU(0.5), "Mish": lambda T: T.nn.Mish(),
    "Hardtanh": lambda T: T.nn.Hardtanh(-2.0, 2.0), "Hardswish": lambda T: T.nn.Hardswish(),
    "Hardsigmoid": lambda T: T.nn.Hardsigmoid(), "Softsign": lambda T: T.nn.Softsign(),
    "LogSigmoid": lambda T: T.nn.LogSigmoid(), "Threshold": lambda T: T.nn.Threshold(0.1, 20.0),
    "Softmin": lambda T: T.nn.Softmin(dim=1), "GLU": lambda T: T.nn.GLU(1), "Tanhshrink": lambda T: T.nn.Tanhshrink(),
    "Softshrink": lambda T: T.nn.Softshrink(0.3), "Hardshrink": lambda T: T.nn.Hardshrink(0.3),
    "RReLU eval": lambda T: T.nn.RReLU().eval(),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_activation_modules_match_torch(name):
    x = _away_from(RNG.standard_normal((2, 4, 5)) * 3, [0.0, 0.1, 0.3, -0.3, -2.0, 2.0, 3.0, -3.0])
    train = "eval" not in name
    tm, sm = check_module(MODULES[name], x, train=train, label=name)
    assert repr(sm) == repr(tm)
    assert list(sm.state_dict()) == list(tm.state_dict())


def _targets_pm1(n):
    return np.where(RNG.random(n) < 0.5, -1.0, 1.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(reduction, dtype):
    a, b, c = (RNG.standard_normal((5, 4)).astype(dtype) for _ in range(3))
    x1, x2 = RNG.standard_normal(6).astype(dtype), RNG.standard_normal(6).astype(dtype)
    y6 = _targets_pm1(6).astype(dtype)
    y5 = _targets_pm1(5).astype(dtype)
    labels = (RNG.random((5, 4)) < 0.5).astype(dtype)
    classes = RNG.integers(0, 4, 5)
    weight = RNG.random(4).astype(dtype) + 0.5
    var = (RNG.random((5, 4)) + 0.1).astype(dtype)
    r = {"reduction": reduction}
    F = lambda T: T.nn.functional  # noqa: E731
    check(lambda T, x1, x2, y: F(T).margin_ranking_loss(x1, x2, y, margin=0.2, **r), x1, x2, y6,
          grad=[True, True, False], label="margin_ranking")
    check(lambda T, x, y: F(T).hinge_embedding_loss(x, y, margin=0.8, **r), x1, y6, grad=[True, False],
          label="hinge_embedding")
    check(lambda T, a, b, y: F(T).cosine_embedding_loss(a, b, y, margin=0.1, **r), a, b, y5,
          grad=[True, True, False], label="cosine_embedding")
    check(lambda T, a, b, c: F(T).triplet_margin_loss(a, b, c, margin=1.5, **r), a, b, c, label="triplet")
    check(lambda T, a, b, c: F(T).triplet_margin_loss(a, b, c, p=1.0, swap=True, **r), a, b, c,
          label="triplet p=1 swap")
    check(lambda T, x, y: F(T).multilabel_soft_margin_loss(x, y, **r), a, labels, grad=[True, False],
          label="multilabel_soft_margin")
    check(lambda T, x, y, w: F(T).multilabel_soft_margin_loss(x, y, weight=w, **r), a, labels, weight,
          grad=[True, False, False], label="multilabel_soft_margin weighted")
    for p in (1, 2):
        check(lambda T, x, y: F(T).multi_margin_loss(x, y, p=p, margin=0.9, **r), a, classes,
              grad=[True, False], label=f"multi_margin p={p}")
    check(lambda T, x, y, w: F(T).multi_margin_loss(x, y, weight=w, **r), a, classes, weight,
          grad=[True, False, False], label="multi_margin weighted")
    check(lambda T, mu, y, v: F(T).gaussian_nll_loss(mu, y, v, **r), a, b, var, label="gaussian_nll")
    check(lambda T, mu, y, v: F(T).gaussian_nll_loss(mu, y, v, full=True, **r), a, b, var[:, :1],
          label="gaussian_nll full, one var per row")
    check(lambda T, x, y: F(T).huber_loss(x, y, delta=0.5, **r), a, b, label="huber")
    check(lambda T, x, y: F(T).smooth_l1_loss(x, y, beta=0.5, **r), a, b, label="smooth_l1")
    check(lambda T, x, y: F(T).poisson_nll_loss(x, y, **r), a, np.abs(b), grad=[True, False], label="poisson_nll")


def test_loss_modules_match_torch():
    a, b, c = (RNG.standard_normal((5, 4)) for _ in range(3))
    y5 = _targets_pm1(5)
    classes = RNG.integers(0, 4, 5)
    cases = [
        (lambda T: T.nn.MarginRankingLoss(0.3), (a[:, 0], b[:, 0], y5), [True, True, False]),
        (lambda T: T.nn.HingeEmbeddingLoss(reduction="sum"), (a[:, 0], y5), [True, False]),
        (lambda T: T.nn.CosineEmbeddingLoss(0.2), (a, b, y5), [True, True, False]),
        (lambda T: T.nn.TripletMarginLoss(margin=2.0), (a, b, c), [True, True, True]),
        (lambda T: T.nn.MultiLabelSoftMarginLoss(), (a, (b > 0).astype(float)), [True, False]),
        (lambda T: T.nn.MultiMarginLoss(p=2), (a, classes), [True, False]),
        (lambda T: T.nn.GaussianNLLLoss(), (a, b, np.abs(c) + 0.1), [True, False, True]),
        (lambda T: T.nn.PoissonNLLLoss(), (a, np.abs(b)), [True, False]),
        (lambda T: T.nn.HuberLoss(delta=0.7), (a, b), [True, False]),
        (lambda T: T.nn.SmoothL1Loss(beta=0.7), (a, b), [True, False]),
        (lambda T: T.nn.CosineSimilarity(dim=1), (a, b), [True, True]),
        (lambda T: T.nn.PairwiseDistance(p=3.0), (a, b), [True, True]),
    ]
    for build, arrays, grad in cases:
        modules = {T: build(T) for T in (torch, S)}
        assert repr(modules[S]) == repr(modules[torch])
        check(lambda T, *xs: modules[T](*xs), *arrays, grad=grad, label=repr(modules[torch]))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_distances_and_normalize_match_torch(dtype):
    a, b = RNG.standard_normal((4, 5)).astype(dtype), RNG.standard_normal((4, 5)).astype(dtype)
    check(lambda T, a, b: T.nn.functional.pairwise_distance(a, b), a, b, label="pairwise_distance")
    check(lambda T, a, b: T.pairwise_distance(a, b, p=1.5, keepdim=True), a, b, label="torch.pairwise_distance")
    check(lambda T, a, b: T.nn.functional.cosine_similarity(a, b, dim=0), a, b, label="cosine_similarity")
    check(lambda T, a, b: T.cosine_similarity(a, b), a, b, label="torch.cosine_similarity")
    check(lambda T, a: T.nn.functional.normalize(a, p=1.0, dim=0), a, label="normalize p=1")
    check(lambda T, a: T.nn.functional.normalize(a), a, label="normalize")


def test_sorting_scans_and_indexing_match_torch():
    x = RNG.standard_normal((4, 6))
    idx = np.array([2, 0, 3])
    mask = RNG.random((4, 6)) < 0.4
    src = RNG.standard_normal((4, 6))
    index = RNG.integers(0, 4, (4, 6))
    check(lambda T, x: T.sort(x, 1, descending=True)[0], x, label="sort")
    check(lambda T, x: T.argsort(x, 0), x, backward=False, label="argsort")
    check(lambda T, x: x.topk(3, dim=1)[0], x, label="topk")
    check(lambda T, x: T.cumsum(x, 1), x, label="cumsum")
    check(lambda T, x: T.cumprod(x, 0), x, label="cumprod")
    check(lambda T, x: T.flip(x, (0, 1)), x, label="flip")
    check(lambda T, x: T.roll(x, 2, 1), x, label="roll")
    check(lambda T, x, i: T.index_select(x, 0, i), x, idx, grad=[True, False], label="index_select")
    check(lambda T, x, m: T.masked_select(x, m), x, mask, grad=[True, False], label="masked_select")
    check(lambda T, x, i, s: x.scatter_add(0, i, s), x, index, src, grad=[True, False, True], label="scatter_add")


def test_legacy_constructors_match_torch():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        t, s = getattr(torch, name)([1, 0, 2]), getattr(S, name)([1, 0, 2])
        assert str(s.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert s.tolist() == t.tolist()
        assert tuple(getattr(S, name)(2, 3).shape) == tuple(getattr(torch, name)(2, 3).shape) == (2, 3)
        assert isinstance(s, getattr(S, name)) and isinstance(t, getattr(torch, name))
    assert not isinstance(S.ones(2), S.LongTensor) and not isinstance(torch.ones(2), torch.LongTensor)


def test_tensor_data_is_a_detached_view_like_torch():
    for T in (torch, S):
        w = T.ones(3, requires_grad=True)
        d = w.data
        assert not d.requires_grad
        d.mul_(2)  # shares storage: writes show in w, outside autograd
        assert w.tolist() == [2.0, 2.0, 2.0]
        w.data = T.zeros(3)
        assert w.tolist() == [0.0, 0.0, 0.0] and w.requires_grad


def test_compile_is_the_identity_and_jit_is_refused():
    model = S.nn.Linear(2, 2)
    assert S.compile(model) is model
    assert S.compile(mode="reduce-overhead")(model) is model
    assert S.compile(model, fullgraph=True, dynamic=False, backend="inductor") is model
    assert not S.jit.is_scripting()
    with pytest.raises(NotImplementedError, match="torch.jit.script.*call the model directly"):
        S.jit.script(model)
    with pytest.raises(NotImplementedError, match="torch.jit.trace"):
        S.jit.trace(model, S.ones(1, 2))
