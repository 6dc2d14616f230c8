"""Higher-order gradients (``create_graph=True``) against PyTorch: every op with a
graph-building backward, the WGAN-GP penalty on an MLP critic, ``Tensor.backward`` and
``gradgradcheck``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import assert_close, check_second_order, copy_state, to_numpy
from neuralab.generative import gan_losses
from neuralab.models import gan
from neuralab.scratch.gradcheck import GradcheckError

DTYPES = [np.float64, np.float32]


def rnd(*shape, dtype=np.float64, seed=0, positive=False):
    r = np.random.default_rng(seed)
    a = r.uniform(0.5, 2.0, shape) if positive else r.standard_normal(shape)
    return np.asarray(a, dtype=dtype)


F = lambda T: T.nn.functional  # noqa: E731

UNARY = {
    "neg": (lambda T, x: -x * x, {}),
    "square": (lambda T, x: x.square(), {}),
    "pow3": (lambda T, x: x ** 3, {}),
    "pow_half": (lambda T, x: x ** 0.5, {"positive": True}),
    "pow_neg": (lambda T, x: x ** -1.5, {"positive": True}),
    "pow_zero": (lambda T, x: x ** 0 + x, {}),
    "rpow": (lambda T, x: 2.0 ** x, {}),
    "exp": (lambda T, x: x.exp(), {}),
    "log": (lambda T, x: x.log(), {"positive": True}),
    "log1p": (lambda T, x: x.log1p(), {"positive": True}),
    "sqrt": (lambda T, x: x.sqrt(), {"positive": True}),
    "rsqrt": (lambda T, x: x.rsqrt(), {"positive": True}),
    "abs": (lambda T, x: x.abs() * x, {}),
    "sin": (lambda T, x: x.sin(), {}),
    "cos": (lambda T, x: T.cos(x), {}),
    "tanh": (lambda T, x: x.tanh(), {}),
    "sigmoid": (lambda T, x: x.sigmoid(), {}),
    "erf": (lambda T, x: T.erf(x), {}),
    "clamp": (lambda T, x: x.clamp(-0.5, 0.7) * x, {}),
    "relu": (lambda T, x: F(T).relu(x) * x, {}),
    "leaky_relu": (lambda T, x: F(T).leaky_relu(x, 0.2) * x, {}),
    "elu": (lambda T, x: F(T).elu(x, alpha=1.3), {}),
    "gelu": (lambda T, x: F(T).gelu(x * 2), {}),
    "gelu_tanh": (lambda T, x: F(T).gelu(x * 2, approximate="tanh"), {}),
    "silu": (lambda T, x: F(T).silu(x * 2), {}),
    "softplus": (lambda T, x: F(T).softplus(x * 2, beta=1.5, threshold=2.0), {}),
    "softmax": (lambda T, x: T.softmax(x, -1), {}),
    "log_softmax": (lambda T, x: F(T).log_softmax(x, dim=0), {}),
    "sum": (lambda T, x: (x * x).sum(), {}),
    "sum_dim": (lambda T, x: (x * x).sum(1), {}),
    "sum_keepdim": (lambda T, x: (x * x).sum(0, keepdim=True) * x, {}),
    "mean": (lambda T, x: (x.exp()).mean(), {}),
    "mean_dims": (lambda T, x: (x * x).mean((0, 1)), {}),
    "reshape": (lambda T, x: x.reshape(-1).exp().reshape(4, 3), {}),
    "view_flatten": (lambda T, x: (x.view(2, 6) ** 2).flatten(), {}),
    "unsqueeze": (lambda T, x: x.unsqueeze(1).tanh().squeeze(1), {}),
    "transpose": (lambda T, x: x.t().sin() * x.t(), {}),
    "permute": (lambda T, x: x.reshape(2, 2, 3).permute(2, 0, 1).exp(), {}),
    "expand": (lambda T, x: x[:1].expand(5, 3).reshape(5, 3) * x.sum(0), {}),
    "clone": (lambda T, x: x.clone() * x, {}),
    "cast": (lambda T, x: (x.to(T.float32 if x.dtype == T.float64 else T.float64) ** 2).to(x.dtype), {}),
    "norm_penalty": (lambda T, x: ((x.pow(2).sum(dim=1) + 1e-12).sqrt() - 1) ** 2, {}),
}

BINARY = {
    "add_broadcast": (lambda T, a, b: (a + b) * (a + b), ((4, 3), (3,))),
    "sub_broadcast": (lambda T, a, b: (a - b).exp(), ((4, 3), (4, 1))),
    "mul_broadcast": (lambda T, a, b: a * b, ((4, 3), (1, 3))),
    "mul_scalar": (lambda T, a, b: a * 2.5 * b + 1, ((4, 3), (4, 3))),
    "div": (lambda T, a, b: a / (b * b + 1), ((4, 3), (3,))),
    "where": (lambda T, a, b: T.where(a > 0, a * b, b * b), ((4, 3), (4, 3))),
    "matmul_2d": (lambda T, a, b: a @ b, ((4, 3), (3, 5))),
    "matmul_batched": (lambda T, a, b: T.matmul(a, b), ((2, 4, 3), (3, 5))),
    "matmul_vec": (lambda T, a, b: a @ b, ((4, 3), (3,))),
    "matmul_vec_left": (lambda T, a, b: T.matmul(b, a), ((4, 3), (4,))),
    "dot": (lambda T, a, b: T.dot(a, b) * a, ((3,), (3,))),
    "linear_nobias": (lambda T, x, w: F(T).linear(x, w).tanh(), ((4, 3), (2, 3))),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_second_order(name, dtype):
    fn, opts = UNARY[name]
    check_second_order(fn, rnd(4, 3, dtype=dtype, **opts), label=name)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_second_order(name, dtype):
    fn, (sa, sb) = BINARY[name]
    check_second_order(fn, rnd(*sa, dtype=dtype), rnd(*sb, dtype=dtype, seed=1), label=name)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_linear_with_bias_and_batch_dims(dtype):
    check_second_order(lambda T, x, w, b: F(T).silu(F(T).linear(x, w, b)),
                       rnd(2, 4, 3, dtype=dtype), rnd(5, 3, dtype=dtype, seed=1), rnd(5, dtype=dtype, seed=2), label="linear")


def test_constant_operands_and_unused_inputs():
    x, c = rnd(4, 3), rnd(4, 3, seed=1)
    check_second_order(lambda T, x, c: (x * c).sum() + x.exp().sum(), x, c, grad=[True, False], label="const")
    check_second_order(lambda T, x, y: x * 3.0 + y, x, c, label="linear-only")  # first-order grads have no graph


def _critics(activation="leaky_relu", depth=2, hidden=8):
    torch.manual_seed(0)
    tc = gan.build(torch, hidden=hidden, depth=depth, activation=activation)["discriminator"].double()
    sc = gan.build(S, hidden=hidden, depth=depth, activation=activation)["discriminator"].double()
    copy_state(tc, sc)
    return tc, sc


@pytest.mark.parametrize("activation", ["leaky_relu", "relu", "silu", "tanh", "elu", "gelu", "sigmoid"])
def test_wgan_gp_penalty_parameter_gradients(activation):
    """The WGAN-GP critic loss (scores + penalty) gives torch's parameter gradients."""
    tc, sc = _critics(activation)
    r = np.random.default_rng(0)
    real, fake, mix = r.standard_normal((16, 2)), r.standard_normal((16, 2)), r.uniform(size=(16, 1))
    losses = {}
    for T, critic in ((torch, tc), (S, sc)):
        real_t, fake_t, mix_t = (T.from_numpy(a.copy()) for a in (real, fake, mix))
        penalty = gan_losses.gradient_penalty(T, critic, real_t, fake_t, mix_t)
        loss = gan_losses.critic_loss(critic(real_t), critic(fake_t)) + 10.0 * penalty
        critic.zero_grad()
        loss.backward()
        losses[T] = (penalty, loss)
    assert_close(losses[torch][0], losses[S][0], "penalty")
    for (name, tp), (_, sp) in zip(tc.named_parameters(), sc.named_parameters()):
        assert (tp.grad is None) == (sp.grad is None), name
        assert_close(tp.grad, sp.grad, f"wgan-gp {activation} grad {name}", stat=" 2nd-order")


def test_penalty_alone_leaves_the_same_params_without_grad():
    tc, sc = _critics()
    r = np.random.default_rng(1)
    real, fake, mix = r.standard_normal((8, 2)), r.standard_normal((8, 2)), r.uniform(size=(8, 1))
    for T, critic in ((torch, tc), (S, sc)):
        gan_losses.gradient_penalty(T, critic, *(T.from_numpy(a.copy()) for a in (real, fake, mix))).backward()
    for (name, tp), (_, sp) in zip(tc.named_parameters(), sc.named_parameters()):
        assert (tp.grad is None) == (sp.grad is None), name  # the last bias: no second-order path
        if tp.grad is not None:
            assert_close(tp.grad, sp.grad, f"penalty grad {name}", stat=" 2nd-order")


def test_backward_create_graph_gives_grad_with_graph():
    x0 = rnd(3, 4)
    grads = {}
    for T in (torch, S):
        x = T.from_numpy(x0.copy()).requires_grad_(True)
        (x.tanh() ** 3).sum().backward(create_graph=True)
        g = x.grad
        assert g.requires_grad and g.grad_fn is not None
        first = to_numpy(g)
        x.grad = None
        (g * g).sum().backward()
        grads[T] = (first, to_numpy(x.grad))
    for a, b in zip(grads[torch], grads[S]):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_backward_create_graph_accumulates_into_existing_grad():
    x = S.tensor([1.0, 2.0], dtype=S.float64, requires_grad=True)
    (x * x).sum().backward()
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None
    np.testing.assert_allclose(x.grad.detach().numpy(), [2 + 3, 4 + 12])


def test_first_order_path_unchanged():
    x = S.tensor([1.0, 2.0], requires_grad=True)
    (g,) = S.autograd.grad((x ** 3).sum(), x)
    assert g.grad_fn is None and not g.requires_grad
    (g2,) = S.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g2.requires_grad and g2.grad_fn is not None


def test_unsupported_op_names_itself():
    x = S.ones(2, 3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph.*ExtremumBackward0"):
        S.autograd.grad(x.amax(), x, create_graph=True)
    # the same op is fine when it is not on the path to the differentiated input
    y = S.ones(3, requires_grad=True)
    (g,) = S.autograd.grad((y * y).sum() + x.amax().detach(), y, create_graph=True)
    assert g.requires_grad


def test_third_order():
    vals = {}
    for T in (torch, S):
        x = T.from_numpy(rnd(5)).requires_grad_(True)
        (g,) = T.autograd.grad(x.sin().sum() * 1.0 + (x ** 4).sum(), x, create_graph=True)
        (gg,) = T.autograd.grad(g.sum(), x, create_graph=True)
        (ggg,) = T.autograd.grad(gg.sum(), x)
        vals[T] = ggg
    assert_close(vals[torch], vals[S], "third order", stat=" 2nd-order")


def test_gradgradcheck():
    x = S.from_numpy(rnd(3, 4)).requires_grad_(True)
    w = S.from_numpy(rnd(2, 4, seed=1)).requires_grad_(True)
    assert S.autograd.gradgradcheck(lambda x, w: F(S).leaky_relu(F(S).linear(x, w), 0.1).tanh(), (x, w))
    assert S.gradgradcheck(lambda x: (x.sigmoid() * x).sum(1).sqrt(), (S.from_numpy(rnd(3, 4, positive=True)).requires_grad_(True),))


def test_gradgradcheck_catches_a_wrong_graph_backward(monkeypatch):
    from neuralab.scratch.ops.activation import SiLU  # an op whose Tensor rule is a separate graph_backward
    monkeypatch.setattr(SiLU, "graph_backward", staticmethod(lambda ctx, grad: grad * 1.0))  # drops s (1 + x (1 - s))
    x = S.from_numpy(rnd(3)).requires_grad_(True)
    with pytest.raises(GradcheckError, match="create_graph=True differs"):
        S.autograd.gradgradcheck(lambda x: S.nn.functional.silu(x), (x,))
