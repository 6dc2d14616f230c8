"""gradcheck: finite differences agree with autograd on a small network; a wrong backward is caught."""

from __future__ import annotations

import numpy as np
import pytest

import neuralab.scratch as T
from neuralab.scratch.function import Function
from neuralab.scratch.gradcheck import GradcheckError


def test_gradcheck_small_network_float64():
    T.manual_seed(0)
    x = T.randn(4, 3, dtype=T.float64, requires_grad=True)
    w1 = T.randn(5, 3, dtype=T.float64, requires_grad=True)
    b1 = T.randn(5, dtype=T.float64, requires_grad=True)
    w2 = T.randn(2, 5, dtype=T.float64, requires_grad=True)
    target = T.tensor([0, 1, 1, 0])
    F = T.nn.functional

    def net(x, w1, b1, w2):
        h = F.gelu(F.linear(x, w1, b1))
        h = T.cat([h.tanh(), F.softplus(h)], dim=1)[:, ::2]
        logits = h[:, :5] @ w2.T
        return F.cross_entropy(logits, target, label_smoothing=0.1) + (logits.softmax(1) ** 2).mean()

    assert T.gradcheck(net, (x, w1, b1, w2))
    assert T.autograd.gradcheck(lambda a: (a.sigmoid() * a.exp()).sum(0), (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradcheck_whole_mlp_module():
    model = T.nn.Sequential(T.nn.Linear(3, 4), T.nn.ELU(), T.nn.Linear(4, 2)).double()
    x = T.randn(5, 3, dtype=T.float64, requires_grad=True)
    params = list(model.parameters())
    assert T.gradcheck(lambda x, *ps: model(x).pow(2).sum(), (x, *params))


class BrokenSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # wrong: should be 2 * x


def test_gradcheck_reports_worst_mismatch():
    x = T.tensor([1.0, -2.0, 3.0], dtype=T.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"Jacobian mismatch .* worst at input element 2.*numerical=6 analytical=3"):
        T.gradcheck(lambda x: BrokenSquare.apply(x), (x,))
    assert T.gradcheck(lambda x: BrokenSquare.apply(x), (x,), raise_exception=False) is False


def test_custom_function_api():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return scale * x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * ctx.scale * x ** 2, None

    x = T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn is not None and y.grad_fn.name() == "CubeBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 24.0])
    assert T.gradcheck(lambda x: Cube.apply(x, 0.5), (x,))
