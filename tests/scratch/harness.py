"""The parity harness: run the same lambda on PyTorch and on the scratch engine.

    from tests.scratch.harness import check
    check(lambda T, x, w: T.nn.functional.linear(x, w).relu(), x_array, w_array)

``check`` builds tensors from the *same* NumPy arrays on both engines (float arrays
require grad unless told otherwise), runs ``fn(T, *tensors)``, and compares

* every output: shape, dtype name and values (integers exactly, floats within the
  tolerance of their dtype: float64 ~1e-10, float32 ~1e-5 relative);
* the gradient w.r.t. every input that requires grad, after one backward pass with the
  same random ``grad_tensors`` for every floating output.

Outputs may be a Tensor, a (named) tuple / list of Tensors, or Python numbers.
:func:`check_second_order` does the same for higher-order gradients (``create_graph=True``).
Module parity uses :func:`copy_state` (torch -> scratch or back) and :func:`module_pair`.
The worst relative error seen per dtype is kept in :data:`STATS` (printed at the end of
the test session by ``conftest.py``).

The layers suite (``tests/scratch_layers``) uses the same machinery per *family* (conv,
pool, rnn...): :func:`check_functional` runs ``fn(F, *tensors)`` with ``F`` each engine's
``nn.functional``, :func:`check_modules` a torch module against a scratch module with the
same state (parameter and buffer values included); both record the family's norm-wise
error ``max|a - b| / max|b|`` in :data:`MAX_ERRORS`.  For float32 those comparisons scale
the absolute tolerance to the tensor (``atol = tol * max|want|``, see :func:`assert_family_close`):
long float32 sums (convolutions, matmuls) cancel, and an entry far below the tensor's scale
carries the rounding of the large terms.
"""

from __future__ import annotations

import numpy as np
import torch

import neuralab.scratch as S

# |scratch - torch| <= atol + rtol * |torch| + scale * max|torch|: elementwise relative, with an
# absolute floor tied to the tensor's magnitude (float32 cancellation near zero crossings of a
# gradient is rounding, not a bug; float64 keeps that floor negligible).
TOLERANCE = {
    "float64": {"rtol": 1e-10, "atol": 1e-12, "scale": 1e-12},
    "float32": {"rtol": 1e-5, "atol": 1e-6, "scale": 1e-5},
}

# worst observed relative error per dtype: |a - b| / (|b| + floor / rtol), floor = atol + scale * max|b|
STATS: dict[str, dict] = {}


def _record(dtype: str, rel: float, label: str) -> None:
    entry = STATS.setdefault(dtype, {"max_rel": 0.0, "where": "", "checks": 0})
    entry["checks"] += 1
    if rel > entry["max_rel"]:
        entry["max_rel"] = rel
        entry["where"] = label


def engine_tensor(T, array, requires_grad: bool = False):
    """A tensor of engine ``T`` holding a private copy of ``array``."""
    array = np.array(array, copy=True)
    t = torch.from_numpy(array) if T is torch else S.from_numpy(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_numpy(t) -> np.ndarray:
    """NumPy copy of a tensor of either engine."""
    return np.array(t.detach().cpu().numpy(), copy=True)


def dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def _flatten(out) -> list:
    if out is None:
        return []
    if isinstance(out, (torch.Tensor, S.Tensor)):
        return [out]
    if isinstance(out, (tuple, list)):
        items = []
        for o in out:
            items.extend(_flatten(o))
        return items
    if isinstance(out, (int, float, bool, np.number, np.bool_)):
        return [out]
    raise TypeError(f"harness: unsupported output type {type(out).__name__}")


def assert_close(expected, actual, label: str = "", rtol=None, atol=None, stat: str = "") -> None:
    """Compare one torch value with one scratch value: shape, dtype and numbers."""
    if not isinstance(expected, torch.Tensor):
        assert not isinstance(actual, S.Tensor) or actual.numel() == 1, f"{label}: expected a Python number"
        a = float(actual) if not isinstance(actual, bool) else actual
        if isinstance(expected, bool):
            assert a == expected, f"{label}: {a} != {expected}"
        else:
            assert np.isclose(a, float(expected), rtol=1e-10, atol=1e-12), f"{label}: {a} != {expected}"
        return
    assert isinstance(actual, S.Tensor), f"{label}: scratch returned {type(actual).__name__}, torch a Tensor"
    assert tuple(expected.shape) == tuple(actual.shape), (
        f"{label}: shape {tuple(actual.shape)} != torch {tuple(expected.shape)}"
    )
    dt = dtype_name(expected)
    assert dtype_name(actual) == dt, f"{label}: dtype {dtype_name(actual)} != torch {dt}"
    e, a = to_numpy(expected), to_numpy(actual)
    if dt not in TOLERANCE:
        np.testing.assert_array_equal(a, e, err_msg=label)
        return
    tol = TOLERANCE[dt]
    rtol = tol["rtol"] if rtol is None else rtol
    atol = tol["atol"] if atol is None else atol
    finite = np.isfinite(e)
    np.testing.assert_array_equal(np.isfinite(a), finite, err_msg=f"{label}: non-finite pattern differs")
    np.testing.assert_array_equal(a[~finite], e[~finite], err_msg=f"{label}: inf/nan differ")
    if finite.any():
        ref = np.abs(e[finite]).astype(np.float64)
        diff = np.abs(a[finite].astype(np.float64) - e[finite])
        floor = tol["atol"] + tol["scale"] * float(ref.max())
        rel = float(np.max(diff / (ref + floor / tol["rtol"])))
        _record(dt + stat, rel, label)
        allowed = atol + rtol * ref + tol["scale"] * float(ref.max())
        bad = diff > allowed
        if bad.any():
            i = int(np.argmax(diff - allowed))
            raise AssertionError(
                f"{label}: {int(bad.sum())}/{bad.size} values differ beyond rtol={rtol}, atol={atol}; "
                f"worst: scratch {a[finite][i]!r} vs torch {e[finite][i]!r}"
            )


def check(fn, *arrays, grad=None, rtol=None, atol=None, grad_rtol=None, grad_atol=None,
          backward=True, seed=0, label=None, kwargs=None):
    """Run ``fn(T, *inputs, **kwargs)`` on torch and scratch; compare outputs and gradients.

    arrays   -- NumPy arrays (or numbers) used as inputs on both engines
    grad     -- per-input flags for requires_grad (default: floating arrays)
    backward -- set False for ops without gradients (comparisons, argmax...)
    Returns (torch_outputs, scratch_outputs) as flat lists.
    """
    label = label or getattr(fn, "__name__", "fn")
    kwargs = kwargs or {}
    arrays = [a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays]
    if grad is None:
        grad = [a.dtype.kind == "f" and backward for a in arrays]
    elif isinstance(grad, bool):
        grad = [grad and a.dtype.kind == "f" for a in arrays]

    def compare(expected, actual, what, is_grad=False):
        if is_grad:
            assert_close(expected, actual, f"{label} {what}", grad_rtol or rtol, grad_atol or atol)
        else:
            assert_close(expected, actual, f"{label} {what}", rtol, atol)

    _, _, t_out, s_out = run_both(lambda *xs: fn(torch, *xs, **kwargs), lambda *xs: fn(S, *xs, **kwargs),
                                  arrays, grad, compare, label, seed, backward)
    return t_out, s_out


def run_both(fn_torch, fn_scratch, arrays, grad, compare, label, seed=0, backward=True):
    """The parity core: the same inputs on both engines, outputs compared, then one backward
    with the same random output gradients and every input gradient compared.

    arrays  -- NumPy arrays become tensors of each engine (``grad[i]``: requires grad);
               anything else is passed through unchanged
    compare -- ``compare(torch_value, scratch_value, what, is_grad=False)`` asserts closeness
    Returns (torch_inputs, scratch_inputs, torch_outputs, scratch_outputs).
    """
    t_in = [engine_tensor(torch, a, g) if isinstance(a, np.ndarray) else a for a, g in zip(arrays, grad)]
    s_in = [engine_tensor(S, a, g) if isinstance(a, np.ndarray) else a for a, g in zip(arrays, grad)]
    t_out = _flatten(fn_torch(*t_in))
    s_out = _flatten(fn_scratch(*s_in))
    assert len(t_out) == len(s_out), f"{label}: {len(s_out)} outputs vs torch {len(t_out)}"
    for i, (e, a) in enumerate(zip(t_out, s_out)):
        compare(e, a, f"output {i}")
    if not backward or not any(grad) or not backward_both(t_out, s_out, seed, label):
        return t_in, s_in, t_out, s_out
    for i, (tt, st, g) in enumerate(zip(t_in, s_in, grad)):
        if not g or not isinstance(tt, torch.Tensor):
            continue
        if tt.grad is None:
            assert st.grad is None or not np.any(to_numpy(st.grad)), f"{label}: grad of input {i} should be None"
            continue
        assert st.grad is not None, f"{label}: scratch gave no grad for input {i}"
        compare(tt.grad, st.grad, f"grad input {i}", True)
    return t_in, s_in, t_out, s_out


def backward_both(t_out, s_out, seed, label) -> bool:
    """One backward on each engine from the same random gradient of every differentiable
    output (as if from ``sum(out * w)``); False when no output requires grad."""
    rng = np.random.default_rng(seed)
    roots_t, roots_s, seeds_t, seeds_s = [], [], [], []
    for e, a in zip(t_out, s_out):
        if isinstance(e, torch.Tensor) and e.requires_grad:
            assert a.requires_grad, f"{label}: scratch output does not require grad"
            w = rng.standard_normal(tuple(e.shape)).astype(to_numpy(e).dtype)
            roots_t.append(e)
            roots_s.append(a)
            seeds_t.append(torch.from_numpy(w.copy()))
            seeds_s.append(S.from_numpy(w.copy()))
    if not roots_t:
        return False
    torch.autograd.backward(roots_t, seeds_t)
    S.autograd.backward(roots_s, seeds_s)
    return True


# ---------------------------------------------------------------- second order (create_graph=True)

def _zeros_for_none(grads, inputs):
    return [torch.zeros_like(x) if g is None and isinstance(x, torch.Tensor) else
            (S.zeros_like(x) if g is None else g) for g, x in zip(grads, inputs)]


def check_second_order(fn, *arrays, grad=None, seed=0, label=None, rtol=None, atol=None):
    """Higher-order parity: ``fn(T, *inputs)`` on both engines, then

    1. ``g = autograd.grad(outputs, inputs, v, create_graph=True)`` with random output
       gradients ``v`` that themselves require grad: compared, and scratch's ``g`` must keep a
       graph wherever torch's does;
    2. ``autograd.grad(g, inputs + v, u)`` with random ``u``: the second-order gradients w.r.t.
       every input and every ``v``, compared (``None`` counts as zeros on both sides).

    Errors are recorded in :data:`STATS` under ``"<dtype> 2nd-order"``.
    """
    label = label or getattr(fn, "__name__", "fn")
    arrays = [a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays]
    grad = [a.dtype.kind == "f" for a in arrays] if grad is None else grad
    rng = np.random.default_rng(seed)
    results = {}
    for T in (torch, S):
        inputs = [engine_tensor(T, a, g) for a, g in zip(arrays, grad)]
        outs = [o for o in _flatten(fn(T, *inputs)) if isinstance(o, (torch.Tensor, S.Tensor)) and o.requires_grad]
        results[T] = (inputs, outs)
    (t_in, t_out), (s_in, s_out) = results[torch], results[S]
    assert len(t_out) == len(s_out), f"{label}: {len(s_out)} differentiable outputs vs torch {len(t_out)}"
    v = [rng.standard_normal(tuple(o.shape)).astype(to_numpy(o).dtype) for o in t_out]
    t_v = [engine_tensor(torch, w, True) for w in v]
    s_v = [engine_tensor(S, w, True) for w in v]
    t_x = [x for x, g in zip(t_in, grad) if g]
    s_x = [x for x, g in zip(s_in, grad) if g]
    t_g = torch.autograd.grad(t_out, t_x, t_v, create_graph=True, allow_unused=True)
    s_g = S.autograd.grad(s_out, s_x, s_v, create_graph=True, allow_unused=True)
    for i, (e, a) in enumerate(zip(_zeros_for_none(t_g, t_x), _zeros_for_none(s_g, s_x))):
        assert_close(e, a, f"{label} grad {i}", rtol, atol)
    keep = [i for i, g in enumerate(t_g) if g is not None and g.requires_grad]
    for i in keep:
        assert s_g[i] is not None and s_g[i].requires_grad, f"{label}: scratch grad {i} has no graph, torch's has"
    if not keep:
        return t_g, s_g
    u = [rng.standard_normal(tuple(t_g[i].shape)).astype(to_numpy(t_g[i]).dtype) for i in keep]
    t_gg = torch.autograd.grad([t_g[i] for i in keep], t_x + t_v, [torch.from_numpy(w.copy()) for w in u], allow_unused=True)
    s_gg = S.autograd.grad([s_g[i] for i in keep], s_x + s_v, [S.from_numpy(w.copy()) for w in u], allow_unused=True)
    for i, (e, a) in enumerate(zip(_zeros_for_none(t_gg, t_x + t_v), _zeros_for_none(s_gg, s_x + s_v))):
        assert_close(e, a, f"{label} 2nd-order grad {i}", rtol, atol, stat=" 2nd-order")
    return t_gg, s_gg


# ---------------------------------------------------------------- modules

def copy_state(src, dst, strict: bool = True):
    """Copy ``src``'s state_dict into ``dst`` (either direction between torch and scratch)."""
    values = {k: to_numpy(v) for k, v in src.state_dict().items()}
    if isinstance(dst, torch.nn.Module):
        values = {k: torch.from_numpy(v) for k, v in values.items()}
    return dst.load_state_dict(values, strict=strict)


def module_pair(build, *, dtype="float64", **hparams):
    """Build ``build(T, **hparams)`` on both engines with torch's weights copied into scratch."""
    tm = build(torch, **hparams).to(getattr(torch, dtype))
    sm = build(S, **hparams).to(getattr(S, dtype))
    copy_state(tm, sm)
    return tm, sm


def check_module(build, *arrays, dtype="float64", train=True, rtol=None, atol=None, label=None, **hparams):
    """Forward both copies of a module on the same inputs; compare outputs and every parameter's grad."""
    label = label or getattr(build, "__name__", "module")
    tm, sm = module_pair(build, dtype=dtype, **hparams)
    tm.train(train)
    sm.train(train)
    check(lambda T, *xs: (tm if T is torch else sm)(*xs), *arrays, label=label, rtol=rtol, atol=atol)
    _compare_parameter_grads(tm, sm, lambda e, a, what: assert_close(e, a, f"{label} {what}", rtol, atol),
                             label, zeros_for_none=False)
    return tm, sm


def _compare_parameter_grads(tm, sm, compare, label, zeros_for_none: bool) -> None:
    """Every parameter's gradient, in order; ``zeros_for_none``: scratch may hold zeros where torch has None."""
    for (name, tp), (sname, sp) in zip(tm.named_parameters(), sm.named_parameters()):
        assert name == sname, f"{label}: parameter order {sname} != torch {name}"
        if tp.grad is None:
            assert sp.grad is None or (zeros_for_none and not np.any(to_numpy(sp.grad))), f"{label}: {name} should have no grad"
            continue
        assert sp.grad is not None, f"{label}: parameter {name} has no gradient"
        compare(tp.grad, sp.grad, f"grad {name}")


# ---------------------------------------------------------------- layer families (tests/scratch_layers)

MAX_ERRORS: dict = {}  # (family, dtype) -> largest norm-wise error max|a - b| / max|b|


def rel_error(got, want) -> float:
    """Norm-wise relative error: max |a - b| / max |b| over finite entries."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    finite = np.isfinite(want)
    if not finite.any():
        return 0.0
    scale = max(float(np.abs(want[finite]).max()), 1e-300)
    return float(np.abs(got[finite] - want[finite]).max()) / scale


def assert_family_close(family, dtype, want, got, what, tol=None) -> None:
    """Torch ``want`` vs scratch ``got`` through :func:`assert_close`; record the family's error.

    For float32 the absolute tolerance is scaled to the tensor: ``max(atol, tol * max|want|)``
    with ``tol`` defaulting to float32's rtol; float64 keeps the defaults.
    """
    if not isinstance(want, torch.Tensor):
        want = torch.from_numpy(np.asarray(want))
    atol = None
    if want.dtype == torch.float32 and want.numel():
        finite = want[torch.isfinite(want)]
        scale = float(finite.detach().abs().max()) if finite.numel() else 0.0
        atol = max(TOLERANCE["float32"]["atol"], (tol or TOLERANCE["float32"]["rtol"]) * scale)
    assert_close(want, got, f"{family} {what}", rtol=tol, atol=atol)
    if want.dtype.is_floating_point:
        key = (family, dtype)
        MAX_ERRORS[key] = max(MAX_ERRORS.get(key, 0.0), rel_error(to_numpy(got), to_numpy(want)))


def _family_inputs(arrays, dtype, grad):
    """Floating arrays cast to ``dtype`` (requiring grad when ``grad``); the rest unchanged."""
    cast = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    return cast, [grad and isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in cast]


def check_functional(family, fn, *arrays, dtype="float64", grad=True, tol=None, seed=0):
    """Compare ``fn(F, *tensors)`` on both engines (``F``: each engine's ``nn.functional``),
    values and input gradients; errors recorded under ``family``."""
    cast, wants_grad = _family_inputs(arrays, dtype, grad)

    def compare(want, got, what, is_grad=False):
        assert_family_close(family, dtype, want, got, what, tol)

    run_both(lambda *xs: fn(torch.nn.functional, *xs), lambda *xs: fn(S.nn.functional, *xs),
             cast, wants_grad, compare, family, seed, grad)


def check_modules(family, torch_module, scratch_module, *arrays, dtype="float64", grad=True, tol=None,
                  call=None, seed=0, copy_state=True):
    """Same state, same inputs: compare outputs, input gradients, parameter gradients and buffers.

    ``call(module, *tensors)`` defaults to ``module(*tensors)``; ``copy_state=False`` keeps
    the states the modules already hold.
    """
    call = call or (lambda m, *xs: m(*xs))
    torch_module = torch_module.to(getattr(torch, dtype))
    scratch_module = scratch_module.to(getattr(S, dtype))
    if copy_state:
        _copy(torch_module, scratch_module)
    assert list(scratch_module.state_dict().keys()) == list(torch_module.state_dict().keys())
    cast, wants_grad = _family_inputs(arrays, dtype, grad)

    def compare(want, got, what, is_grad=False):
        assert_family_close(family, dtype, want, got, what, tol)

    _, _, t_out, s_out = run_both(lambda *xs: call(torch_module, *xs), lambda *xs: call(scratch_module, *xs),
                                  cast, wants_grad, compare, family, seed, grad)
    if grad:
        _compare_parameter_grads(torch_module, scratch_module, compare, family, zeros_for_none=True)
    for (name, b), (tname, tb) in zip(scratch_module.named_buffers(), torch_module.named_buffers()):
        assert name == tname
        compare(tb, b, f"buffer {name}")
    return t_out, s_out


_copy = copy_state  # check_modules' ``copy_state`` flag shadows the function's name
