"""Normalization / embedding / dropout2d parity against PyTorch (functional forms)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import check_functional, engine_tensor

R = np.random.default_rng(2)


def rn(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(4, 3), (5, 3, 7), (3, 4, 5, 6), (2, 2, 3, 1)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_train(shape, affine, dtype):
    c = shape[1]
    x = rn(*shape) * 3 + 1
    params = (R.random(c) + 0.5, rn(c)) if affine else ()

    def fn(F, x, *wb):
        lib = torch if F is torch.nn.functional else None
        rm = np.zeros(c, dtype=dtype)
        rv = np.ones(c, dtype=dtype)
        if lib is None:
            rm_t, rv_t = engine_tensor(T, rm), engine_tensor(T, rv)
        else:
            rm_t, rv_t = engine_tensor(torch, rm), engine_tensor(torch, rv)
        out = F.batch_norm(x, rm_t, rv_t, *wb, training=True, momentum=0.3, eps=1e-4)
        return out, rm_t, rv_t   # running stats compared as outputs (no grad)
    check_functional("batchnorm", fn, x, *params, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batch_norm_eval(dtype):
    x, rm, rv, w, b = rn(6, 4, 3, 3), rn(4), R.random(4) + 0.2, rn(4), rn(4)
    rm, rv = rm.astype(dtype), rv.astype(dtype)
    check_functional("batchnorm", lambda F, x, w, b: F.batch_norm(
        x, _same(F, rm), _same(F, rv), w, b, training=False), x, w, b, dtype=dtype)
    check_functional("batchnorm", lambda F, x: F.batch_norm(x, _same(F, rm), _same(F, rv)), x, dtype=dtype)


def _same(F, a):
    return engine_tensor(torch, a) if F is torch.nn.functional else engine_tensor(T, a)


def test_batch_norm_needs_more_than_one_value():
    from neuralab.scratch.ops.norm import batch_norm
    import neuralab.scratch as T
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(T.randn(1, 3), T.zeros(3), T.ones(3), training=True)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, ns", [((4, 7), (7,)), ((2, 3, 5), (5,)), ((2, 3, 4, 5), (4, 5)), ((5, 1, 3), (1, 3))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(shape, ns, affine, dtype):
    nshape = (ns,) if isinstance(ns, int) else ns
    x = rn(*shape) * 2 + 0.5
    params = (rn(*nshape), rn(*nshape)) if affine else ()
    check_functional("layernorm", lambda F, x, *wb: F.layer_norm(x, ns, *wb, eps=1e-6), x, *params, dtype=dtype)


def test_layer_norm_weight_only():
    check_functional("layernorm", lambda F, x, w: F.layer_norm(x, (6,), w), rn(3, 6), rn(6))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape, groups", [((2, 6, 5), 3), ((3, 4, 3, 3), 2), ((2, 8, 2, 2), 8), ((2, 4), 1)])
def test_group_norm(shape, groups, dtype):
    c = shape[1]
    check_functional("groupnorm", lambda F, x, w, b: F.group_norm(x, groups, w, b), rn(*shape), rn(c), rn(c), dtype=dtype)
    check_functional("groupnorm", lambda F, x: F.group_norm(x, groups), rn(*shape), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_embedding(dtype):
    idx = R.integers(0, 10, (4, 7))
    idx[0, :3] = 2          # repeats
    check_functional("embedding", lambda F, w, i=idx: F.embedding(_same_int(F, i), w), rn(10, 5), dtype=dtype)
    check_functional("embedding", lambda F, w, i=idx: F.embedding(_same_int(F, i), w, padding_idx=2), rn(10, 5), dtype=dtype)
    check_functional("embedding", lambda F, w, i=idx: F.embedding(_same_int(F, i), w, padding_idx=-1,
                                                                  scale_grad_by_freq=True), rn(10, 5), dtype=dtype)
    check_functional("embedding", lambda F, w: F.embedding(_same_int(F, np.array(3)), w), rn(10, 5), dtype=dtype)


def test_embedding_max_norm():
    idx = np.array([[1, 2, 2], [0, 4, 1]])
    w = rn(6, 3) * 3
    check_functional("embedding", lambda F, w: F.embedding(_same_int(F, idx), w, max_norm=1.5), w, grad=False)


def _same_int(F, a):
    return torch.from_numpy(np.asarray(a)) if F is torch.nn.functional else engine_tensor(T, np.asarray(a))


def test_dropout2d_statistics_and_gradient():
    import neuralab.scratch as T
    from neuralab.scratch.ops.dropout_nd import dropout1d, dropout2d
    T.manual_seed(0)
    x = T.ones(64, 32, 3, 3, requires_grad=True)
    y = dropout2d(x, 0.25)
    a = y._data
    per_channel = a.reshape(64, 32, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))       # whole channels
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.03
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, a)
    assert dropout2d(x, 0.5, training=False) is x
    assert y.dtype == T.float32
    z = dropout1d(T.ones(4, 5, 6), 0.5)
    assert np.all(z._data.min(-1) == z._data.max(-1))
    assert not np.any(dropout2d(T.ones(2, 3, 4, 4), 1.0)._data)
