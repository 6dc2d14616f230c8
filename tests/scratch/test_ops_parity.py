"""Every op against PyTorch through the shared harness: values, shapes, dtypes and grads,
in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from harness import check

DTYPES = [np.float64, np.float32]


def rnd(*shape, dtype=np.float64, seed=0, low=None, high=None, positive=False):
    r = np.random.default_rng(seed)
    if positive:
        a = r.uniform(0.5, 2.0, shape)
    elif low is not None:
        a = r.uniform(low, high, shape)
    else:
        a = r.standard_normal(shape)
    return np.asarray(a, dtype=dtype)


# ---------------------------------------------------------------- unary ops and activations

UNARY = {
    "neg": (lambda T, x: -x, {}),
    "pos": (lambda T, x: +x * 1.5, {}),
    "exp": (lambda T, x: x.exp(), {}),
    "log": (lambda T, x: x.log(), {"positive": True}),
    "log2": (lambda T, x: T.log2(x), {"positive": True}),
    "log10": (lambda T, x: T.log10(x), {"positive": True}),
    "log1p": (lambda T, x: x.log1p(), {"positive": True}),
    "expm1": (lambda T, x: x.expm1(), {}),
    "sqrt": (lambda T, x: x.sqrt(), {"positive": True}),
    "rsqrt": (lambda T, x: x.rsqrt(), {"positive": True}),
    "abs": (lambda T, x: x.abs(), {}),
    "abs_op": (lambda T, x: abs(x), {}),
    "sin": (lambda T, x: x.sin(), {}),
    "cos": (lambda T, x: T.cos(x), {}),
    "tanh": (lambda T, x: x.tanh(), {}),
    "sigmoid": (lambda T, x: x.sigmoid(), {}),
    "sigmoid_tail": (lambda T, x: T.sigmoid(x * 20 - 40), {}),
    "square": (lambda T, x: x.square(), {}),
    "reciprocal": (lambda T, x: x.reciprocal(), {"positive": True}),
    "pow2": (lambda T, x: x ** 2, {}),
    "pow3": (lambda T, x: x ** 3, {}),
    "pow_half": (lambda T, x: x ** 0.5, {"positive": True}),
    "pow_neg": (lambda T, x: x ** -1.5, {"positive": True}),
    "pow_zero": (lambda T, x: x ** 0, {}),
    "rpow": (lambda T, x: 2.0 ** x, {}),
    "rsub": (lambda T, x: 3 - x, {}),
    "rdiv": (lambda T, x: 2.0 / x, {"positive": True}),
    "scalar_ops": (lambda T, x: (x + 1) * 2.5 - 0.5 / (x * x + 1), {}),
    "clamp": (lambda T, x: x.clamp(-0.5, 0.7), {}),
    "clamp_min": (lambda T, x: T.clamp(x, min=0.1), {}),
    "clamp_max": (lambda T, x: x.clamp(max=0.2), {}),
    "erf": (lambda T, x: T.erf(x * 3), {}),
    "relu": (lambda T, x: T.relu(x), {}),
    "relu_f": (lambda T, x: T.nn.functional.relu(x), {}),
    "leaky_relu": (lambda T, x: T.nn.functional.leaky_relu(x, 0.2), {}),
    "elu": (lambda T, x: T.nn.functional.elu(x, alpha=1.3), {}),
    "gelu": (lambda T, x: T.nn.functional.gelu(x * 3), {}),
    "gelu_tanh": (lambda T, x: T.nn.functional.gelu(x * 3, approximate="tanh"), {}),
    "silu": (lambda T, x: T.nn.functional.silu(x * 3), {}),
    "softplus": (lambda T, x: T.nn.functional.softplus(x * 3), {}),
    "softplus_beta": (lambda T, x: T.nn.functional.softplus(x * 3, beta=2.0, threshold=1.5), {}),
    "logsigmoid": (lambda T, x: T.nn.functional.logsigmoid(x * 3), {}),
    "relu6": (lambda T, x: T.nn.functional.relu6(x * 5), {}),
    "hardtanh": (lambda T, x: T.nn.functional.hardtanh(x, -0.5, 0.5), {}),
    "softsign": (lambda T, x: T.nn.functional.softsign(x), {}),
    "mish": (lambda T, x: T.nn.functional.mish(x), {}),
    "softmax": (lambda T, x: T.softmax(x, -1), {}),
    "softmax_dim0": (lambda T, x: x.softmax(0), {}),
    "log_softmax": (lambda T, x: T.nn.functional.log_softmax(x, dim=1), {}),
    "softmin": (lambda T, x: T.nn.functional.softmin(x, dim=1), {}),
    "floor": (lambda T, x: T.floor(x * 3) + x, {}),
    "ceil_round": (lambda T, x: x.ceil() + T.round(x * 2) + x.trunc() + x, {}),
    "sign": (lambda T, x: T.sign(x) * x, {}),
    "clone": (lambda T, x: x.clone() * 2, {}),
    "detach_mix": (lambda T, x: x * x.detach(), {}),
    "to_double": (lambda T, x: x.double() * 2, {}),
    "to_float": (lambda T, x: x.float() * 2, {}),
    "nan_to_num": (lambda T, x: T.nan_to_num(x.log()), {}),
    "where_self": (lambda T, x: T.where(x > 0, x, x * 0.1), {}),
    "masked_fill": (lambda T, x: x.masked_fill(x < 0, -1.5), {}),
    "lerp": (lambda T, x: T.lerp(x, x * x, 0.3), {}),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, dtype):
    fn, opts = UNARY[name]
    check(fn, rnd(3, 5, dtype=dtype, **opts), label=name)


def test_nan_to_num_handles_negatives():
    check(lambda T, x: T.nan_to_num(x.log(), nan=0.0, posinf=1.0, neginf=-1.0), rnd(4, 3), backward=False)


# ---------------------------------------------------------------- binary ops with broadcasting

BINARY = {
    "add": lambda T, a, b: a + b,
    "sub": lambda T, a, b: a - b,
    "mul": lambda T, a, b: a * b,
    "div": lambda T, a, b: a / (b * b + 0.5),
    "add_alpha": lambda T, a, b: T.add(a, b, alpha=2.5),
    "sub_alpha": lambda T, a, b: a.sub(b, alpha=0.5),
    "maximum": lambda T, a, b: T.maximum(a, b),
    "minimum": lambda T, a, b: T.minimum(a, b),
    "where": lambda T, a, b: T.where(a > b, a, b * 2),
    "pow": lambda T, a, b: (a.abs() + 0.5) ** b,
    "mse_bcast": lambda T, a, b: ((a - b) ** 2).mean(),
    "addcmul": lambda T, a, b: T.addcmul(a, a, b, value=0.5),
}

SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)), ((4,), ()), ((), (2, 3))]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("shapes", SHAPES, ids=[f"{a}x{b}" for a, b in SHAPES])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast(name, shapes, dtype):
    a = rnd(*shapes[0], dtype=dtype, seed=1)
    b = rnd(*shapes[1], dtype=dtype, seed=2)
    check(BINARY[name], a, b, label=name)


@settings(max_examples=30, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       op=st.sampled_from(["add", "sub", "mul", "div", "maximum", "where"]),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2 ** 16))
def test_binary_broadcast_hypothesis(shapes, op, dtype, seed):
    a_shape, b_shape = shapes.input_shapes
    check(BINARY[op], rnd(*a_shape, dtype=dtype, seed=seed), rnd(*b_shape, dtype=dtype, seed=seed + 1), label=op)


@settings(max_examples=30, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), data=st.data(), dtype=st.sampled_from(DTYPES))
def test_reductions_hypothesis(shape, data, dtype):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    op = data.draw(st.sampled_from(["sum", "mean", "amax", "logsumexp", "softmax"]))
    x = rnd(*shape, dtype=dtype, seed=len(shape) + dim)
    fns = {
        "sum": lambda T, x: x.sum(dim, keepdim=keepdim),
        "mean": lambda T, x: x.mean(dim=dim, keepdim=keepdim),
        "amax": lambda T, x: x.amax(dim, keepdim=keepdim),
        "logsumexp": lambda T, x: T.logsumexp(x, dim, keepdim=keepdim),
        "softmax": lambda T, x: x.softmax(dim),
    }
    check(fns[op], x, label=op)


def test_scalar_rops_and_inplace_on_plain_tensors():
    def fn(T, x):
        y = x.detach().clone()
        y += 1
        y *= 2
        y -= 0.5
        y /= 4
        y.add_(x.detach(), alpha=2).mul_(0.5)
        return y, 1 - x, 2 * x, 3 / (x.abs() + 1), (x // 0.3).detach(), x % 0.7, T.fmod(x, 0.4), x % (x.abs() + 0.5)
    check(fn, rnd(3, 4), grad=[True])


def test_floor_divide_has_no_derivative():
    import torch

    import neuralab.scratch as S
    for T in (torch, S):
        x = T.ones(3, requires_grad=True)
        y = x // 0.3
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            y.sum().backward()


# ---------------------------------------------------------------- reductions

REDUCTIONS = {
    "sum_all": lambda T, x: x.sum(),
    "sum_dim": lambda T, x, d, k: x.sum(d, keepdim=k),
    "sum_tuple": lambda T, x, d, k: x.sum((0, d), keepdim=k) if d not in (0, -3) else x.sum((d, 1), keepdim=k),
    "mean_all": lambda T, x: x.mean(),
    "mean_dim": lambda T, x, d, k: x.mean(d, keepdim=k),
    "var_dim": lambda T, x, d, k: x.var(d, keepdim=k),
    "var_biased": lambda T, x, d, k: T.var(x, d, unbiased=False, keepdim=k),
    "var_corr": lambda T, x, d, k: x.var(dim=d, correction=0, keepdim=k),
    "std_dim": lambda T, x, d, k: x.std(d, keepdim=k),
    "var_all": lambda T, x: x.var(),
    "std_all": lambda T, x: T.std(x),
    "max_all": lambda T, x: x.max(),
    "min_all": lambda T, x: T.min(x),
    "max_dim": lambda T, x, d, k: x.max(d, keepdim=k),
    "min_dim": lambda T, x, d, k: T.min(x, dim=d, keepdim=k),
    "amax_dim": lambda T, x, d, k: x.amax(d, keepdim=k),
    "amin_dim": lambda T, x, d, k: T.amin(x, d, keepdim=k),
    "argmax_dim": lambda T, x, d, k: x.argmax(d, keepdim=k) + 0 * x.sum(),
    "argmin_dim": lambda T, x, d, k: x.argmin(dim=d, keepdim=k),
    "logsumexp_dim": lambda T, x, d, k: x.logsumexp(d, keepdim=k),
    "prod_dim": lambda T, x, d, k: x.prod(d, keepdim=k),
    "prod_all": lambda T, x: x.prod(),
    "cumsum": lambda T, x, d, k: x.cumsum(d),
    "norm_all": lambda T, x: x.norm(),
    "norm_dim": lambda T, x, d, k: x.norm(dim=d, keepdim=k),
    "norm_p1": lambda T, x, d, k: x.norm(p=1, dim=d),
    "median_dim": lambda T, x, d, k: x.median(d, keepdim=k),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name, dtype):
    fn = REDUCTIONS[name]
    x = rnd(2, 3, 4, dtype=dtype, seed=3)
    if fn.__code__.co_argcount == 2:
        check(fn, x, label=name)
        return
    for d in (0, 1, 2, -1, -2, -3):
        for k in (False, True):
            check(lambda T, x: fn(T, x, d, k), x, label=f"{name}[dim={d},keepdim={k}]",
                  backward=not name.startswith("arg"))


def test_max_ties_distribute_like_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]])
    check(lambda T, x: x.max(), x)
    check(lambda T, x: x.amax(1), x)
    check(lambda T, x: T.maximum(x, x.flip(1)), x)


def test_prod_with_zero():
    check(lambda T, x: x.prod(1), np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]]))


def test_bool_int_reductions():
    check(lambda T, x: ((x > 0).sum(), (x > 0).sum(1), (x > 0).any(), (x > 0).all(1), x.argmax(),
                        T.count_nonzero(x > 0)), rnd(3, 4), backward=False)


# ---------------------------------------------------------------- shape ops

SHAPE_OPS = {
    "reshape": lambda T, x: x.reshape(4, -1) * 2,
    "reshape_tuple": lambda T, x: T.reshape(x, (2, 12)),
    "view": lambda T, x: x.view(-1),
    "view_as": lambda T, x: x.view(6, 4).view_as(x),
    "flatten": lambda T, x: x.flatten(),
    "flatten_1": lambda T, x: T.flatten(x, 1),
    "flatten_range": lambda T, x: x.flatten(0, 1),
    "unflatten": lambda T, x: x.unflatten(2, (2, 2)),
    "transpose": lambda T, x: x.transpose(0, 2),
    "transpose_neg": lambda T, x: x.transpose(-1, -2),
    "permute": lambda T, x: x.permute(2, 0, 1),
    "permute_tuple": lambda T, x: T.permute(x, (1, 2, 0)),
    "movedim": lambda T, x: T.movedim(x, 0, -1),
    "squeeze_unsqueeze": lambda T, x: x.unsqueeze(1).unsqueeze(-1).squeeze(1).squeeze(),
    "squeeze_dim": lambda T, x: x.unsqueeze(0).squeeze(0).squeeze(1),
    "expand": lambda T, x: x[:, :1].expand(2, 3, 4),
    "expand_new": lambda T, x: x.expand(3, 2, 3, 4),
    "expand_as": lambda T, x: x[:1].expand_as(x),
    "repeat": lambda T, x: x.repeat(2, 1, 3),
    "repeat_more": lambda T, x: x.repeat(2, 1, 1, 2),
    "tile": lambda T, x: T.tile(x, (2,)),
    "cat": lambda T, x: T.cat([x, x * 2, x[:1]], 0),
    "cat_neg": lambda T, x: T.cat((x, x.exp()), dim=-1),
    "stack": lambda T, x: T.stack([x, x * 3], 1),
    "stack_neg": lambda T, x: T.stack([x, x], dim=-1),
    "split": lambda T, x: x.split(2, dim=2),
    "split_sizes": lambda T, x: T.split(x, [1, 3], -1),
    "split_uneven": lambda T, x: x.split(3, 2),
    "chunk": lambda T, x: x.chunk(3, 1),
    "chunk_uneven": lambda T, x: x.chunk(3, -1),
    "unbind": lambda T, x: x.unbind(1),
    "split_partial_use": lambda T, x: x.chunk(2, 2)[1] * 2,
    "T_2d": lambda T, x: x[0].T,
    "t": lambda T, x: x[0].t(),
    "mT": lambda T, x: x.mT,
    "flip": lambda T, x: x.flip(0, ) if False else x.flip([0, 2]),
    "roll": lambda T, x: x.roll(1, 2),
    "roll_flat": lambda T, x: T.roll(x, 3),
    "narrow": lambda T, x: x.narrow(2, 1, 2),
    "select": lambda T, x: x.select(1, -1),
    "tril": lambda T, x: x.tril(),
    "triu": lambda T, x: T.triu(x, diagonal=1),
    "tril_neg": lambda T, x: x.tril(-1),
    "diag": lambda T, x: T.diag(x[0, :, :3]),
    "diag_embed": lambda T, x: T.diag(x[0, 0]),
    "contiguous": lambda T, x: x.transpose(0, 1).contiguous().view(-1),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_ops(name, dtype):
    check(SHAPE_OPS[name], rnd(2, 3, 4, dtype=dtype, seed=4), label=name)


# ---------------------------------------------------------------- indexing

INDEX = {
    "int": lambda T, x: x[1],
    "neg_int": lambda T, x: x[-1, -2],
    "slice": lambda T, x: x[1:, :2],
    "slice_step": lambda T, x: x[::2, 1::2],
    "neg_slice": lambda T, x: x[-2:, :-1],
    "none": lambda T, x: x[None, :, None],
    "ellipsis": lambda T, x: x[..., 1],
    "ellipsis_none": lambda T, x: x[..., None, :2],
    "int_array_repeats": lambda T, x: x[[0, 0, 2, 0]],
    "int_tensor_repeats": lambda T, x: x[T.tensor([1, 1, 3])],
    "int_array_col": lambda T, x: x[:, [2, 0, 2]],
    "two_arrays": lambda T, x: x[[0, 1, 1], [2, 2, 0]],
    "array_2d": lambda T, x: x[T.tensor([[0, 1], [1, 1]])],
    "bool_mask": lambda T, x: x[x > 0.2],
    "bool_rows": lambda T, x: x[T.tensor([True, False, True, True])],
    "mixed": lambda T, x: x[1:, [0, 2]],
    "index_select": lambda T, x: x.index_select(1, T.tensor([2, 0, 2])),
    "gather": lambda T, x: x.gather(1, T.tensor([[0, 0], [2, 1], [1, 1], [0, 2]])),
    "gather_dim0": lambda T, x: T.gather(x, 0, T.tensor([[3, 0, 1], [3, 3, 0]])),
    "masked_select": lambda T, x: x.masked_select(x > 0),
    "masked_fill_row": lambda T, x: x.masked_fill(T.tensor([True, False, True]), 0.0),
    "sort_values": lambda T, x: x.sort(1).values,
    "sort_desc": lambda T, x: x.sort(0, descending=True),
    "topk": lambda T, x: x.topk(2, 1),
    "topk_min": lambda T, x: x.topk(2, dim=0, largest=False),
    "scatter_add": lambda T, x: T.zeros(4, 3, dtype=x.dtype).scatter_add(0, T.tensor([[0, 1, 0], [0, 3, 3]]), x[:2] * 1),
    "take_along": lambda T, x: T.take_along_dim(x, x.argmax(1, keepdim=True), 1),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(INDEX))
def test_indexing(name, dtype):
    check(INDEX[name], rnd(4, 3, dtype=dtype, seed=5), label=name)


def test_setitem_on_plain_and_graph_tensors():
    def fn(T, x):
        y = x.detach().clone()
        y[0] = 5.0
        y[:, 1] = T.tensor([1.0, 2.0, 3.0, 4.0], dtype=x.dtype)
        y[y > 4] = 0.0
        z = x * 2  # non-leaf: the assignment is recorded by autograd
        z[1:3, 0] = x[0, :2] * 10
        return y, z
    check(fn, rnd(4, 3))


def test_one_hot_and_argmax_no_grad():
    labels = np.array([0, 2, 1, 2])
    check(lambda T, t: (T.nn.functional.one_hot(t), T.nn.functional.one_hot(t, 5)), labels, backward=False)


# ---------------------------------------------------------------- matmul family

MATMUL = {
    "mm": ((3, 4), (4, 5)),
    "vec_vec": ((4,), (4,)),
    "mat_vec": ((3, 4), (4,)),
    "vec_mat": ((4,), (4, 5)),
    "batched": ((2, 3, 4), (2, 4, 5)),
    "batched_broadcast": ((2, 3, 4), (4, 5)),
    "broadcast_batch": ((2, 1, 3, 4), (5, 4, 2)),
    "vec_batched": ((4,), (2, 4, 3)),
    "batched_vec": ((2, 3, 4), (4,)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(MATMUL))
def test_matmul(name, dtype):
    sa, sb = MATMUL[name]
    check(lambda T, a, b: a @ b, rnd(*sa, dtype=dtype, seed=6), rnd(*sb, dtype=dtype, seed=7), label=name)
    check(lambda T, a, b: T.matmul(a, b), rnd(*sa, dtype=dtype, seed=6), rnd(*sb, dtype=dtype, seed=7), label=name)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_linear_family(dtype):
    x, w, b = rnd(5, 4, dtype=dtype), rnd(3, 4, dtype=dtype, seed=1), rnd(3, dtype=dtype, seed=2)
    check(lambda T, x, w, b: T.nn.functional.linear(x, w, b), x, w, b)
    check(lambda T, x, w: T.nn.functional.linear(x, w), x, w)
    check(lambda T, x, w, b: T.nn.functional.linear(x, w, b), rnd(2, 5, 4, dtype=dtype), w, b)
    check(lambda T, a, b: (T.mm(a, b.t()), T.bmm(a[None], b.t()[None]), T.outer(a[0], b[0]), T.dot(a[0], a[1]),
                           T.mv(a, b[0])), x, w)
    check(lambda T, a, b: T.einsum("ij,kj->ik", a, b), x, w)
    check(lambda T, a, b: T.einsum("bij,bjk->bik", a, b), rnd(2, 3, 4, dtype=dtype), rnd(2, 4, 2, dtype=dtype))
    check(lambda T, a: T.einsum("ij->j", a), x)


# ---------------------------------------------------------------- losses

def _ce_inputs(dtype, shape=(5, 4)):
    return rnd(*shape, dtype=dtype, seed=8)


LOSSES = {
    "mse": lambda T, x, y: T.nn.functional.mse_loss(x, y),
    "mse_sum": lambda T, x, y: T.nn.functional.mse_loss(x, y, reduction="sum"),
    "mse_none": lambda T, x, y: T.nn.functional.mse_loss(x, y, reduction="none"),
    "l1": lambda T, x, y: T.nn.functional.l1_loss(x, y),
    "l1_none": lambda T, x, y: T.nn.functional.l1_loss(x, y, reduction="none"),
    "smooth_l1": lambda T, x, y: T.nn.functional.smooth_l1_loss(x * 2, y),
    "smooth_l1_beta": lambda T, x, y: T.nn.functional.smooth_l1_loss(x, y, beta=0.3, reduction="sum"),
    "smooth_l1_beta0": lambda T, x, y: T.nn.functional.smooth_l1_loss(x, y, beta=0.0),
    "huber": lambda T, x, y: T.nn.functional.huber_loss(x * 2, y, delta=0.5),
    "bce": lambda T, x, y: T.nn.functional.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
    "bce_weight": lambda T, x, y: T.nn.functional.binary_cross_entropy(
        x.sigmoid(), (y > 0).to(x.dtype), weight=y.detach().abs(), reduction="sum"),
    "bce_none": lambda T, x, y: T.nn.functional.binary_cross_entropy(x.sigmoid(), y.sigmoid(), reduction="none"),
    "bce_logits": lambda T, x, y: T.nn.functional.binary_cross_entropy_with_logits(x * 3, y.sigmoid()),
    "bce_logits_pw": lambda T, x, y: T.nn.functional.binary_cross_entropy_with_logits(
        x * 3, (y > 0).to(x.dtype), pos_weight=T.tensor([1.0, 2.0, 0.5, 3.0], dtype=x.dtype)),
    "bce_logits_w": lambda T, x, y: T.nn.functional.binary_cross_entropy_with_logits(
        x, y.sigmoid(), weight=y.detach().abs(), pos_weight=T.tensor([2.0, 1.0, 1.0, 0.5], dtype=x.dtype),
        reduction="none"),
    "kl_div": lambda T, x, y: T.nn.functional.kl_div(x.log_softmax(1), y.softmax(1), reduction="batchmean"),
    "kl_div_mean": lambda T, x, y: T.nn.functional.kl_div(x.log_softmax(1), y.softmax(1), reduction="mean"),
    "kl_div_log_target": lambda T, x, y: T.nn.functional.kl_div(x.log_softmax(1), y.log_softmax(1),
                                                                 reduction="sum", log_target=True),
    "kl_div_none": lambda T, x, y: T.nn.functional.kl_div(x.log_softmax(1), y.softmax(1), reduction="none"),
    "ce_probs": lambda T, x, y: T.nn.functional.cross_entropy(x, y.softmax(1)),
    "ce_probs_smooth_w": lambda T, x, y: T.nn.functional.cross_entropy(
        x, y.softmax(1), weight=T.tensor([1.0, 2.0, 0.5, 1.5], dtype=x.dtype), label_smoothing=0.2),
    "ce_probs_none": lambda T, x, y: T.nn.functional.cross_entropy(x, y.softmax(1), reduction="none"),
    "cosine_similarity": lambda T, x, y: T.nn.functional.cosine_similarity(x, y),
    "normalize": lambda T, x, y: T.nn.functional.normalize(x, dim=1) * y,
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses(name, dtype):
    check(LOSSES[name], rnd(5, 4, dtype=dtype, seed=9), rnd(5, 4, dtype=dtype, seed=10), label=name)


CE = {
    "ce": dict(),
    "ce_sum": dict(reduction="sum"),
    "ce_none": dict(reduction="none"),
    "ce_weight": dict(weight=[1.0, 2.0, 0.5, 3.0]),
    "ce_ignore": dict(ignore_index=2),
    "ce_ignore_weight_none": dict(ignore_index=1, weight=[1.0, 2.0, 0.5, 3.0], reduction="none"),
    "ce_smooth": dict(label_smoothing=0.1),
    "ce_smooth_weight_ignore": dict(label_smoothing=0.25, weight=[1.0, 2.0, 0.5, 3.0], ignore_index=0),
    "ce_smooth_sum_ignore": dict(label_smoothing=0.3, ignore_index=3, reduction="sum"),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", sorted(CE))
def test_cross_entropy_and_nll(name, dtype):
    opts = dict(CE[name])
    target = np.array([0, 3, 2, 1, 2])

    def ce(T, x, t):
        kw = dict(opts)
        if "weight" in kw:
            kw["weight"] = T.tensor(kw["weight"], dtype=x.dtype)
        return T.nn.functional.cross_entropy(x, t, **kw)

    def nll(T, x, t):
        kw = {k: v for k, v in opts.items() if k != "label_smoothing"}
        if "weight" in kw:
            kw["weight"] = T.tensor(kw["weight"], dtype=x.dtype)
        return T.nn.functional.nll_loss(x.log_softmax(1), t, **kw)

    check(ce, _ce_inputs(dtype), target, label=name)
    check(nll, _ce_inputs(dtype), target, label="nll_" + name)
    # spatial (N, C, d1, d2) inputs with (N, d1, d2) targets
    xs = rnd(2, 4, 3, 2, dtype=dtype, seed=11)
    ts = np.random.default_rng(12).integers(0, 4, (2, 3, 2))
    check(ce, xs, ts, label=name + "_spatial")
    check(nll, xs, ts, label="nll_" + name + "_spatial")
    # unbatched (C,) input with a 0-dim target
    check(ce, rnd(4, dtype=dtype, seed=13), np.array(2), label=name + "_unbatched")


def test_cross_entropy_all_ignored_is_nan_like_torch():
    check(lambda T, x, t: T.nn.functional.cross_entropy(x, t, ignore_index=1), rnd(2, 3), np.array([1, 1]),
          backward=False)


# ---------------------------------------------------------------- dtype promotion

def test_dtype_promotion():
    i = np.array([1, 2, 3])
    i32 = np.array([1, 2, 3], dtype=np.int32)
    f32 = np.array([0.5, 1.5, 2.5], dtype=np.float32)
    f64 = np.array([0.25, 0.5, 0.75])
    b = np.array([True, False, True])
    zero64 = np.array(2.0)
    cases = [
        lambda T, i, i32, f32, f64, b, z: i + f32,
        lambda T, i, i32, f32, f64, b, z: f32 + f64,
        lambda T, i, i32, f32, f64, b, z: i + 1.5,
        lambda T, i, i32, f32, f64, b, z: i * 2,
        lambda T, i, i32, f32, f64, b, z: i32 + i,
        lambda T, i, i32, f32, f64, b, z: i32 + 1,
        lambda T, i, i32, f32, f64, b, z: b + 1,
        lambda T, i, i32, f32, f64, b, z: b & (i > 1),
        lambda T, i, i32, f32, f64, b, z: i / 2,
        lambda T, i, i32, f32, f64, b, z: i / i32,
        lambda T, i, i32, f32, f64, b, z: i // 2,
        lambda T, i, i32, f32, f64, b, z: f32 * z,
        lambda T, i, i32, f32, f64, b, z: i * z,
        lambda T, i, i32, f32, f64, b, z: f32 > f64,
        lambda T, i, i32, f32, f64, b, z: i == 2,
        lambda T, i, i32, f32, f64, b, z: i.sum(),
        lambda T, i, i32, f32, f64, b, z: i32.sum(),
        lambda T, i, i32, f32, f64, b, z: b.sum(),
        lambda T, i, i32, f32, f64, b, z: i.float().mean(),
        lambda T, i, i32, f32, f64, b, z: f32.argmax(),
        lambda T, i, i32, f32, f64, b, z: T.where(b, f32, i),
        lambda T, i, i32, f32, f64, b, z: T.cat([f32, f64]),
        lambda T, i, i32, f32, f64, b, z: T.stack([i, i32]),
        lambda T, i, i32, f32, f64, b, z: T.maximum(i, f32),
        lambda T, i, i32, f32, f64, b, z: i ** 2,
        lambda T, i, i32, f32, f64, b, z: i.exp(),
        lambda T, i, i32, f32, f64, b, z: T.sqrt(i32),
        lambda T, i, i32, f32, f64, b, z: i.clamp(max=2),
        lambda T, i, i32, f32, f64, b, z: i.max(),
        lambda T, i, i32, f32, f64, b, z: -i,
        lambda T, i, i32, f32, f64, b, z: ~b,
        lambda T, i, i32, f32, f64, b, z: (i.to(T.float64), i.long(), f32.int(), f64.bool(), b.float()),
        lambda T, i, i32, f32, f64, b, z: T.tensor([1, 2]) * 1.0,
        lambda T, i, i32, f32, f64, b, z: T.arange(5) * 0.5,
    ]
    for n, fn in enumerate(cases):
        check(fn, i, i32, f32, f64, b, zero64, backward=False, label=f"promotion case {n}")


def test_mean_of_integers_raises_like_torch():
    import neuralab.scratch as T
    with pytest.raises(RuntimeError, match="mean"):
        T.tensor([1, 2, 3]).mean()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("name,fn", [
    ("sigmoid", lambda T, x: x.sigmoid()),
    ("sigmoid_tails", lambda T, x: T.sigmoid(x * 4 - 10)),
    ("silu", lambda T, x: T.nn.functional.silu(x * 4)),
    ("softplus", lambda T, x: T.nn.functional.softplus(x * 4)),
])
def test_sigmoid_family_on_large_arrays(name, fn, dtype):
    """sigmoid_array switches formula at 256 elements: the large-array path against torch too."""
    check(fn, rnd(40, 20, dtype=dtype, seed=3) * 3, label=f"{name} (800 elements)")
