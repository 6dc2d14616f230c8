"""Autograd semantics: graph walk, accumulation, retain_graph, grad modes, hooks, in-place."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import check


def test_deep_chain_10k_ops_backward_without_recursion_error():
    x = T.tensor([0.5, -0.25], dtype=T.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(2, 1.0001 ** 10_000), rtol=1e-9)


def test_deep_chain_of_mixed_ops_matches_torch():
    def fn(E, x):
        y = x
        for i in range(300):
            y = (y * 0.999).tanh() + x * 0.001 if i % 2 else y.sin() + 0.01 * y
        return y
    check(fn, np.linspace(-1, 1, 7))


def test_gradient_accumulates_on_leaves_and_resets_to_none():
    x = T.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 2])


def test_leaves_own_distinct_gradient_arrays():
    a = T.ones(3, requires_grad=True)
    b = T.ones(3, requires_grad=True)
    c = T.ones(3, requires_grad=True)
    (a + b + c.reshape(3) + 0).sum().backward()
    a.grad.mul_(10)  # must not leak into b or c (clip_grad_norm_ scales grads in place)
    np.testing.assert_array_equal(b.grad.numpy(), [1, 1, 1])
    np.testing.assert_array_equal(c.grad.numpy(), [1, 1, 1])
    s = T.ones(2, 2, requires_grad=True)
    s.sum().backward()  # the gradient of sum is a read-only broadcast view: the leaf gets a copy
    s.grad.add_(1)
    assert s.grad.numpy().flags.writeable


def test_backward_twice_raises_like_torch_unless_retained():
    for E in (torch, T):
        x = E.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.backward()


def test_backward_needs_scalar_or_gradient():
    x = T.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(T.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    with pytest.raises(RuntimeError, match="does not require grad"):
        T.ones(2).sum().backward()


def test_no_grad_builds_no_graph():
    x = T.ones(2, requires_grad=True)
    with T.no_grad():
        y = x * 2 + 1
        assert not T.is_grad_enabled()
        with T.enable_grad():
            z = x * 3
    assert T.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None

    @T.no_grad()
    def f(v):
        return v * 2

    @T.no_grad
    def g(v):
        return v * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    prev = T.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    T.set_grad_enabled(True)
    with T.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with T.inference_mode():
        assert not (x * 2).requires_grad
    del prev


def test_grad_fn_and_leaf_flags():
    x = T.randn(2, 3, requires_grad=True)
    y = (x @ x.T).relu()
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and "Backward" in y.grad_fn.name()
    assert y.grad_fn.next_functions
    assert y.grad is None
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        T.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False


def test_retain_grad_hooks_and_autograd_grad():
    x = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [4.0, -8.0, 12.0])
    np.testing.assert_allclose(seen[0], [4.0, -8.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [80.0, -160.0, 240.0])
    handle.remove()

    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = a * a
    (ga,) = T.autograd.grad(b.sum(), a)
    np.testing.assert_allclose(ga.numpy(), [2.0, 4.0])
    assert a.grad is None
    (gb,) = T.autograd.grad((b * 3).sum(), [b])
    np.testing.assert_allclose(gb.numpy(), [3.0, 3.0])


def test_backward_inputs_argument_restricts_accumulation():
    a = T.ones(2, requires_grad=True)
    b = T.ones(2, requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad is not None and b.grad is None


def test_inplace_rules_like_torch():
    for E in (torch, T):
        w = E.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            w += 1
        with E.no_grad():
            w -= 0.5 * E.ones(3)
            w.mul_(2)
        np.testing.assert_allclose(w.detach().numpy(), [1.0, 1.0, 1.0])


def test_inplace_on_graph_tensors_matches_torch():
    def fn(E, x):
        y = x * 2
        y += x
        y.mul_(x)
        y[0] = y[0] * 3
        y.clamp_(min=-1.0)
        z = y.relu_()
        return z * 1.5
    check(fn, np.array([[0.5, -1.5, 2.0], [1.0, -0.2, 0.3]]))


def test_detach_data_and_from_numpy_share_storage():
    arr = np.zeros(3, dtype=np.float32)
    t = T.from_numpy(arr)
    t[0] = 5
    assert arr[0] == 5
    x = T.ones(2, requires_grad=True)
    x.detach()[0] = 7
    x.data[1] = 9
    np.testing.assert_array_equal(x.detach().numpy(), [7, 9])
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()


def test_multi_output_ops_with_partial_use():
    def fn(E, x):
        a, b, c = x.chunk(3, dim=1)
        vals, idx = x.max(dim=0)
        return a * 2 + c, vals
    check(fn, np.random.default_rng(0).standard_normal((4, 6)))


def test_diamond_graph_reuses_nodes_once():
    def fn(E, x):
        y = x.exp()
        z = y * y + y.sin() - y / 2
        return (z * y).sum()
    check(fn, np.array([0.1, 0.2, -0.3]))


def test_float32_gradients_stay_float32():
    x = T.randn(3, 4, requires_grad=True)
    w = T.randn(4, 2, dtype=T.float64, requires_grad=True)
    (x.double() @ w).sum().backward()
    assert x.grad.dtype == T.float32 and w.grad.dtype == T.float64
