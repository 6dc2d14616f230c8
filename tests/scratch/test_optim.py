"""Optimizers and LR schedules: 200-step float64 training trajectories against torch,
state_dict structure, and save-mid-way / load-into-fresh / continue round trips."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from harness import copy_state, to_numpy

STEPS = 200
RTOL = 1e-8

_rng = np.random.default_rng(0)
X = _rng.standard_normal((48, 5))
Y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1).astype(np.int64)


def build(E):
    return E.nn.Sequential(E.nn.Linear(5, 12), E.nn.Tanh(), E.nn.Linear(12, 8), E.nn.ReLU(), E.nn.Linear(8, 3))


def pair():
    torch.manual_seed(0)
    tm = build(torch).double()
    sm = build(T).double()
    copy_state(tm, sm)
    return tm, sm


OPTIMIZERS = {
    "sgd": lambda E, p: E.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda E, p: E.optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_nesterov": lambda E, p: E.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "sgd_wd_dampening": lambda E, p: E.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.1, weight_decay=1e-2),
    "sgd_maximize": lambda E, p: E.optim.SGD(p, lr=0.05, weight_decay=1e-3, maximize=True),
    "adam": lambda E, p: E.optim.Adam(p, lr=1e-2),
    "adam_amsgrad": lambda E, p: E.optim.Adam(p, lr=1e-2, amsgrad=True),
    "adam_wd": lambda E, p: E.optim.Adam(p, lr=5e-3, betas=(0.8, 0.99), weight_decay=1e-2),
    "adamw": lambda E, p: E.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "adamw_amsgrad": lambda E, p: E.optim.AdamW(p, lr=1e-2, amsgrad=True),
    "rmsprop": lambda E, p: E.optim.RMSprop(p, lr=1e-2),
    "rmsprop_centered_momentum": lambda E, p: E.optim.RMSprop(p, lr=5e-3, alpha=0.9, momentum=0.9, centered=True,
                                                              weight_decay=1e-3),
    "adagrad": lambda E, p: E.optim.Adagrad(p, lr=0.1),
    "adagrad_opts": lambda E, p: E.optim.Adagrad(p, lr=0.1, lr_decay=1e-3, initial_accumulator_value=0.1,
                                                 weight_decay=1e-3),
    "adadelta": lambda E, p: E.optim.Adadelta(p),
    "adadelta_opts": lambda E, p: E.optim.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=1e-2),
    "adamax": lambda E, p: E.optim.Adamax(p, lr=1e-2),
    "adamax_wd": lambda E, p: E.optim.Adamax(p, lr=5e-3, betas=(0.8, 0.99), weight_decay=1e-2),
    "nadam": lambda E, p: E.optim.NAdam(p, lr=1e-2),
    "nadam_decoupled": lambda E, p: E.optim.NAdam(p, lr=1e-2, weight_decay=0.1, momentum_decay=1e-2,
                                                  decoupled_weight_decay=True),
    "nadam_wd": lambda E, p: E.optim.NAdam(p, lr=5e-3, weight_decay=1e-2),
    "radam": lambda E, p: E.optim.RAdam(p, lr=1e-2),  # rho_t > 5 from step 6: both branches run
    "radam_decoupled": lambda E, p: E.optim.RAdam(p, lr=1e-2, betas=(0.8, 0.99), weight_decay=0.1,
                                                  decoupled_weight_decay=True),
    "radam_wd": lambda E, p: E.optim.RAdam(p, lr=1e-2, weight_decay=1e-2),
    "asgd": lambda E, p: E.optim.ASGD(p, lr=0.1),
    "asgd_averaging": lambda E, p: E.optim.ASGD(p, lr=0.1, lambd=1e-3, alpha=0.5, t0=50, weight_decay=1e-3),
    "rprop": lambda E, p: E.optim.Rprop(p),
    "rprop_opts": lambda E, p: E.optim.Rprop(p, lr=1e-3, etas=(0.3, 1.5), step_sizes=(1e-4, 0.05)),
}

SCHEDULERS = {
    "step": (lambda E, o: E.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.5), "sgd_momentum"),
    "multistep": (lambda E, o: E.optim.lr_scheduler.MultiStepLR(o, milestones=[50, 120], gamma=0.3), "adam"),
    "cosine": (lambda E, o: E.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS, eta_min=1e-4), "sgd_momentum"),
    "cosine_restart": (lambda E, o: E.optim.lr_scheduler.CosineAnnealingLR(o, T_max=40), "adam"),
    "plateau": (lambda E, o: E.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=3, threshold=0.2,
                                                                    cooldown=2), "sgd_momentum"),
    "plateau_abs_max": (lambda E, o: E.optim.lr_scheduler.ReduceLROnPlateau(
        o, mode="max", patience=2, threshold=1e-3, threshold_mode="abs", min_lr=1e-3), "adam"),
    "onecycle_sgd": (lambda E, o: E.optim.lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=STEPS), "sgd_momentum"),
    "onecycle_adam_linear": (lambda E, o: E.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.02, total_steps=STEPS, anneal_strategy="linear", pct_start=0.25), "adam"),
    "onecycle_three_phase": (lambda E, o: E.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.1, epochs=4, steps_per_epoch=50, three_phase=True, div_factor=10.0), "sgd_nesterov"),
    "exponential": (lambda E, o: E.optim.lr_scheduler.ExponentialLR(o, gamma=0.99), "sgd_momentum"),
    "lambda": (lambda E, o: E.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1.0 + 0.05 * e)), "adamw"),
    "linear_warmup": (lambda E, o: E.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=20), "adam"),
    "constant": (lambda E, o: E.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=30), "rmsprop"),
    "multiplicative": (lambda E, o: E.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.995), "sgd"),
    "sequential": (lambda E, o: E.optim.lr_scheduler.SequentialLR(o, [
        E.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=10),
        E.optim.lr_scheduler.CosineAnnealingLR(o, T_max=190)], milestones=[10]), "adam"),
    "sequential_three": (lambda E, o: E.optim.lr_scheduler.SequentialLR(o, [
        E.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=20),
        E.optim.lr_scheduler.ExponentialLR(o, gamma=0.98),
        E.optim.lr_scheduler.PolynomialLR(o, total_iters=60, power=2.0)], milestones=[30, 120]), "nadam"),
    "polynomial": (lambda E, o: E.optim.lr_scheduler.PolynomialLR(o, total_iters=150, power=0.7), "sgd_momentum"),
    "cosine_warm_restarts": (lambda E, o: E.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=15, T_mult=2, eta_min=1e-3), "adamax"),
    "cyclic_triangular": (lambda E, o: E.optim.lr_scheduler.CyclicLR(
        o, base_lr=1e-3, max_lr=0.1, step_size_up=20, step_size_down=30), "sgd_momentum"),
    "cyclic_triangular2_adam": (lambda E, o: E.optim.lr_scheduler.CyclicLR(
        o, base_lr=1e-4, max_lr=2e-2, step_size_up=25, mode="triangular2"), "adam"),
    "cyclic_exp_range_no_momentum": (lambda E, o: E.optim.lr_scheduler.CyclicLR(
        o, base_lr=1e-3, max_lr=3e-2, step_size_up=15, mode="exp_range", gamma=0.995, cycle_momentum=False), "rmsprop"),
    "cyclic_scale_fn": (lambda E, o: E.optim.lr_scheduler.CyclicLR(
        o, base_lr=1e-3, max_lr=0.05, step_size_up=10, scale_fn=lambda x: 1.0 / (1.0 + 0.01 * x), scale_mode="iterations"),
        "sgd_nesterov"),
    "chained": (lambda E, o: E.optim.lr_scheduler.ChainedScheduler([
        E.optim.lr_scheduler.ConstantLR(o, factor=0.2, total_iters=10),
        E.optim.lr_scheduler.ExponentialLR(o, gamma=0.99)]), "radam"),
    "multiplicative_asgd": (lambda E, o: E.optim.lr_scheduler.MultiplicativeLR(
        o, lambda e: 0.99 if e % 2 else 1.0), "asgd_averaging"),
}


def run(E, model, opt_name, sched_name=None, steps=STEPS, opt=None, sched=None, start=0):
    """Full-batch training; returns per-step losses and learning rates."""
    F = E.nn.functional
    x = (torch.from_numpy(X) if E is torch else T.from_numpy(X))
    y = (torch.from_numpy(Y) if E is torch else T.from_numpy(Y))
    if opt is None:
        opt = OPTIMIZERS[opt_name](E, model.parameters())
    if sched is None and sched_name is not None:
        sched = SCHEDULERS[sched_name][0](E, opt)
    losses, lrs = [], []
    for _ in range(start, steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        if opt_name == "sgd_maximize":
            loss = -loss
        loss.backward()
        opt.step()
        if sched is not None:
            if isinstance(sched, E.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(loss.item() if sched.mode == "min" else -loss.item())
            else:
                sched.step()
            lrs.append(sched.get_last_lr()[0])
        losses.append(loss.item())
    return np.array(losses), np.array(lrs), opt, sched


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_trajectory_matches_torch(name):
    tm, sm = pair()
    tl, _, topt, _ = run(torch, tm, name)
    sl, _, sopt, _ = run(T, sm, name)
    np.testing.assert_allclose(sl, tl, rtol=RTOL, atol=0)
    assert tl[-1] != tl[0]
    for tp, sp in zip(tm.parameters(), sm.parameters()):
        np.testing.assert_allclose(to_numpy(sp), to_numpy(tp), rtol=1e-7, atol=1e-10)
    # state_dict structure mirrors torch's
    ts, ss = topt.state_dict(), sopt.state_dict()
    assert set(ts["state"].keys()) == set(ss["state"].keys())
    for k in ts["state"]:
        assert set(ts["state"][k].keys()) == set(ss["state"][k].keys())
        for key, value in ts["state"][k].items():
            if isinstance(value, torch.Tensor):
                assert isinstance(ss["state"][k][key], T.Tensor)
                np.testing.assert_allclose(to_numpy(ss["state"][k][key]), to_numpy(value), rtol=1e-6, atol=1e-12)
                assert str(value.dtype).split(".")[-1] == str(ss["state"][k][key].dtype).split(".")[-1]
    assert [g["params"] for g in ts["param_groups"]] == [g["params"] for g in ss["param_groups"]]
    assert set(ts["param_groups"][0]) == set(ss["param_groups"][0])


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_trajectory_matches_torch(name):
    opt_name = SCHEDULERS[name][1]
    tm, sm = pair()
    tl, tlr, _, ts = run(torch, tm, opt_name, name)
    sl, slr, _, ss = run(T, sm, opt_name, name)
    np.testing.assert_allclose(slr, tlr, rtol=1e-12, atol=0)
    np.testing.assert_allclose(sl, tl, rtol=RTOL, atol=0)
    assert len(set(np.round(tlr, 12))) > 1, "the schedule should change the learning rate"


@pytest.mark.parametrize("name", ["sgd_momentum", "adam_amsgrad", "adamw", "rmsprop_centered_momentum", "adagrad_opts",
                                  "adadelta_opts", "radam"])
def test_optimizer_state_dict_round_trip(name):
    """Save mid-way, load into fresh objects (through plain NumPy, as a checkpoint would), continue."""
    half = STEPS // 2
    _, sm_full = pair()
    full, _, _, _ = run(T, sm_full, name)
    tm, _ = pair()
    torch_full, _, _, _ = run(torch, tm, name)

    _, sm = pair()
    first, _, opt, _ = run(T, sm, name, steps=half)
    model_state = {k: v.detach().cpu().numpy().copy() for k, v in sm.state_dict().items()}
    opt_state = opt.state_dict()
    saved = {
        "state": {str(i): {k: (v.numpy().copy() if isinstance(v, T.Tensor) else v) for k, v in s.items()}
                  for i, s in opt_state["state"].items()},
        "param_groups": copy.deepcopy(opt_state["param_groups"]),
    }
    fresh = build(T).double()
    fresh.load_state_dict({k: T.from_numpy(v) for k, v in model_state.items()})
    fresh_opt = OPTIMIZERS[name](T, fresh.parameters())
    fresh_opt.load_state_dict(saved)
    assert all(isinstance(v, T.Tensor) for s in fresh_opt.state_dict()["state"].values() for v in s.values()
               if v is not None)
    second, _, _, _ = run(T, fresh, name, opt=fresh_opt, start=half)
    resumed = np.concatenate([first, second])
    np.testing.assert_array_equal(resumed, full)
    np.testing.assert_allclose(resumed, torch_full, rtol=RTOL, atol=0)


@pytest.mark.parametrize("name", ["step", "cosine", "plateau", "onecycle_sgd", "onecycle_adam_linear", "lambda",
                                  "sequential", "exponential", "cyclic_triangular", "chained", "cosine_warm_restarts"])
def test_scheduler_state_dict_round_trip(name):
    opt_name = SCHEDULERS[name][1]
    half = STEPS // 2
    _, sm_full = pair()
    full_loss, full_lr, _, _ = run(T, sm_full, opt_name, name)

    _, sm = pair()
    first_loss, first_lr, opt, sched = run(T, sm, opt_name, name, steps=half)
    sched_state = copy.deepcopy(sched.state_dict())
    opt_state = opt.state_dict()
    fresh = copy.deepcopy(sm)
    fresh_opt = OPTIMIZERS[opt_name](T, fresh.parameters())
    fresh_sched = SCHEDULERS[name][0](T, fresh_opt)
    fresh_opt.load_state_dict(opt_state)
    fresh_sched.load_state_dict(sched_state)
    second_loss, second_lr, _, _ = run(T, fresh, opt_name, name, opt=fresh_opt, sched=fresh_sched, start=half)
    np.testing.assert_array_equal(np.concatenate([first_loss, second_loss]), full_loss)
    np.testing.assert_array_equal(np.concatenate([first_lr, second_lr]), full_lr)


def test_param_groups_and_api():
    m = build(T)
    opt = T.optim.SGD([{"params": m[0].parameters()}, {"params": m[2].parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5] and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": m[4].parameters(), "momentum": 0.0})
    assert len(opt.param_groups) == 3 and opt.param_groups[2]["lr"] == 0.1
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": m[0].parameters()})
    with pytest.raises(ValueError, match="empty parameter list"):
        T.optim.Adam([])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        T.optim.Adam(m.parameters(), lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        T.optim.SGD(m.parameters(), lr=0.1, nesterov=True)
    out = m(T.randn(4, 5)).sum()
    out.backward()
    opt.step()
    opt.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    closure_calls = []

    def closure():
        closure_calls.append(1)
        opt.zero_grad()
        loss = m(T.randn(2, 5)).pow(2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert closure_calls and isinstance(loss, T.Tensor)
    sd = T.optim.Adam(m.parameters()).state_dict()
    assert sd["state"] == {} and sd["param_groups"][0]["params"] == list(range(6))
    assert "Adam (" in repr(T.optim.Adam(m.parameters()))


def test_scheduler_api():
    m = build(T)
    opt = T.optim.SGD(m.parameters(), lr=1.0)
    sched = T.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    assert sched.get_last_lr() == [1.0] and opt.param_groups[0]["initial_lr"] == 1.0
    opt.step()
    sched.step()
    sched.step()
    assert math.isclose(sched.get_last_lr()[0], 0.1)
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 2
    with pytest.raises(TypeError, match="not an Optimizer"):
        T.optim.lr_scheduler.StepLR(object(), 1)
    oc = T.optim.lr_scheduler.OneCycleLR(T.optim.Adam(m.parameters()), max_lr=0.1, total_steps=10)
    assert oc.optimizer.param_groups[0]["betas"][0] == 0.95
