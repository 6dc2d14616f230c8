"""nn: Module API, state_dict parity with torch, layers and losses as modules, init, clipping."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import assert_close, check, check_module, copy_state, module_pair, to_numpy


def mlp(E, sizes=(6, 16, 8, 3), act="ReLU"):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(E.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(getattr(E.nn, act)())
    return E.nn.Sequential(*layers)


def custom_model(E, d_in=5, hidden=7, classes=3):
    """A model written once against the shared API, as neuralab's models are."""
    F = E.nn.functional

    class Net(E.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = E.nn.Linear(d_in, hidden)
            self.branch = E.nn.ModuleList([E.nn.Linear(hidden, hidden), E.nn.Linear(hidden, hidden)])
            self.heads = E.nn.ModuleDict({"cls": E.nn.Linear(2 * hidden, classes), "aux": E.nn.Linear(2 * hidden, 1)})
            self.register_buffer("scale", E.ones(hidden) * 0.5)
            self.drop = E.nn.Dropout(0.0)

        def forward(self, x):
            h = F.gelu(self.fc1(x)) * self.scale
            h = E.cat([F.silu(self.branch[0](h)), E.tanh(self.branch[1](h))], dim=1)
            h = self.drop(h)
            return F.log_softmax(self.heads["cls"](h), dim=-1), self.heads["aux"](h).sigmoid()

    return Net()


def test_state_dict_keys_shapes_and_round_trip():
    torch.manual_seed(0)
    tm = mlp(torch)
    sm = mlp(T)
    ts, ss = tm.state_dict(), sm.state_dict()
    assert list(ts.keys()) == list(ss.keys()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert all(tuple(ts[k].shape) == tuple(ss[k].shape) for k in ts)
    copy_state(tm, sm)
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    assert_close(tm(torch.from_numpy(x)), sm(T.from_numpy(x)), "mlp forward after torch->scratch")
    # and back: perturb scratch, copy into a fresh torch model
    with T.no_grad():
        for p in sm.parameters():
            p.mul_(1.5)
    tm2 = mlp(torch)
    copy_state(sm, tm2)
    assert_close(tm2(torch.from_numpy(x)), sm(T.from_numpy(x)), "mlp forward after scratch->torch")
    # values support .detach().cpu().numpy() and load from plain numpy / from_numpy
    arrays = {k: v.detach().cpu().numpy() for k, v in sm.state_dict().items()}
    sm3 = mlp(T)
    sm3.load_state_dict({k: T.from_numpy(a) for k, a in arrays.items()})
    sm4 = mlp(T)
    sm4.load_state_dict(arrays)
    for a, b, c in zip(sm.parameters(), sm3.parameters(), sm4.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        np.testing.assert_array_equal(a.detach().numpy(), c.detach().numpy())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_custom_model_parity_with_grads(dtype):
    x = np.random.default_rng(1).standard_normal((6, 5)).astype(dtype)
    check_module(custom_model, x, dtype=dtype)


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus", "Mish",
                                  "ReLU6", "Hardtanh", "LogSigmoid", "Softsign", "Identity", "Flatten"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_activation_modules(name, dtype):
    x = (np.random.default_rng(2).standard_normal((4, 3, 2)) * 3).astype(dtype)
    check_module(lambda E: getattr(E.nn, name)(), x, label=name, dtype=dtype)


def test_configured_modules():
    x = np.random.default_rng(3).standard_normal((4, 6)) * 2
    check_module(lambda E: E.nn.LeakyReLU(0.2), x)
    check_module(lambda E: E.nn.ELU(alpha=0.5), x)
    check_module(lambda E: E.nn.GELU(approximate="tanh"), x)
    check_module(lambda E: E.nn.Softplus(beta=2, threshold=3), x)
    check_module(lambda E: E.nn.Softmax(dim=1), x)
    check_module(lambda E: E.nn.LogSoftmax(dim=-1), x)
    check_module(lambda E: E.nn.Unflatten(1, (2, 3)), x)
    check_module(lambda E: E.nn.Sequential(E.nn.Unflatten(1, (3, 2)), E.nn.Flatten(0)), x)
    check_module(lambda E: E.nn.Linear(6, 2, bias=False), x)
    check_module(lambda E: E.nn.Dropout(0.3), x, train=False)


LOSS_MODULES = {
    "MSELoss": (lambda E: E.nn.MSELoss(), "reg"),
    "MSELoss_sum": (lambda E: E.nn.MSELoss(reduction="sum"), "reg"),
    "L1Loss": (lambda E: E.nn.L1Loss(), "reg"),
    "SmoothL1Loss": (lambda E: E.nn.SmoothL1Loss(beta=0.5), "reg"),
    "HuberLoss": (lambda E: E.nn.HuberLoss(delta=0.7), "reg"),
    "BCELoss": (lambda E: E.nn.BCELoss(), "prob"),
    "BCELoss_w": (lambda E: E.nn.BCELoss(weight=E.tensor([1.0, 2.0, 0.5])), "prob"),
    "BCEWithLogitsLoss": (lambda E: E.nn.BCEWithLogitsLoss(pos_weight=E.tensor([2.0, 1.0, 0.5])), "logit"),
    "CrossEntropyLoss": (lambda E: E.nn.CrossEntropyLoss(), "cls"),
    "CrossEntropyLoss_opts": (lambda E: E.nn.CrossEntropyLoss(weight=E.tensor([1.0, 3.0, 0.5]),
                                                               ignore_index=1, label_smoothing=0.1), "cls"),
    "NLLLoss": (lambda E: E.nn.NLLLoss(reduction="sum"), "logp"),
    "KLDivLoss": (lambda E: E.nn.KLDivLoss(reduction="batchmean"), "kl"),
    "KLDivLoss_log": (lambda E: E.nn.KLDivLoss(reduction="sum", log_target=True), "kl_log"),
}


@pytest.mark.parametrize("name", sorted(LOSS_MODULES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_loss_modules(name, dtype):
    build, kind = LOSS_MODULES[name]
    r = np.random.default_rng(4)
    x = r.standard_normal((5, 3)).astype(dtype)
    y = r.standard_normal((5, 3)).astype(dtype)
    cls = np.array([0, 2, 1, 1, 2])
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    inputs = {
        "reg": (x, y), "prob": (sig(x), sig(y)), "logit": (x, sig(y)), "cls": (x, cls),
        "logp": (x - np.log(np.exp(x).sum(1, keepdims=True)), cls),
        "kl": (x - np.log(np.exp(x).sum(1, keepdims=True)), np.exp(y) / np.exp(y).sum(1, keepdims=True)),
        "kl_log": (x - np.log(np.exp(x).sum(1, keepdims=True)), y - np.log(np.exp(y).sum(1, keepdims=True))),
    }[kind]
    tm, sm = module_pair(build, dtype=dtype)
    inputs = tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs)
    check(lambda E, a, b: (tm if E is torch else sm)(a, b), *inputs, label=name)
    assert list(tm.state_dict().keys()) == list(sm.state_dict().keys())


def test_repr_matches_torch():
    def build(E):
        return E.nn.Sequential(OrderedDict([
            ("fc", E.nn.Linear(4, 3)), ("act", E.nn.ReLU()), ("leaky", E.nn.LeakyReLU(0.1)), ("elu", E.nn.ELU()),
            ("gelu", E.nn.GELU()), ("silu", E.nn.SiLU()), ("sig", E.nn.Sigmoid()), ("tanh", E.nn.Tanh()),
            ("sp", E.nn.Softplus()), ("sm", E.nn.Softmax(dim=1)), ("lsm", E.nn.LogSoftmax(dim=1)),
            ("drop", E.nn.Dropout(0.25)), ("flat", E.nn.Flatten()), ("unflat", E.nn.Unflatten(1, (1, 3))),
            ("id", E.nn.Identity()), ("list", E.nn.ModuleList([E.nn.Linear(3, 3, bias=False)])),
            ("dict", E.nn.ModuleDict({"a": E.nn.ReLU(inplace=True)})), ("mse", E.nn.MSELoss()),
            ("ce", E.nn.CrossEntropyLoss()),
        ]))
    assert repr(build(T)) == repr(build(torch))
    assert repr(custom_model(T)) == repr(custom_model(torch))


def test_module_api():
    torch.manual_seed(0)
    tm, sm = custom_model(torch), custom_model(T)
    assert [n for n, _ in sm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in sm.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in sm.named_children()] == [n for n, _ in tm.named_children()]
    assert [n for n, _ in sm.named_buffers()] == [n for n, _ in tm.named_buffers()] == ["scale"]
    assert list(sm.state_dict().keys()) == list(tm.state_dict().keys())
    assert len(list(sm.parameters())) == len(list(tm.parameters()))
    assert len(list(sm.modules())) == len(list(tm.modules()))
    sm.eval()
    assert not sm.training and not sm.drop.training and not sm.heads["cls"].training
    assert sm.train() is sm and sm.branch[1].training
    seen = []
    sm.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"
    out = sm(T.randn(2, 5))
    (out[0].sum() + out[1].sum()).backward()
    assert all(p.grad is not None for p in sm.parameters())
    sm.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in sm.parameters())
    sm.zero_grad()
    assert all(p.grad is None for p in sm.parameters())
    sm.requires_grad_(False)
    assert not any(p.requires_grad for p in sm.parameters())
    sm.double()
    assert all(p.dtype == T.float64 for p in sm.parameters()) and sm.scale.dtype == T.float64
    assert sm.to("cpu") is sm and sm.to(T.float32).fc1.weight.dtype == T.float32
    with pytest.raises(NotImplementedError, match="CUDA"):
        sm.cuda()
    with pytest.raises(NotImplementedError, match="CUDA"):
        sm.to("cuda")
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        sm.missing  # noqa: B018
    assert not hasattr(sm, "missing")


def test_buffers_parameters_registration():
    m = T.nn.Module()
    m.register_buffer("running", T.zeros(3))
    m.register_buffer("tmp", T.ones(2), persistent=False)
    m.w = T.nn.Parameter(T.ones(2, 2))
    m.register_parameter("b", None)
    assert list(m.state_dict().keys()) == ["w", "running"]
    assert [n for n, _ in m.named_buffers()] == ["running", "tmp"]
    assert m.b is None and [n for n, _ in m.named_parameters()] == ["w"]
    m.running = T.full((3,), 2.0)
    assert m.state_dict()["running"].tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(TypeError):
        m.w = T.ones(2, 2)  # a plain tensor cannot replace a parameter
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("w", T.zeros(1))
    shared = T.nn.Linear(2, 2)
    seq = T.nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2
    del m.w
    assert "w" not in m.state_dict()


def test_load_state_dict_errors_like_torch():
    sm, tm = mlp(T), mlp(torch)
    good = {k: v.detach().numpy() for k, v in tm.state_dict().items()}
    bad = dict(good)
    bad.pop("0.bias")
    bad["extra.weight"] = np.zeros(1)
    bad["2.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError) as info:
        sm.load_state_dict(bad)
    text = str(info.value)
    assert text.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias".' in text
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in text
    assert "size mismatch for 2.weight: copying a param with shape" in text
    del bad["2.weight"]
    result = sm.load_state_dict({k: v for k, v in bad.items() if k != "2.weight"}, strict=False)
    assert result.missing_keys == ["0.bias", "2.weight"] and result.unexpected_keys == ["extra.weight"]


def test_a_one_element_vector_loads_into_a_0_dim_buffer_as_in_torch():
    """torch's load_state_dict takes a (1,) array for a 0-dim tensor (num_batches_tracked saved
    through np.ascontiguousarray, which makes 0-dim arrays 1-dim); so does the scratch engine."""
    tm, sm = torch.nn.BatchNorm1d(3), T.nn.BatchNorm1d(3)
    state = {k: v.detach().numpy() for k, v in tm.state_dict().items()}
    state["num_batches_tracked"] = np.array([7], dtype=np.int64)
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    sm.load_state_dict(state)
    assert int(sm.num_batches_tracked.item()) == int(tm.num_batches_tracked.item()) == 7
    assert tuple(sm.num_batches_tracked.shape) == tuple(tm.num_batches_tracked.shape) == ()
    state["num_batches_tracked"] = np.array([7, 8], dtype=np.int64)  # two elements: a mismatch on both
    for module, convert in ((tm, torch.from_numpy), (sm, lambda a: a)):
        with pytest.raises(RuntimeError, match="size mismatch for num_batches_tracked"):
            module.load_state_dict({k: convert(v) for k, v in state.items()})


def test_containers():
    seq = T.nn.Sequential(T.nn.Linear(2, 3), T.nn.ReLU(), T.nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[0], T.nn.Linear) and isinstance(seq[-1], T.nn.Linear)
    assert isinstance(seq[:2], T.nn.Sequential) and len(seq[:2]) == 2
    seq.append(T.nn.Sigmoid())
    assert len(seq) == 4 and list(seq.state_dict().keys()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    assert list(seq.state_dict().keys()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    ml = T.nn.ModuleList([T.nn.ReLU()])
    ml.append(T.nn.Tanh())
    ml.extend([T.nn.Sigmoid()])
    ml.insert(0, T.nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "ReLU", "Tanh", "Sigmoid"] and len(ml[1:]) == 3
    md = T.nn.ModuleDict({"a": T.nn.Linear(1, 1)})
    md["b"] = T.nn.ReLU()
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    assert list(md.state_dict().keys()) == ["a.weight", "a.bias"]
    pl = T.nn.ParameterList([T.nn.Parameter(T.ones(2)), T.nn.Parameter(T.zeros(1))])
    assert len(list(pl.parameters())) == 2


def test_forward_hooks():
    m = T.nn.Linear(2, 2)
    seen = []
    h = m.register_forward_hook(lambda mod, inp, out: seen.append(out.shape))
    pre = m.register_forward_pre_hook(lambda mod, inp: (inp[0] * 0,))
    out = m(T.ones(3, 2))
    assert seen == [(3, 2)]
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(m.bias.detach().numpy(), (3, 2)))
    h.remove()
    pre.remove()
    m(T.ones(1, 2))
    assert len(seen) == 1


def test_dropout_semantics():
    T.manual_seed(0)
    d = T.nn.Dropout(0.3)
    x = T.ones(200, 100)
    y = d(x)
    zeros = float((y == 0).float().mean())
    assert 0.27 < zeros < 0.33
    np.testing.assert_allclose(np.unique(y.numpy()), [0.0, 1 / 0.7], rtol=1e-6)
    d.eval()
    assert d(x) is x
    assert T.nn.functional.dropout(x, 0.5, training=False) is x
    assert float(T.nn.functional.dropout(x, 1.0).abs().sum()) == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.nn.Dropout(1.5)
    xg = T.ones(4, 5, requires_grad=True)
    yg = T.nn.functional.dropout(xg, 0.5)
    yg.sum().backward()
    np.testing.assert_array_equal(xg.grad.numpy(), yg.detach().numpy())


def test_linear_default_init_distribution():
    T.manual_seed(0)
    for fan_in, fan_out in [(784, 128), (3, 50), (64, 64)]:
        layer = T.nn.Linear(fan_in, fan_out)
        bound = 1 / math.sqrt(fan_in)
        w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
        assert w.shape == (fan_out, fan_in) and w.dtype == np.float32
        assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
        # uniform on [-bound, bound]: std = bound / sqrt(3)
        assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
        assert np.abs(w).max() > 0.9 * bound
    t64 = T.nn.Linear(3, 2, dtype=T.float64)
    assert t64.weight.dtype == T.float64


def test_init_functions():
    assert T.nn.init.calculate_gain("relu") == torch.nn.init.calculate_gain("relu")
    assert T.nn.init.calculate_gain("tanh") == torch.nn.init.calculate_gain("tanh")
    assert T.nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    assert T.nn.init.calculate_gain("sigmoid") == 1 and T.nn.init.calculate_gain("selu") == 0.75
    T.manual_seed(1)
    w = T.empty(400, 300)
    n = 400 * 300
    cases = [
        (lambda: T.nn.init.xavier_uniform_(w), math.sqrt(2 / 700)),
        (lambda: T.nn.init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / 700)),
        (lambda: T.nn.init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 300)),
        (lambda: T.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / 400)),
        (lambda: T.nn.init.kaiming_uniform_(w, a=math.sqrt(5)), math.sqrt(2 / 6) / math.sqrt(300)),
        (lambda: T.nn.init.normal_(w, 0.0, 0.02), 0.02),
        (lambda: T.nn.init.uniform_(w, -1, 1), 1 / math.sqrt(3)),
        (lambda: T.nn.init.trunc_normal_(w, std=0.02), 0.02),
        (lambda: T.nn.init.trunc_normal_(w, std=1.0, a=-2.0, b=2.0), 0.8796),
    ]
    for fill, expected_std in cases:
        out = fill()
        assert out is w
        s = float(w.std())
        assert abs(s - expected_std) < 4 * expected_std / math.sqrt(n) + 0.01 * expected_std, (s, expected_std)
    T.nn.init.zeros_(w)
    assert float(w.abs().sum()) == 0
    T.nn.init.ones_(w)
    T.nn.init.constant_(w, 0.5)
    assert float(w.mean()) == 0.5
    q = T.empty(5, 3)
    T.nn.init.orthogonal_(q)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(3), atol=1e-5)
    e = T.empty(3, 3)
    T.nn.init.eye_(e)
    assert e.tolist() == np.eye(3).tolist()
    p = T.nn.Parameter(T.ones(2, 2))
    T.nn.init.uniform_(p)  # works on parameters that require grad (runs under no_grad)
    assert p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0])
def test_clip_grad_norm_matches_torch(norm_type):
    tm, sm = module_pair(mlp)
    x = np.random.default_rng(5).standard_normal((8, 6))
    tl = (tm(torch.from_numpy(x)) ** 2).sum()
    sl = (sm(T.from_numpy(x)) ** 2).sum()
    tl.backward()
    sl.backward()
    tn = torch.nn.utils.clip_grad_norm_(tm.parameters(), 0.5, norm_type=norm_type)
    sn = T.nn.utils.clip_grad_norm_(sm.parameters(), 0.5, norm_type=norm_type)
    assert_close(tn, sn, "total norm")
    for tp, sp in zip(tm.parameters(), sm.parameters()):
        assert_close(tp.grad, sp.grad, "clipped grad")
    torch.nn.utils.clip_grad_value_(tm.parameters(), 0.01)
    T.nn.utils.clip_grad_value_(sm.parameters(), 0.01)
    for tp, sp in zip(tm.parameters(), sm.parameters()):
        assert_close(tp.grad, sp.grad, "value-clipped grad")
    vec = T.nn.utils.parameters_to_vector(sm.parameters())
    assert_close(torch.nn.utils.parameters_to_vector(tm.parameters()).detach(), vec, "parameters_to_vector")


@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])  # clipping, and a factor of 1
def test_get_total_norm_and_clip_grads_with_norm_match_torch(norm_type, max_norm):
    tm, sm = module_pair(mlp)
    x = np.random.default_rng(6).standard_normal((8, 6))
    (tm(torch.from_numpy(x)) ** 2).sum().backward()
    (sm(T.from_numpy(x)) ** 2).sum().backward()
    tn = torch.nn.utils.get_total_norm([p.grad for p in tm.parameters()], norm_type)
    sn = T.nn.utils.get_total_norm([p.grad for p in sm.parameters()], norm_type)
    assert_close(tn, sn, "total norm")
    torch.nn.utils.clip_grads_with_norm_(tm.parameters(), max_norm, tn)
    T.nn.utils.clip_grads_with_norm_(sm.parameters(), max_norm, sn)
    for tp, sp in zip(tm.parameters(), sm.parameters()):
        assert_close(tp.grad, sp.grad, "clipped grad")
    with pytest.raises(RuntimeError, match="non-finite"):
        T.nn.utils.get_total_norm([T.tensor([float("nan")])], error_if_nonfinite=True)


def test_linear_shape_error_names_shapes():
    layer = T.nn.Linear(784, 128)
    with pytest.raises(RuntimeError) as info:
        layer(T.zeros(32, 28, 28))
    text = str(info.value)
    assert "mat1 and mat2 shapes cannot be multiplied (896x28 and 784x128)" in text
    assert "Linear(784 -> 128) got input of shape (32, 28, 28)" in text and "flatten" in text
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(32x784 and 128x10\)"):
        T.zeros(32, 784) @ T.zeros(128, 10)
    with pytest.raises(RuntimeError, match="same dtype"):
        layer(T.zeros(2, 784, dtype=T.float64))
    tlayer = torch.nn.Linear(784, 128)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(896x28 and 784x128\)"):
        tlayer(torch.zeros(32, 28, 28))


def test_parameter_behaviour():
    p = T.nn.Parameter(T.randn(2, 3))
    assert isinstance(p, T.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    q = p * 2
    assert type(q) is T.Tensor and q.requires_grad
    import copy
    m = T.nn.Linear(2, 2)
    m2 = copy.deepcopy(m)
    assert isinstance(m2.weight, T.nn.Parameter) and m2.weight is not m.weight
    np.testing.assert_array_equal(to_numpy(m2.weight), to_numpy(m.weight))
    assert list(m2.state_dict().keys()) == ["weight", "bias"]
