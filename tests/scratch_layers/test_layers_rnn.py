"""Recurrent layers parity: RNN / LSTM / GRU (multi-layer, bidirectional, batch_first, initial
states, unbatched) and the cells, against torch with the same state_dict."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import check_modules, copy_state, engine_tensor

R = np.random.default_rng(5)


def rn(*shape):
    return R.standard_normal(shape)


SNN = T.nn


def _states(kind, layers_dirs, batch, hidden):
    h = rn(layers_dirs, batch, hidden) * 0.5
    return (h, rn(layers_dirs, batch, hidden) * 0.5) if kind == "LSTM" else (h,)


def _call(kind, with_state):
    def call(m, x, *states):
        if not with_state:
            return m(x)
        return m(x, (states[0], states[1])) if kind == "LSTM" else m(x, states[0])
    return call


CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=3, batch_first=True),
    dict(num_layers=2, bias=False, bidirectional=True, batch_first=True),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "RNN_relu"])
@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_parity(kind, cfg, with_state, dtype):
    name, extra = (kind, {}) if kind != "RNN_relu" else ("RNN", {"nonlinearity": "relu"})
    input_size, hidden, steps, batch = 5, 7, 6, 3
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(input_size, hidden, **cfg, **extra)
    sm = getattr(SNN, name)(input_size, hidden, **cfg, **extra)
    dirs = 2 if cfg.get("bidirectional") else 1
    x = rn(batch, steps, input_size) if cfg.get("batch_first") else rn(steps, batch, input_size)
    states = _states(name, cfg["num_layers"] * dirs, batch, hidden) if with_state else ()
    check_modules("rnn", tm, sm, x, *states, dtype=dtype, call=_call(name, with_state))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_unbatched_and_long(kind):
    torch.manual_seed(1)
    tm, sm = getattr(torch.nn, kind)(4, 6, num_layers=2, bidirectional=True), getattr(SNN, kind)(4, 6, num_layers=2,
                                                                                              bidirectional=True)
    check_modules("rnn", tm, sm, rn(5, 4), call=_call(kind, False))
    tm, sm = getattr(torch.nn, kind)(3, 8), getattr(SNN, kind)(3, 8)
    check_modules("rnn", tm, sm, rn(40, 2, 3), *_states(kind, 1, 2, 8), call=_call(kind, True))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells(kind, batched, dtype):
    torch.manual_seed(2)
    tm, sm = getattr(torch.nn, kind)(5, 4), getattr(SNN, kind)(5, 4)
    shape = (3,) if batched else ()
    x, h, c = rn(*shape, 5), rn(*shape, 4), rn(*shape, 4)

    def call(m, x, h, c=None):
        return m(x, (h, c)) if kind == "LSTMCell" else m(x, h)
    check_modules("rnn", tm, sm, x, h, *([c] if kind == "LSTMCell" else []), dtype=dtype, call=call)
    check_modules("rnn", tm, sm, x, dtype=dtype)     # default zero state


def test_parameter_names_shapes_and_init():
    for kind in ("RNN", "LSTM", "GRU"):
        tm = getattr(torch.nn, kind)(3, 5, num_layers=2, bidirectional=True)
        sm = getattr(SNN, kind)(3, 5, num_layers=2, bidirectional=True)
        assert [(k, tuple(v.shape)) for k, v in sm.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
        assert repr(sm) == repr(tm)
        for p in sm.parameters():
            assert np.abs(p._data).max() <= 1 / np.sqrt(5) and p._data.dtype == np.float32
    assert repr(SNN.RNN(2, 3, nonlinearity="relu", batch_first=True)) == \
        repr(torch.nn.RNN(2, 3, nonlinearity="relu", batch_first=True))
    assert repr(SNN.LSTMCell(2, 3)) == repr(torch.nn.LSTMCell(2, 3))


def test_state_dict_round_trip_scratch_to_torch():
    T.manual_seed(3)
    sm = SNN.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True).to(T.float64)
    tm = torch.nn.LSTM(4, 6, num_layers=2, bidirectional=True, batch_first=True).double()
    copy_state(sm, tm)
    check_modules("rnn", tm, sm, rn(3, 5, 4), copy_state=False)


def test_dropout_between_layers_only_in_training():
    T.manual_seed(0)
    m = SNN.GRU(3, 4, num_layers=2, dropout=0.5).to(T.float64)
    x = engine_tensor(T, rn(5, 2, 3))
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    np.testing.assert_array_equal(a._data, b._data)
    m.train()
    c, _ = m(x)
    assert not np.allclose(c._data, a._data)


def test_errors():
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size"):
        SNN.LSTM(3, 4)(T.zeros(5, 2, 7))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        SNN.GRU(3, 4)(T.zeros(5, 2, 3), T.zeros(2, 2, 4))


def test_float32_stays_float32():
    m = SNN.LSTM(3, 4, num_layers=2)
    x = T.randn(5, 2, 3, requires_grad=True)
    out, (h, c) = m(x)
    (out.sum() + h.sum() + c.sum()).backward()
    assert out.dtype == T.float32 and x.grad.dtype == T.float32
    assert all(p.grad._data.dtype == np.float32 for p in m.parameters())


@pytest.mark.parametrize("split", [True, False])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_step_products_for_either_kind_of_blas(split, kind, dtype, monkeypatch):
    """Hidden 96, batch 32: where the BLAS has a small-matrix path the per-step products run as
    several small BLAS calls (StepProduct; RowBlockProduct for LSTM, after one batched product
    for the inputs); where it packs every call, one product per step (the LSTM's with its input
    folded in).  Both are forced here, so each is checked on every machine."""
    from neuralab.scratch.ops import _blas
    from neuralab.scratch.ops.rnn import GATES, StepProduct
    monkeypatch.setattr(_blas, "SPLIT_SMALL_PRODUCTS", split)
    assert (StepProduct(np.zeros((96, GATES["LSTM"] * 96)), 32).blocks > 1) == split
    torch.manual_seed(4)
    tm, sm = getattr(torch.nn, kind)(16, 96, bidirectional=True), getattr(SNN, kind)(16, 96, bidirectional=True)
    check_modules("rnn", tm, sm, rn(5, 32, 16), *_states(kind, 2, 32, 96), dtype=dtype, call=_call(kind, True))


def test_no_split_where_the_blas_has_no_small_matrix_path(monkeypatch):
    """OpenBLAS's Haswell kernel (also Zen's) packs every call: one product per step, not many."""
    from neuralab.scratch.ops import _blas
    from neuralab.scratch.ops.rnn import GATES, RowBlockProduct, StepProduct
    monkeypatch.setattr(_blas, "SPLIT_SMALL_PRODUCTS", False)
    assert StepProduct(np.zeros((96, GATES["LSTM"] * 96)), 32).blocks == 1
    assert RowBlockProduct(np.zeros((4 * 256, 385)), 32).blocks == 1


def test_the_openblas_kernel_is_the_one_threadpoolctl_sees():
    """An independent reader of the same library: threadpoolctl's ``architecture``."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from neuralab.scratch.ops import _blas
    numpy_blas = [p for p in threadpoolctl.threadpool_info()
                  if p.get("internal_api") == "openblas" and "numpy.libs" in p.get("filepath", "")]
    if not numpy_blas:
        pytest.skip("NumPy here does not run its bundled OpenBLAS")
    assert _blas.openblas_kernel() == numpy_blas[0]["architecture"].lower()


@pytest.mark.parametrize("shape, batch", [((256, 1024), 32), ((1024, 256), 32), ((96, 288), 32), ((7, 5), 3),
                                          ((64, 256), 1)])
def test_step_product_matches_matmul(shape, batch):
    from neuralab.scratch.ops.rnn import StepProduct
    m = R.standard_normal(shape)
    x = R.standard_normal((batch, shape[0]))
    addend_seq = R.standard_normal((2, batch, shape[0] + 1))
    product = StepProduct(m, batch)
    np.testing.assert_allclose(product(x), x @ m, rtol=1e-10, atol=1e-10)
    target = np.empty((batch, shape[1]))
    product.write_into(x, target)
    np.testing.assert_allclose(target, x @ m, rtol=1e-10, atol=1e-10)
    w = R.standard_normal((shape[0] + 1, shape[1]))
    projected = product.project(addend_seq, w)
    product.combine(x, projected[1], target)
    np.testing.assert_allclose(target, addend_seq[1] @ w + x @ m, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape, batch, split", [((1024, 385), 32, True), ((384, 113), 32, True), ((28, 12), 3, False),
                                                 ((64, 256), 1, False)])
def test_row_block_product_matches_matmul(shape, batch, split, monkeypatch):
    """The LSTM's per-step product ``M @ z`` (batch-last), also for M a transposed view (split
    forced on: the sizes that split where the BLAS has a small-matrix path)."""
    from neuralab.scratch.ops import _blas
    from neuralab.scratch.ops.rnn import RowBlockProduct
    monkeypatch.setattr(_blas, "SPLIT_SMALL_PRODUCTS", True)
    m = R.standard_normal(shape)
    z = R.standard_normal((shape[1], batch))
    for matrix in (m, np.ascontiguousarray(m.T).T):
        product = RowBlockProduct(matrix, batch)
        assert (product.blocks > 1) == split
        out = np.empty((shape[0], batch))
        product(z, out)
        np.testing.assert_allclose(out, m @ z, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- fused kernels against a reference cell

def _reference_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
    """One recurrent layer written as torch's cell equations with primitive scratch ops
    (matmul, slicing, sigmoid, tanh, relu, arithmetic), one step at a time: what the fused
    kernels of ``ops/rnn.py`` must compute, values and gradients."""
    H = w_hh.shape[1]
    h, c = h0, c0
    outputs = [None] * x.shape[0]
    for t in (range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])):
        gi = x[t] @ w_ih.T + b_ih                                   # input terms (B, G*H)
        gh = h @ w_hh.T + b_hh                                      # hidden terms
        if mode == "LSTM":
            a = gi + gh
            i, f, g, o = a[:, :H].sigmoid(), a[:, H:2 * H].sigmoid(), a[:, 2 * H:3 * H].tanh(), a[:, 3 * H:].sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
        elif mode == "GRU":
            r = (gi[:, :H] + gh[:, :H]).sigmoid()
            z = (gi[:, H:2 * H] + gh[:, H:2 * H]).sigmoid()
            n = (gi[:, 2 * H:] + r * gh[:, 2 * H:]).tanh()
            h = (1 - z) * n + z * h
        else:
            a = gi + gh
            h = a.tanh() if mode == "RNN_TANH" else a.relu()
        outputs[t] = h
    final = (h, c) if mode == "LSTM" else (h,)
    return (T.stack(outputs),) + final


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_kernel_matches_reference_cell(mode, reverse):
    """LSTMLayer / GRULayer / RNNLayer against :func:`_reference_layer`: the outputs, final
    states and the gradient of every input (float64, the harness tolerance)."""
    from harness import assert_close
    from neuralab.scratch.ops.rnn import GATES, recurrent_layer
    steps, batch, size, H = 5, 3, 4, 6
    G = GATES[mode]
    arrays = [rn(steps, batch, size), rn(batch, H) * 0.5, rn(batch, H) * 0.5,
              rn(G * H, size) * 0.4, rn(G * H, H) * 0.4, rn(G * H) * 0.1, rn(G * H) * 0.1]
    if mode != "LSTM":
        arrays[2] = None                                             # no cell state
    results = []
    for run in (recurrent_layer, None):
        leaves = [None if a is None else engine_tensor(T, a, True) for a in arrays]
        x, h0, c0, w_ih, w_hh, b_ih, b_hh = leaves
        if run is None:
            outs = _reference_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse)
        else:
            outs = run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode=mode, reverse=reverse)
        seeds = [engine_tensor(T, np.random.default_rng(i).standard_normal(tuple(o.shape))) for i, o in enumerate(outs)]
        T.autograd.backward(list(outs), seeds)
        results.append((outs, [None if t is None else t.grad for t in leaves]))
    (fused, fused_grads), (reference, reference_grads) = results
    assert len(fused) == len(reference)
    for i, (f, r) in enumerate(zip(fused, reference)):
        assert_close(torch.from_numpy(r.detach().numpy().copy()), f, f"{mode} output {i}")
    for name, f, r in zip(("x", "h0", "c0", "w_ih", "w_hh", "b_ih", "b_hh"), fused_grads, reference_grads):
        if r is None:
            continue
        assert f is not None, f"{mode}: fused kernel gave no gradient for {name}"
        assert_close(torch.from_numpy(r.numpy().copy()), f, f"{mode} grad {name}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lstm_with_saturated_gates_matches_torch_without_overflow_warnings(dtype):
    """Weights of up to +-100 drive the fused LSTM's ``exp`` to inf (its gates are ``1 / (1 + exp(-a))``
    and ``1 - 2 / (1 + exp(2a))``): saturated gates must still come out as 0 and 1, matching
    torch, and the overflow must stay inside the kernel (no RuntimeWarning to the user)."""
    torch.manual_seed(0)
    tm, sm = torch.nn.LSTM(3, 4), SNN.LSTM(3, 4)
    with torch.no_grad():
        for p in tm.parameters():
            p.mul_(200)                                               # |a| up to ~1e2: exp(|a|) past float32's range
    x = np.random.default_rng(11).standard_normal((6, 2, 3))         # its own draw: the same data in any test order
    with np.errstate(over="raise", divide="raise", invalid="raise"):   # an escaped overflow would raise here
        check_modules("rnn", tm, sm, x, dtype=dtype, call=_call("LSTM", False))
