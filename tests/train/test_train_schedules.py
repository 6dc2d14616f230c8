"""Learning-rate schedules: built from a spec, stepped per epoch, per batch or on plateau."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neuralab.train import Callback, Trainer, resolve_schedule

torch = pytest.importorskip("torch")
F = torch.nn.functional


class BatchRates(Callback):
    def __init__(self):
        self.rates = []

    def on_batch_end(self, trainer, step, logs):
        self.rates.append(trainer.lr)  # after the scheduler's step for this batch


def fit_rates(blobs, mlp, schedule, epochs, lr=1.0, n=32, batch_size=8, optimizer="sgd"):
    x, y = blobs(n)
    model = mlp()
    opt = (torch.optim.SGD(model.parameters(), lr=lr) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr))
    record = BatchRates()
    trainer = Trainer(model, opt, F.cross_entropy, engine=torch, schedule=schedule, callbacks=[record], progress=False)
    history = trainer.fit((x, y), (x, y), epochs=epochs, batch_size=batch_size)
    return history.lr, record.rates, trainer


def test_step_schedule_multiplies_every_step_size_epochs(blobs, mlp):
    rates, _, _ = fit_rates(blobs, mlp, {"name": "step", "step_size": 2, "gamma": 0.5}, epochs=5, lr=0.01)
    assert rates == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025])


def test_cosine_schedule_follows_the_half_cosine_over_the_epochs(blobs, mlp):
    rates, batch_rates, _ = fit_rates(blobs, mlp, "cosine", epochs=4, lr=0.01)
    assert rates == pytest.approx([0.005 * (1 + math.cos(math.pi * e / 4)) for e in range(4)])
    assert batch_rates[:4] == pytest.approx([0.01] * 4)  # constant inside an epoch


def test_exponential_schedule(blobs, mlp):
    rates, _, _ = fit_rates(blobs, mlp, {"name": "exponential", "gamma": 0.9}, epochs=3, lr=0.01)
    assert rates == pytest.approx([0.01, 0.009, 0.0081])


def test_plateau_schedule_cuts_the_rate_when_val_loss_stalls(blobs, mlp):
    # lr 1e-4 barely moves the weights, so val_loss never improves by the 10% relative threshold.
    spec = {"name": "plateau", "factor": 0.5, "patience": 0, "threshold": 0.1}
    rates, _, _ = fit_rates(blobs, mlp, spec, epochs=4, lr=1e-4)
    assert rates == pytest.approx([1e-4, 1e-4, 5e-5, 2.5e-5], rel=1e-9)


def test_onecycle_steps_every_batch_like_torch_onecycle(blobs, mlp):
    spec = {"name": "onecycle", "max_lr": 0.1, "pct_start": 0.25}
    epoch_rates, batch_rates, trainer = fit_rates(blobs, mlp, spec, epochs=3, optimizer="adam", lr=0.001)
    steps = 3 * 4
    assert len(batch_rates) == steps and trainer.schedule.spec["total_steps"] == steps
    # the same schedule stepped by hand on a throwaway optimizer
    dummy = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.001)
    reference = torch.optim.lr_scheduler.OneCycleLR(dummy, max_lr=0.1, total_steps=steps, pct_start=0.25)
    expected = []
    for _ in range(steps):
        dummy.step()
        reference.step()
        expected.append(dummy.param_groups[0]["lr"])
    assert batch_rates == pytest.approx(expected)
    assert epoch_rates[0] == pytest.approx(0.1 / 25)  # starts at max_lr / div_factor
    assert max(batch_rates) == pytest.approx(0.1, rel=1e-3)


def test_resolve_schedule_spells_out_defaults_and_checks_options():
    assert resolve_schedule("cosine", steps_per_epoch=5, epochs=7) == {"name": "cosine", "T_max": 7, "eta_min": 0.0}
    onecycle = resolve_schedule({"name": "onecycle", "max_lr": 0.01}, steps_per_epoch=5, epochs=7)
    assert onecycle["total_steps"] == 35 and onecycle["pct_start"] == 0.3 and onecycle["div_factor"] == 25.0
    assert resolve_schedule(None, steps_per_epoch=1, epochs=1) is None
    with pytest.raises(ValueError, match="needs 'max_lr'"):
        resolve_schedule("onecycle", steps_per_epoch=5, epochs=7)
    with pytest.raises(ValueError, match="unknown options \\['gama'\\]"):
        resolve_schedule({"name": "step", "step_size": 1, "gama": 0.5}, steps_per_epoch=5, epochs=7)
    assert np.isclose(resolve_schedule({"name": "plateau"}, steps_per_epoch=1, epochs=1)["factor"], 0.1)


def test_a_onecycle_warmup_shorter_than_one_step_is_refused_clearly():
    """torch's OneCycleLR raises ZeroDivisionError at 4 steps and pct_start 0.25; the spec says why instead."""
    with pytest.raises(ValueError, match="exactly one step: pct_start 0.25 x total_steps 4 = 1"):
        resolve_schedule({"name": "onecycle", "max_lr": 0.01, "pct_start": 0.25}, steps_per_epoch=2, epochs=2)
    assert resolve_schedule({"name": "onecycle", "max_lr": 0.01, "pct_start": 0.25}, steps_per_epoch=5, epochs=2)
    assert resolve_schedule({"name": "onecycle", "max_lr": 0.01, "pct_start": 0.1}, steps_per_epoch=2, epochs=2)
