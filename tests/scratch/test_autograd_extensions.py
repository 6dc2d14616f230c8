"""torch.autograd.Function subclasses, module hooks, Tensor hooks and autograd.functional
against torch, through the parity harness (issue #19 item 4)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from tests.scratch.harness import assert_close, check, check_second_order, module_pair, to_numpy

RNG = np.random.default_rng(19)


def functions(T):
    """The same user Functions written once, for either engine's ``autograd.Function``."""

    class ScaledExp(T.autograd.Function):
        """y = exp(k x) with a non-Tensor argument k; saves its output."""

        @staticmethod
        def forward(ctx, x, k):
            y = (x * k).exp()
            ctx.save_for_backward(y)
            ctx.k = k
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y * ctx.k, None

    class MulAdd(T.autograd.Function):
        """(a * b + c, a - b): two inputs saved, two outputs, gradients only where needed."""

        @staticmethod
        def forward(ctx, a, b, c):
            ctx.save_for_backward(a, b)
            return a * b + c, a - b

        @staticmethod
        def backward(ctx, g1, g2):
            a, b = ctx.saved_tensors
            ga = g1 * b + g2 if ctx.needs_input_grad[0] else None
            gb = g1 * a - g2 if ctx.needs_input_grad[1] else None
            gc = g1 if ctx.needs_input_grad[2] else None
            return ga, gb, gc

    class SortValues(T.autograd.Function):
        """Sorted values and (non-differentiable) indices, as float for the mark."""

        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort(-1)
            ctx.save_for_backward(idx)
            positions = idx.to(x.dtype)
            ctx.mark_non_differentiable(positions)
            return values, positions

        @staticmethod
        def backward(ctx, g, g_positions):
            (idx,) = ctx.saved_tensors
            return T.zeros_like(g).scatter(-1, idx, g)

    class Cube(T.autograd.Function):
        """The newer style: forward without ctx, setup_context saves the input."""

        @staticmethod
        def forward(x):
            return x * x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    class CubeOnce(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        @T.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    return {f.__name__: f for f in (ScaledExp, MulAdd, SortValues, Cube, CubeOnce)}


FUNCTIONS = {torch: functions(torch), S: functions(S)}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_custom_functions_match_torch(dtype):
    x = RNG.standard_normal((3, 4)).astype(dtype)
    a, b, c = (RNG.standard_normal((2, 3)).astype(dtype) for _ in range(3))
    check(lambda T, x: FUNCTIONS[T]["ScaledExp"].apply(x, 0.7), x, label="ScaledExp")
    check(lambda T, a, b, c: FUNCTIONS[T]["MulAdd"].apply(a, b, c), a, b, c, label="MulAdd")
    check(lambda T, a, b, c: FUNCTIONS[T]["MulAdd"].apply(a, b, c), a, b, c, grad=[True, False, True],
          label="MulAdd partial")
    check(lambda T, x: FUNCTIONS[T]["SortValues"].apply(x)[0] * 2, x, label="SortValues")
    check(lambda T, x: FUNCTIONS[T]["Cube"].apply(x).sin(), x, label="Cube setup_context")
    check(lambda T, x: FUNCTIONS[T]["CubeOnce"].apply(x), x, label="CubeOnce")


def test_stack_and_cat_second_order_match_torch():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    check_second_order(lambda T, a, b: T.stack([a * b, a.sin()], 1), a, b, label="stack 2nd")
    check_second_order(lambda T, a, b: T.cat([a * b, b.exp()], 0), a, b, label="cat 2nd")


def test_custom_functions_second_order_match_torch():
    x = RNG.standard_normal((3, 4))
    a, b, c = (RNG.standard_normal((2, 3)) for _ in range(3))
    check_second_order(lambda T, x: FUNCTIONS[T]["ScaledExp"].apply(x, 0.7), x, label="ScaledExp 2nd")
    check_second_order(lambda T, a, b, c: FUNCTIONS[T]["MulAdd"].apply(a, b, c), a, b, c, label="MulAdd 2nd")
    check_second_order(lambda T, x: FUNCTIONS[T]["Cube"].apply(x), x, label="Cube 2nd")


def test_needs_input_grad_non_differentiable_outputs_and_grad_fn():
    seen = {}
    for T in (torch, S):
        class Probe(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b, k):
                seen.setdefault(T, tuple(ctx.needs_input_grad))
                return a + b * k

            @staticmethod
            def backward(ctx, g):
                return g, None, None

        a = T.ones(2, requires_grad=True)
        out = Probe.apply(a, T.ones(2), 3.0)
        assert out.requires_grad and out.grad_fn is not None
        assert type(out.grad_fn).__name__.startswith("Probe") or out.grad_fn.name().startswith("Probe")
        _, positions = FUNCTIONS[T]["SortValues"].apply(T.randn(5, requires_grad=True))
        assert not positions.requires_grad
        with T.no_grad():
            assert not Probe.apply(a, a, 1.0).requires_grad
    assert tuple(seen[S]) == tuple(seen[torch]) == (True, False, False)


def test_user_function_errors_match_torch():
    for T in (torch, S):
        class TooFew(T.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g

        a, b = T.ones(2, requires_grad=True), T.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
            TooFew.apply(a, b).sum().backward()
        y = FUNCTIONS[T]["ScaledExp"].apply(a, 1.0).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
        g, = T.autograd.grad(FUNCTIONS[T]["CubeOnce"].apply(a).sum(), a, create_graph=True)
        with pytest.raises(RuntimeError):  # once_differentiable: no second backward through it
            g.sum().backward()


# ---------------------------------------------------------------- module and tensor hooks

def _mlp(T):
    return T.nn.Sequential(T.nn.Linear(4, 5), T.nn.Tanh(), T.nn.Linear(5, 3))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_module_hooks_match_torch(dtype):
    tm, sm = module_pair(_mlp, dtype=dtype)
    x = RNG.standard_normal((6, 4)).astype(dtype)
    records = {}
    for T, m in ((torch, tm), (S, sm)):
        rec = records[T] = {"pre": [], "fwd": [], "bwd": []}
        # pre-hook scales the input, forward hook shifts the output, backward hook halves grad_input
        m[0].register_forward_pre_hook(lambda mod, args, rec=rec: (rec["pre"].append(args[0]), (args[0] * 2,))[1])
        m[1].register_forward_hook(lambda mod, args, out, rec=rec: (rec["fwd"].append(out), out + 1)[1])
        m[2].register_full_backward_hook(
            lambda mod, gi, go, rec=rec: (rec["bwd"].append((gi[0], go[0])), (gi[0] * 0.5,))[1])
        h = m[0].register_full_backward_hook(lambda mod, gi, go, rec=rec: rec["bwd"].append((gi[0], go[0])))
        xt = (torch.from_numpy(x.copy()) if T is torch else S.from_numpy(x.copy())).requires_grad_(True)
        out = m(xt)
        (out * out).sum().backward()
        rec["out"], rec["xgrad"] = out, xt.grad
        rec["grads"] = [p.grad for p in m.parameters()]
        rec["first"] = len(rec["bwd"])
        h.remove()
        m(xt).sum().backward()
        rec["after_remove"] = len(rec["bwd"])
    t, s = records[torch], records[S]
    for key in ("pre", "fwd"):
        assert_close(t[key][0], s[key][0], f"hook {key}")
    assert s["first"] == t["first"] == 2
    for (tg, tgo), (sg, sgo) in zip(t["bwd"], s["bwd"]):
        assert_close(tg, sg, "grad_input")
        assert_close(tgo, sgo, "grad_output")
    assert_close(t["out"], s["out"], "output")
    assert_close(t["xgrad"], s["xgrad"], "input grad through replaced grad_input")
    for tg, sg in zip(t["grads"], s["grads"]):
        assert_close(tg, sg, "parameter grad")
    assert s["after_remove"] == t["after_remove"] == 3


def test_backward_hook_on_first_layer_without_input_grad():
    tm, sm = module_pair(lambda T: T.nn.Linear(3, 2))
    x = RNG.standard_normal((4, 3))
    seen = {}
    for T, m in ((torch, tm), (S, sm)):
        m.register_full_backward_hook(lambda mod, gi, go, T=T: seen.__setitem__(T, (gi, go)))
        with pytest.warns(UserWarning) if T is torch else _nothing():
            m(T.from_numpy(x.copy()) if T is torch else S.from_numpy(x.copy())).sum().backward()
    assert seen[S][0] == seen[torch][0] == (None,)
    assert_close(seen[torch][1][0], seen[S][1][0], "grad_output")


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_tensor_hooks_and_retain_grad_match_torch():
    x = RNG.standard_normal((3, 3))
    results = {}
    for T in (torch, S):
        a = (torch.from_numpy(x.copy()) if T is torch else S.from_numpy(x.copy())).requires_grad_(True)
        calls = []
        a.register_hook(lambda g: g * 3)
        h = a.tanh()
        h.retain_grad()
        h.register_hook(lambda g: calls.append(g.clone()))
        (h * h).sum().backward()
        results[T] = (a.grad, h.grad, calls[0])
    for e, g in zip(results[torch], results[S]):
        assert_close(e, g, "tensor hooks")


# ---------------------------------------------------------------- autograd.functional

@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_jacobian_and_hessian_match_torch(dtype):
    x = RNG.standard_normal(4).astype(dtype)
    w = RNG.standard_normal((3, 4)).astype(dtype)
    cases = {
        "jacobian vector": lambda T, x, w: T.autograd.functional.jacobian(lambda a: (w @ a).tanh(), x),
        "jacobian tuple": lambda T, x, w: T.autograd.functional.jacobian(lambda a, b: ((b @ a).sin(), a.sum() * b), (x, w)),
        "hessian": lambda T, x, w: T.autograd.functional.hessian(lambda a: (w @ a).tanh().pow(2).sum(), x),
        "hessian tuple": lambda T, x, w: T.autograd.functional.hessian(lambda a, b: (b @ a).sin().sum(), (x, w)),
        "vjp": lambda T, x, w: T.autograd.functional.vjp(lambda a: (w @ a).exp(), x, T.ones(3, dtype=getattr(T, dtype))),
    }
    for label, fn in cases.items():
        def run(T, fn=fn):
            tx = torch.from_numpy(x.copy()) if T is torch else S.from_numpy(x.copy())
            tw = torch.from_numpy(w.copy()) if T is torch else S.from_numpy(w.copy())
            return fn(T, tx, tw)
        t_out, s_out = run(torch), run(S)
        flat_t, flat_s = _leaves(t_out), _leaves(s_out)
        assert len(flat_t) == len(flat_s), label
        for e, a in zip(flat_t, flat_s):
            assert tuple(e.shape) == tuple(a.shape), label
            assert_close(e, a, label)


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in _leaves(item)]
    return [out]


def test_hessian_with_create_graph_is_differentiable():
    x = RNG.standard_normal(3)
    grads = {}
    for T in (torch, S):
        a = (torch.from_numpy(x.copy()) if T is torch else S.from_numpy(x.copy())).requires_grad_(True)
        H = T.autograd.functional.hessian(lambda v: (v.sin() * v.sum()).sum(), a, create_graph=True)
        H.trace().backward()
        grads[T] = a.grad
    assert_close(grads[torch], grads[S], "d trace(H) / dx")
