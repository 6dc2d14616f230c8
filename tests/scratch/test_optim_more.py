"""Optimizers beyond the trajectory lists of test_optim.py: LBFGS (plain and strong-Wolfe) against
torch on Rosenbrock and on a small net, parameter groups and add_param_group for every optimizer,
the speed-only keyword arguments, and signatures identical to torch's."""

from __future__ import annotations

import inspect
import io

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import copy_state, to_numpy
from test_optim import X, Y, build, pair

ALL_OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
                  "Rprop", "LBFGS"]


def rosenbrock(p):
    """f(a, b) = (1 - a)^2 + 100 (b - a^2)^2, minimum 0 at (1, 1)."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def lbfgs_rosenbrock(E, steps, **options):
    start = np.array([-1.5, 2.0])
    p = (torch.from_numpy(start.copy()) if E is torch else T.from_numpy(start.copy())).requires_grad_(True)
    opt = E.optim.LBFGS([p], **options)

    def closure():
        opt.zero_grad()
        loss = rosenbrock(p)
        loss.backward()
        return loss

    trace = []
    for _ in range(steps):
        loss = opt.step(closure)
        trace.append([loss.item(), *to_numpy(p).tolist()])
    return np.array(trace), opt


@pytest.mark.parametrize("options", [
    {"line_search_fn": "strong_wolfe"},
    # a short history (old pairs dropped): Rosenbrock's valley amplifies rounding ~50x per step with
    # history_size=3, max_iter=5 (1e-15 after one step, 1e-7 after seven, on both engines' own
    # rounding), so this case keeps a history of 4, where the two runs stay within 1e-9
    {"line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 10, "tolerance_change": 1e-12},
    {"lr": 0.002, "max_iter": 10, "history_size": 3},  # no line search: fixed steps
], ids=["strong_wolfe", "strong_wolfe_short_history", "fixed_step"])
def test_lbfgs_rosenbrock_matches_torch(options):
    torch_trace, torch_opt = lbfgs_rosenbrock(torch, 12, **options)
    scratch_trace, scratch_opt = lbfgs_rosenbrock(T, 12, **options)
    # the absolute floor (1e-11 of the starting loss 12.5) is for losses near the minimum
    np.testing.assert_allclose(scratch_trace, torch_trace, rtol=1e-8, atol=1e-10)
    ts = torch_opt.state_dict()["state"][0]
    ss = scratch_opt.state_dict()["state"][0]
    assert set(ts) == set(ss)
    assert (ss["func_evals"], ss["n_iter"]) == (ts["func_evals"], ts["n_iter"])
    assert len(ss["old_dirs"]) == len(ts["old_dirs"])
    if options.get("line_search_fn") == "strong_wolfe":  # the line search reaches the minimum (1, 1)
        assert rosenbrock(scratch_trace[-1, 1:]) < 1e-9 and np.allclose(scratch_trace[-1, 1:], 1.0, atol=1e-4)


def lbfgs_net(E, model, steps, opt=None):
    x, y = (torch.from_numpy(X), torch.from_numpy(Y)) if E is torch else (T.from_numpy(X), T.from_numpy(Y))
    if opt is None:
        opt = E.optim.LBFGS(model.parameters(), history_size=10, max_iter=4, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = E.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        return loss

    return [opt.step(closure).item() for _ in range(steps)], opt


def test_lbfgs_trains_the_net_like_torch():
    tm, sm = pair()
    torch_losses, _ = lbfgs_net(torch, tm, 10)
    scratch_losses, _ = lbfgs_net(T, sm, 10)
    np.testing.assert_allclose(scratch_losses, torch_losses, rtol=1e-8)
    assert scratch_losses[-1] < 0.5 * scratch_losses[0]


def test_lbfgs_float32_follows_torch():
    """float32: torch keeps g.d, y.s, H's scale and t as float32 0-dim tensors, the scratch LBFGS as float32
    scalars.  Four steps (16 iterations) agree to float32 rounding; L-BFGS amplifies rounding after that
    (the float64 runs drift from 1e-16 to 5e-12 over ten steps the same way)."""
    tm, sm = pair()
    tm, sm = tm.float(), sm.float()
    losses, optimizers = {}, {}
    for E, model in ((torch, tm), (T, sm)):
        x, y = (torch.from_numpy(X).float(), torch.from_numpy(Y)) if E is torch else (T.from_numpy(X).float(),
                                                                                       T.from_numpy(Y))
        opt = optimizers[E] = E.optim.LBFGS(model.parameters(), history_size=10, max_iter=4,
                                            line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = E.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            return loss

        losses[E] = [opt.step(closure).item() for _ in range(4)]
    np.testing.assert_allclose(losses[T], losses[torch], rtol=1e-5)
    scratch_state = optimizers[T].state_dict()["state"][0]
    assert np.asarray(scratch_state["H_diag"]).dtype == np.float32 == scratch_state["prev_flat_grad"].numpy().dtype


def test_lbfgs_state_dict_round_trip():
    """Stop after 5 steps, save model and optimizer state to a file (torch.save), load them into fresh
    objects, continue: the same 10 losses."""
    _, full_model = pair()
    full, _ = lbfgs_net(T, full_model, 10)
    _, model = pair()
    first, opt = lbfgs_net(T, model, 5)
    buffer = io.BytesIO()
    T.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, buffer)
    buffer.seek(0)
    checkpoint = T.load(buffer)
    fresh = build(T).double()
    fresh.load_state_dict(checkpoint["model"])
    fresh_opt = T.optim.LBFGS(fresh.parameters(), history_size=10, max_iter=4, line_search_fn="strong_wolfe")
    fresh_opt.load_state_dict(checkpoint["optimizer"])
    second, _ = lbfgs_net(T, fresh, 5, opt=fresh_opt)
    assert first + second == full


def test_lbfgs_refusals():
    m = build(T)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        T.optim.LBFGS([{"params": m[0].parameters()}, {"params": m[2].parameters()}])
    opt = T.optim.LBFGS(m[0].parameters())
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        opt.add_param_group({"params": m[2].parameters()})
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        T.optim.LBFGS(m.parameters(), line_search_fn="backtracking").step(lambda: m(T.randn(2, 5)).sum())


# ---------------------------------------------------------------- parameter groups

GROUP_OPTIONS = {
    "SGD": ({"lr": 0.05, "momentum": 0.9}, {"lr": 0.01, "nesterov": True, "momentum": 0.5}),
    "Adam": ({"lr": 1e-2}, {"lr": 1e-3, "amsgrad": True, "weight_decay": 1e-2}),
    "AdamW": ({"lr": 1e-2}, {"lr": 3e-3, "weight_decay": 0.0}),
    "RMSprop": ({"lr": 1e-2}, {"lr": 1e-3, "centered": True, "momentum": 0.5}),
    "Adagrad": ({"lr": 0.1}, {"lr": 0.05, "lr_decay": 1e-2}),
    "Adadelta": ({"lr": 1.0}, {"lr": 0.5, "rho": 0.95}),
    "Adamax": ({"lr": 1e-2}, {"lr": 2e-3, "betas": (0.8, 0.9)}),
    "NAdam": ({"lr": 1e-2}, {"lr": 2e-3, "momentum_decay": 1e-2, "weight_decay": 1e-2}),
    "RAdam": ({"lr": 1e-2}, {"lr": 2e-3, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    "ASGD": ({"lr": 0.1}, {"lr": 0.05, "t0": 5, "lambd": 1e-3}),
    "Rprop": ({"lr": 1e-2}, {"lr": 1e-3, "etas": (0.4, 1.3)}),
}


def grouped_run(E, model, name, steps=30):
    """Two groups with their own options, then a third added with add_param_group after 10 steps."""
    first, second = GROUP_OPTIONS[name]
    opt = getattr(E.optim, name)([{"params": model[0].parameters(), **second},
                                  {"params": model[2].parameters()}], **first)
    x, y = (torch.from_numpy(X), torch.from_numpy(Y)) if E is torch else (T.from_numpy(X), T.from_numpy(Y))
    losses = []
    for step in range(steps):
        if step == 10:
            opt.add_param_group({"params": list(model[4].parameters()), "lr": first["lr"] * 0.5})
        opt.zero_grad()
        loss = E.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), opt


@pytest.mark.parametrize("name", sorted(GROUP_OPTIONS))
def test_param_groups_and_add_param_group_match_torch(name):
    tm, sm = pair()
    torch_losses, topt = grouped_run(torch, tm, name)
    scratch_losses, sopt = grouped_run(T, sm, name)
    np.testing.assert_allclose(scratch_losses, torch_losses, rtol=1e-8)
    for tp, sp in zip(tm.parameters(), sm.parameters()):
        np.testing.assert_allclose(to_numpy(sp), to_numpy(tp), rtol=1e-7, atol=1e-10)
    t_groups, s_groups = topt.state_dict()["param_groups"], sopt.state_dict()["param_groups"]
    assert [sorted(g) for g in s_groups] == [sorted(g) for g in t_groups]
    for tg, sg in zip(t_groups, s_groups):
        assert {k: (tuple(v) if isinstance(v, list) else v) for k, v in sg.items()} == \
            {k: (tuple(v) if isinstance(v, list) else v) for k, v in tg.items()}


# ---------------------------------------------------------------- keyword arguments and signatures

@pytest.mark.parametrize("name", ALL_OPTIMIZERS)
def test_signature_matches_torch(name):
    """Same parameter names, order, kinds and defaults as torch.optim.NAME."""
    def described(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()]
    assert described(getattr(T.optim, name)) == described(getattr(torch.optim, name))


SPEED_FLAGS = ("foreach", "fused", "capturable")


@pytest.mark.parametrize("name", sorted(GROUP_OPTIONS))
def test_speed_only_flags_are_accepted_and_change_nothing(name):
    accepted = [f for f in SPEED_FLAGS if f in inspect.signature(getattr(T.optim, name).__init__).parameters]
    assert "foreach" in accepted
    options = GROUP_OPTIONS[name][0]
    _, plain_model = pair()
    _, flagged_model = pair()
    plain = getattr(T.optim, name)(plain_model.parameters(), **options)
    flagged = getattr(T.optim, name)(flagged_model.parameters(), **options, **{f: True for f in accepted})
    x, y = T.from_numpy(X), T.from_numpy(Y)
    for model, opt in ((plain_model, plain), (flagged_model, flagged)):
        for _ in range(5):
            opt.zero_grad()
            T.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for a, b in zip(plain_model.parameters(), flagged_model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    if "differentiable" in inspect.signature(getattr(T.optim, name).__init__).parameters:
        with pytest.raises(NotImplementedError, match="differentiable=True"):
            getattr(T.optim, name)(plain_model.parameters(), differentiable=True)


@pytest.mark.parametrize("make", [
    lambda E, p: E.optim.Adadelta(p, rho=1.5),
    lambda E, p: E.optim.Adamax(p, betas=(1.0, 0.9)),
    lambda E, p: E.optim.NAdam(p, momentum_decay=-1),
    lambda E, p: E.optim.RAdam(p, eps=-1),
    lambda E, p: E.optim.ASGD(p, weight_decay=-1),
    lambda E, p: E.optim.Rprop(p, etas=(1.5, 1.2)),
    lambda E, p: E.optim.LBFGS(p, lr=-1),
], ids=["adadelta_rho", "adamax_beta", "nadam_momentum_decay", "radam_eps", "asgd_wd", "rprop_etas", "lbfgs_lr"])
def test_invalid_options_raise_torchs_messages(make):
    with pytest.raises(ValueError) as torch_error:
        make(torch, list(build(torch).parameters()))
    with pytest.raises(ValueError) as scratch_error:
        make(T, list(build(T).parameters()))
    assert str(scratch_error.value) == str(torch_error.value)


@pytest.mark.parametrize("blocked", [True, False], ids=["blocks", "whole"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", [{}, {"amsgrad": True, "weight_decay": 0.1, "maximize": True}],
                         ids=["plain", "amsgrad_decay_maximize"])
def test_adam_blocked_update_of_large_parameters_matches_torch(dtype, options, blocked, monkeypatch):
    """Parameters above two of Adam's L2 blocks (scratch/optim/adam.py: _blocks) are updated block
    by block where the L2 holds a block (forced both ways here, whatever this machine's cache):
    a column-major weight (nn.Linear's layout), a C-ordered one whose size is not a multiple of
    the block, and one whose gradient is laid out differently (updated whole)."""
    from neuralab.scratch.optim import adam
    monkeypatch.setattr(adam, "BLOCKED", blocked)
    rng = np.random.default_rng(0)
    shapes = [(2 * adam.BLOCK + 100, 3), (3, 2 * adam.BLOCK + 7), (700, 300)]
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    starts[0] = np.asfortranarray(starts[0])
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(4)]
    results = {}
    for E in (torch, T):
        params = [(torch.from_numpy(a.copy(order="K")) if E is torch else T.from_numpy(a.copy(order="K")))
                  .requires_grad_(True) for a in starts]
        opt = E.optim.Adam(params, lr=0.01, **options)
        for step_grads in grads:
            for p, g, start in zip(params, step_grads, starts):
                # the last gradient is column-major under a C-ordered parameter; the others share its layout
                g = np.asfortranarray(g) if g.shape == (700, 300) else g.copy(order="F" if np.isfortran(start) else "C")
                p.grad = torch.from_numpy(g) if E is torch else T.from_numpy(g)
            opt.step()
        results[E] = [to_numpy(p.detach()) for p in params]
    tol = {"float64": 1e-12, "float32": 2e-6}[dtype]
    for want, got in zip(results[torch], results[T]):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("size, expected", [("512K", 512 << 10), ("2048K", 2 << 20), ("1M", 1 << 20), (None, 7)])
def test_adam_reads_the_l2_size_from_sysfs(tmp_path, size, expected):
    """Adam's blocks depend on the L2 size (``l2_cache_bytes``): the level-2 entry of a
    sysfs-like folder, not the level-1 one beside it; without one, the default."""
    from neuralab.scratch.optim import adam
    entries = [("index0", "1", "32K")] + ([("index2", "2", size)] if size else [])
    for name, level, text in entries:
        (tmp_path / name).mkdir()
        (tmp_path / name / "level").write_text(level + "\n")
        (tmp_path / name / "size").write_text(text + "\n")
    assert adam.l2_cache_bytes(default=7, root=str(tmp_path)) == expected
    assert adam.l2_cache_bytes(default=7, root=str(tmp_path / "missing")) == 7


@pytest.mark.parametrize("lr", [1e-5, 1e-3])
def test_adam_in_float16_matches_torch_without_overflow(lr):
    """Adam folds -step_size into its denominator in float32/64 only: in float16 that scale
    (about 3e5 at lr 1e-5, step 1) would overflow, so the step there is multiplied after the division."""
    rng = np.random.default_rng(0)
    start = (rng.standard_normal(64) * 10).astype(np.float16)
    grads = [rng.standard_normal(64).astype(np.float16) for _ in range(5)]
    results = []
    for E in (torch, T):
        p = (torch.from_numpy(start.copy()) if E is torch else T.from_numpy(start.copy())).requires_grad_(True)
        opt = E.optim.Adam([p], lr=lr)
        for g in grads:
            p.grad = torch.from_numpy(g.copy()) if E is torch else T.from_numpy(g.copy())
            with np.errstate(over="raise", invalid="raise"):
                opt.step()
        results.append(to_numpy(p.detach()).astype(np.float64))
    np.testing.assert_allclose(results[1], results[0], rtol=2e-3, atol=1e-3)
