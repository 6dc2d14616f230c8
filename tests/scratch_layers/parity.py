"""Parity helpers for the layers suite: the same lambda on PyTorch and on the scratch engine.

``check(family, fn, *arrays)`` runs ``fn(F, *tensors)`` once with ``F = torch.nn.functional``
and once with the scratch functional namespace, compares every output, then backpropagates
the same random projection of the outputs on both engines and compares the gradient of
every floating input.  ``check_modules`` does the same for a torch module and a scratch
module holding the same ``state_dict`` (parameters' gradients included).

Comparisons use the shared harness (``tests/scratch/harness.py``: elementwise
``|a - b| <= atol + rtol |b|``, float64 rtol 1e-10, float32 rtol 1e-5, with float32's atol
scaled to the tensor, see :func:`assert_close`).  The family error recorded and printed
is norm-wise: ``max|a - b| / max|b|``.  The largest error per (family, dtype) is kept
in ``MAX_ERRORS`` and printed at the end of the run (see conftest.py).
"""

from __future__ import annotations

import numpy as np
import torch

import neuralab.scratch as T

import harness

MAX_ERRORS: dict = {}


def scratch_functional():
    """The scratch functional namespace used by :func:`check` (``T.nn.functional``)."""
    return T.nn.functional


# ---------------------------------------------------------------- conversions

def to_torch(a, requires_grad=False):
    t = torch.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_scratch(a, requires_grad=False):
    t = T.from_numpy(np.array(a, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t.detach()._data)


def flatten_outputs(out) -> list:
    """Nested tuples/lists of tensors -> flat list (None dropped)."""
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(flatten_outputs(o))
        return flat
    return [out]


# ---------------------------------------------------------------- comparison

def rel_error(got, want) -> float:
    """Norm-wise relative error: max |a - b| / max |b| over finite entries."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    finite = np.isfinite(want)
    if not finite.any():
        return 0.0
    scale = max(float(np.abs(want[finite]).max()), 1e-300)
    return float(np.abs(got[finite] - want[finite]).max()) / scale


def record(family: str, dtype: str, err: float) -> None:
    key = (family, dtype)
    MAX_ERRORS[key] = max(MAX_ERRORS.get(key, 0.0), err)


def assert_close(family, dtype, got, want, what, tol=None):
    """Scratch ``got`` vs torch ``want`` through the shared harness; record the family's error.

    float32 results of long sums (convolutions, matmuls) cancel: an entry far smaller
    than the tensor's scale carries the rounding of the large terms.  So for float32 the
    absolute tolerance is also scaled to the tensor (1e-5 * max|want|); float64 keeps the
    harness defaults.
    """
    if not isinstance(want, torch.Tensor):
        want = torch.from_numpy(np.asarray(want))
    label = f"{family} {what}"
    atol = None
    if want.dtype == torch.float32 and want.numel():
        finite = want[torch.isfinite(want)]
        scale = float(finite.detach().abs().max()) if finite.numel() else 0.0
        atol = max(harness.TOLERANCE["float32"]["atol"], (tol or harness.TOLERANCE["float32"]["rtol"]) * scale)
    harness.assert_close(want, got, label, rtol=tol, atol=atol)
    if want.dtype.is_floating_point:
        record(family, dtype, rel_error(as_numpy(got), as_numpy(want)))


def _projection(outputs, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(as_numpy(o).shape).astype(as_numpy(o).dtype)
            if as_numpy(o).dtype.kind == "f" else None for o in outputs]


def _project(outputs, weights, lib):
    total = None
    for o, w in zip(outputs, weights):
        if w is None or not o.requires_grad:
            continue
        wt = torch.from_numpy(w) if lib == "torch" else T.from_numpy(w)
        term = (o * wt).sum()
        total = term if total is None else total + term
    return total


def check(family, fn, *arrays, dtype="float64", grad=True, tol=None, seed=0, F_scratch=None):
    """Compare ``fn(F, *tensors)`` on both engines, values and input gradients.

    ``arrays`` are NumPy arrays (floating ones are cast to ``dtype`` and require grad
    when ``grad``) or anything else (passed through unchanged).
    """
    F_scratch = F_scratch or scratch_functional()
    cast = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    wants_grad = [grad and isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in cast]
    tin = [to_torch(a, g) if isinstance(a, np.ndarray) else a for a, g in zip(cast, wants_grad)]
    sin = [to_scratch(a, g) if isinstance(a, np.ndarray) else a for a, g in zip(cast, wants_grad)]
    tout = flatten_outputs(fn(torch.nn.functional, *tin))
    sout = flatten_outputs(fn(F_scratch, *sin))
    assert len(tout) == len(sout), f"{family}: {len(sout)} outputs, torch gives {len(tout)}"
    for i, (s, t) in enumerate(zip(sout, tout)):
        assert tuple(s.shape) == tuple(t.shape), f"{family} output {i}: shape {tuple(s.shape)} != {tuple(t.shape)}"
        assert_close(family, dtype, s, t, f"output {i}", tol)
    if not grad:
        return
    weights = _projection(tout, seed)
    tl, sl = _project(tout, weights, "torch"), _project(sout, weights, "scratch")
    if tl is None:
        return
    tl.backward()
    sl.backward()
    for i, (s, t, g) in enumerate(zip(sin, tin, wants_grad)):
        if not g:
            continue
        if t.grad is None:
            assert s.grad is None or not np.any(as_numpy(s.grad)), f"{family}: input {i} got a gradient"
            continue
        assert s.grad is not None, f"{family}: input {i} has no gradient"
        assert_close(family, dtype, s.grad, t.grad, f"grad of input {i}", tol)


# ---------------------------------------------------------------- modules

def load_torch_state(scratch_module, torch_module) -> None:
    """Copy torch's state_dict (every key) into the scratch module."""
    state = {k: T.from_numpy(v.detach().numpy().copy()) for k, v in torch_module.state_dict().items()}
    scratch_module.load_state_dict(state)


def load_scratch_state(torch_module, scratch_module) -> None:
    """Copy the scratch module's state_dict into the torch module."""
    state = {k: torch.from_numpy(np.array(v._data, copy=True)) for k, v in scratch_module.state_dict().items()}
    torch_module.load_state_dict(state)


def check_modules(family, torch_module, scratch_module, *arrays, dtype="float64", grad=True, tol=None,
                  call=None, seed=0, copy_state=True):
    """Same state, same inputs: compare outputs, input gradients and parameter gradients.

    ``call(module, *tensors)`` defaults to ``module(*tensors)``.
    """
    call = call or (lambda m, *xs: m(*xs))
    torch_module = torch_module.to(getattr(torch, dtype))
    scratch_module = scratch_module.to(getattr(T, dtype))
    if copy_state:
        load_torch_state(scratch_module, torch_module)
    assert list(scratch_module.state_dict().keys()) == list(torch_module.state_dict().keys())
    cast = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    wants_grad = [grad and isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in cast]
    tin = [to_torch(a, g) if isinstance(a, np.ndarray) else a for a, g in zip(cast, wants_grad)]
    sin = [to_scratch(a, g) if isinstance(a, np.ndarray) else a for a, g in zip(cast, wants_grad)]
    tout = flatten_outputs(call(torch_module, *tin))
    sout = flatten_outputs(call(scratch_module, *sin))
    assert len(tout) == len(sout), f"{family}: {len(sout)} outputs, torch gives {len(tout)}"
    for i, (s, t) in enumerate(zip(sout, tout)):
        assert tuple(s.shape) == tuple(t.shape), f"{family} output {i}: shape {tuple(s.shape)} != {tuple(t.shape)}"
        assert_close(family, dtype, s, t, f"output {i}", tol)
    if grad:
        weights = _projection(tout, seed)
        tl, sl = _project(tout, weights, "torch"), _project(sout, weights, "scratch")
        tl.backward()
        sl.backward()
        for i, (s, t, g) in enumerate(zip(sin, tin, wants_grad)):
            if g and t.grad is not None:
                assert_close(family, dtype, s.grad, t.grad, f"grad of input {i}", tol)
        tparams = dict(torch_module.named_parameters())
        for name, p in scratch_module.named_parameters():
            tp = tparams[name]
            if tp.grad is None:
                assert p.grad is None or not np.any(as_numpy(p.grad)), f"{family}: {name} got a gradient"
                continue
            assert p.grad is not None, f"{family}: parameter {name} has no gradient"
            assert_close(family, dtype, p.grad, tp.grad, f"grad of {name}", tol)
    for (name, b), (tname, tb) in zip(scratch_module.named_buffers(), torch_module.named_buffers()):
        assert name == tname
        assert_close(family, dtype, b, tb, f"buffer {name}", tol)
    return tout, sout

