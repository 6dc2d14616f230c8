"""Tensor API, creation functions, dtypes, devices, RNG — against torch where they overlap."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import check


def test_creation_functions_match_torch_values_and_dtypes():
    check(lambda E: (E.zeros(2, 3), E.ones((2,)), E.full((2, 2), 1.5), E.full((2,), 3), E.full((1,), True),
                     E.zeros(2, dtype=E.int64), E.eye(3), E.eye(2, 3), E.arange(5), E.arange(1, 4),
                     E.arange(0, 1, 0.25), E.arange(0.5, 3), E.linspace(0, 1, 5), E.linspace(-2, 3, 7),
                     E.zeros_like(E.ones(2, 2)), E.ones_like(E.ones(3), dtype=E.float64),
                     E.full_like(E.ones(2), 7.0), E.empty(2, 3).shape == (2, 3)), backward=False)
    check(lambda E: (E.tensor([1, 2]), E.tensor([1.0, 2]), E.tensor(3), E.tensor(2.5), E.tensor([True]),
                     E.tensor([[1, 2], [3, 4]], dtype=E.float64), E.tensor(np.float64(2.0)),
                     E.tensor(np.array([1.0, 2.0])), E.tensor(np.array([1, 2], dtype=np.int32)),
                     E.as_tensor([1.5]), E.from_numpy(np.ones(2, dtype=np.float32))), backward=False)


def test_python_floats_keep_full_precision_when_a_dtype_is_given():
    # 0.1 rounded through float32 would be off by 1.5e-9: float64 parity is ~1e-10.
    check(lambda E: (E.tensor([0.1, 1 / 3], dtype=E.float64), E.tensor([[0.1]], dtype=E.float64),
                     E.tensor(0.1, dtype=E.float64), E.as_tensor([0.1], dtype=E.float64)), backward=False)
    assert T.tensor([0.1], dtype=T.float64).numpy()[0] == 0.1


def test_tensor_basics():
    x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and T.numel(x) == 6 and len(x) == 2
    assert x.dtype == T.float32 == T.float and T.float64 is T.double and T.int64 is T.long
    assert x.shape.numel() == 6 and isinstance(x.shape, tuple)
    assert x[1, 2].item() == 6.0 and isinstance(x.sum().item(), float)
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert [row.tolist() for row in x] == x.tolist()
    assert float(x[0, 0]) == 1.0 and int(x[1, 1]) == 5 and bool(x[0, 0])
    assert x.device == "cpu" and x.device == T.device("cpu") and x.to("cpu") is x and x.cpu() is x
    assert x.float() is x and x.double().dtype == T.float64 and x.long().dtype == T.int64
    assert x.to(T.float64).dtype == T.float64 and x.to(torch_like := T.zeros(1, dtype=T.int32)).dtype == T.int32
    assert x.is_floating_point() and not T.tensor([1]).is_floating_point()
    assert T.is_tensor(x) and not T.is_tensor(np.ones(1))
    assert x.clone().zero_().sum().item() == 0 and x.clone().fill_(2).sum().item() == 12
    y = T.zeros(2, 3)
    y.copy_(x)
    assert y.tolist() == x.tolist()
    assert x.new_zeros(2).dtype == T.float32 and x.new_tensor([1, 2]).dtype == T.float32
    assert np.asarray(x).shape == (2, 3)
    assert (np.ones(3) + T.ones(3)).__class__ is T.Tensor
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    del torch_like


def test_repr_like_torch():
    assert repr(T.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(T.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(T.tensor(2.5)) == "tensor(2.5000)"
    assert repr(T.tensor([0.5], requires_grad=True)) == "tensor([0.5000], requires_grad=True)"
    assert "dtype=scratch.float64" in repr(T.tensor([1.0], dtype=T.float64))
    assert "grad_fn=<" in repr(T.tensor([1.0], requires_grad=True) * 2)
    assert repr(T.ones(2).shape) == "scratch.Size([2])"


def test_default_dtype_switch():
    assert T.get_default_dtype() == T.float32
    T.set_default_dtype(T.float64)
    try:
        assert T.tensor([1.0]).dtype == T.float64 and T.zeros(1).dtype == T.float64
        assert T.randn(2).dtype == T.float64 and (T.tensor([1, 2]) / 2).dtype == T.float64
    finally:
        T.set_default_dtype(T.float32)
    assert T.zeros(1).dtype == T.float32


def test_random_factories_shapes_dtypes_ranges():
    T.manual_seed(0)
    assert T.randn(3, 4).dtype == T.float32 and T.randn((2,), dtype=T.float64).dtype == T.float64
    r = T.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1
    i = T.randint(0, 5, (100,))
    assert i.dtype == T.int64 and i.min().item() >= 0 and i.max().item() <= 4
    assert T.randint(3, (2, 2)).shape == (2, 2)
    p = T.randperm(10)
    assert sorted(p.tolist()) == list(range(10)) and p.dtype == T.int64
    n = T.normal(2.0, 0.5, (5000,))
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    assert T.randn_like(T.ones(2, dtype=T.float64)).dtype == T.float64
    assert T.rand_like(T.ones(3)).shape == (3,)
    m = T.multinomial(T.tensor([0.0, 1.0, 0.0]), 4, replacement=True)
    assert m.tolist() == [1, 1, 1, 1]
    w = T.multinomial(T.tensor([[1.0, 2.0, 3.0, 4.0]]), 4)
    assert sorted(w[0].tolist()) == [0, 1, 2, 3]
    b = T.bernoulli(T.full((1000,), 0.3))
    assert 0.2 < b.mean().item() < 0.4


def test_manual_seed_and_rng_state_round_trip():
    T.manual_seed(123)
    a = T.randn(5)
    T.manual_seed(123)
    assert np.array_equal(T.randn(5).numpy(), a.numpy())
    state = T.get_rng_state()
    assert state.dtype == T.uint8 and state.dim() == 1
    first = T.rand(4).numpy().copy()
    T.randn(10)
    T.set_rng_state(state)
    np.testing.assert_array_equal(T.rand(4).numpy(), first)
    restored = T.from_numpy(np.array(state.numpy()))  # e.g. after saving to disk
    T.set_rng_state(restored)
    np.testing.assert_array_equal(T.rand(4).numpy(), first)
    g = T.Generator().manual_seed(7)
    g2 = T.Generator().manual_seed(7)
    np.testing.assert_array_equal(T.randn(3, generator=g).numpy(), T.randn(3, generator=g2).numpy())
    assert g.initial_seed() == 7
    with pytest.raises(RuntimeError, match="get_rng_state"):
        T.set_rng_state(torch.get_rng_state().numpy())


def test_module_level_helpers():
    assert T.cuda.is_available() is False and T.cuda.device_count() == 0
    assert T.device("cpu").type == "cpu" and str(T.device("cpu")) == "cpu"
    T.set_num_threads(1)
    assert T.get_num_threads() == 1
    assert T.backends.mps.is_available() is False
    assert T.isfinite(T.tensor([1.0, float("inf")])).tolist() == [True, False]


def test_engine_module_is_loadable_by_name():
    from neuralab import engines
    assert engines.get("scratch") is T
    assert engines.name_of(T) == "scratch"
    assert engines.capabilities(T) == {"cuda": False, "mps": False, "threads": T.thread_control_available()}
