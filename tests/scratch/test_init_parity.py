"""nn.init against PyTorch: exact where the fill is deterministic (calculate_gain, eye_,
dirac_, constants, error messages), structural and statistical where it is random
(orthogonal_, trunc_normal_, sparse_): the same invariants hold on both engines and the
sample statistics agree within their sampling error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import to_numpy

NAMES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
         "sigmoid", "tanh", "relu", "selu"]


def both(fn, shape, dtype="float32"):
    """``fn(init, tensor)`` on an empty tensor of each engine; the filled arrays."""
    out = []
    for T in (torch, S):
        t = T.empty(*shape, dtype=getattr(T, dtype))
        result = fn(T.nn.init, t)
        assert result is t and str(t.dtype).endswith(dtype)
        out.append(to_numpy(t))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_calculate_gain_exact(name):
    assert S.nn.init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("param", [None, 0.2, 0, 3])
def test_calculate_gain_leaky_relu(param):
    assert S.nn.init.calculate_gain("leaky_relu", param) == torch.nn.init.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_exact(shape):
    want, got = both(lambda init, t: init.eye_(t), shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 4, 3, 3), 2), ((3, 5, 2, 4), 1), ((4, 2, 3, 3, 3), 2),
                                           ((2, 3, 5, 5), 1)])
def test_dirac_exact(shape, groups):
    want, got = both(lambda init, t: init.dirac_(t, groups), shape, "float64")
    np.testing.assert_array_equal(got, want)


def test_dirac_makes_a_convolution_the_identity():
    w = S.empty(3, 3, 3, 3)
    S.nn.init.dirac_(w)
    x = S.randn(2, 3, 6, 6)
    np.testing.assert_array_equal(S.nn.functional.conv2d(x, w, padding=1).numpy(), x.numpy())


@pytest.mark.parametrize("shape, gain", [((40, 40), 1.0), ((30, 70), 2.0), ((70, 30), 0.5), ((16, 4, 3, 3), 1.0)])
def test_orthogonal_structure_and_spread(shape, gain):
    want, got = both(lambda init, t: init.orthogonal_(t, gain=gain), shape, "float64")
    for w in (want, got):
        flat = w.reshape(shape[0], -1)
        small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat  # the semi-orthogonal side
        np.testing.assert_allclose(small, gain ** 2 * np.eye(len(small)), atol=1e-12)
    # entries of a Haar-random (semi-)orthogonal matrix: mean 0, variance gain^2 / max(rows, cols)
    n = got.size
    expected = gain / math.sqrt(max(shape[0], got.size // shape[0]))
    for w in (want, got):
        assert abs(w.mean()) < 5 * expected / math.sqrt(n)
        assert abs(w.std() - expected) < 0.1 * expected


def test_orthogonal_is_not_biased_towards_a_sign():
    """QR's sign fix (R's diagonal positive) makes the draw Haar: column signs are balanced."""
    signs = []
    S.manual_seed(0)
    for _ in range(200):
        q = S.empty(4, 4)
        S.nn.init.orthogonal_(q)
        signs.append(np.sign(q.numpy()[0, 0]))
    assert abs(np.mean(signs)) < 0.25


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 3.0)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    want, got = both(lambda init, t: init.trunc_normal_(t, mean, std, a, b), (300, 400))
    alpha, beta = (a - mean) / std, (b - mean) / std
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    true_mean = mean + std * (phi(alpha) - phi(beta)) / z
    true_std = std * math.sqrt(1 + (alpha * phi(alpha) - beta * phi(beta)) / z - ((phi(alpha) - phi(beta)) / z) ** 2)
    n = want.size
    for w in (want, got):
        assert w.min() >= a and w.max() <= b
        assert abs(w.mean() - true_mean) < 5 * true_std / math.sqrt(n)
        assert abs(w.std() - true_std) < 0.02 * true_std
    assert abs(got.mean() - want.mean()) < 7 * true_std / math.sqrt(n)


@pytest.mark.parametrize("shape, sparsity", [((20, 30), 0.1), ((7, 50), 0.5), ((10, 10), 0.0)])
def test_sparse_columns_and_spread(shape, sparsity):
    want, got = both(lambda init, t: init.sparse_(t, sparsity, std=0.5), shape, "float64")
    zeros = math.ceil(sparsity * shape[0])
    for w in (want, got):
        assert ((w == 0).sum(axis=0) == zeros).all()
        nonzero = w[w != 0]
        assert abs(nonzero.std() - 0.5) < 0.2 * 0.5


@pytest.mark.parametrize("call", [
    lambda I, T: I.sparse_(T.empty(3, 4, 5), 0.1),
    lambda I, T: I.dirac_(T.empty(4, 2, 3), groups=3),
    lambda I, T: I.dirac_(T.empty(4, 2)),
    lambda I, T: I.eye_(T.empty(3)),
    lambda I, T: I.orthogonal_(T.empty(3)),
    lambda I, T: I.calculate_gain("foo"),
    lambda I, T: I.calculate_gain("leaky_relu", "x"),
    lambda I, T: I.kaiming_uniform_(T.empty(3, 4), mode="fan_avg"),
    lambda I, T: I.xavier_uniform_(T.empty(3)),
])
def test_errors_match_torch(call):
    with pytest.raises(ValueError) as want:
        call(torch.nn.init, torch)
    with pytest.raises(ValueError) as got:
        call(S.nn.init, S)
    assert str(got.value) == str(want.value)


def test_empty_tensor_is_left_alone():
    for T in (torch, S):
        t = T.empty(0, 3)
        assert T.nn.init.orthogonal_(t) is t
