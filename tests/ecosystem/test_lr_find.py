"""`neuralab lr-find`: the learning-rate range test on a recipe, both engines (issue #18 item 3)."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest

from neuralab.cli import main
from neuralab.train.lr_find import LRSweep, SweepFinished, smooth, sweep_lrs
from neuralab.train.tensorboard import png_size


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("engine", ["torch", "scratch"])
def test_lr_find_suggests_an_lr_inside_the_sweep_and_draws_it(tmp_path, capsys, engine):
    code, out, err = run_cli(capsys, "lr-find", "iris-mlp", "--engine", engine, "--steps", "60", "--out", tmp_path,
                             "--set", "threads=1")
    assert code == 0, err
    (folder,) = tmp_path.iterdir()  # the sweep's folder only: no run folder is written
    assert folder.name.startswith("lr-find-iris-mlp-")
    found = json.loads((folder / "lr_find.json").read_text())
    lrs, smoothed = found["lrs"], found["smoothed"]
    assert found["engine"] == engine and len(lrs) == len(found["losses"]) == len(smoothed) >= 2
    assert np.allclose(lrs, sweep_lrs(1e-7, 10.0, 60)[:len(lrs)])  # one mini-batch per lr, in order
    index = found["suggested_index"]
    assert index is not None and lrs[0] < found["suggested_lr"] == lrs[index] < lrs[-1]
    # the rule: on the descent, before the smoothed minimum, where the loss falls fastest
    assert found["suggested_lr"] < found["minimum_lr"]
    assert smoothed[index] < smoothed[0]
    slope = np.gradient(smoothed, np.log10(lrs))
    assert slope[index] < 0
    assert f"suggested lr   {found['suggested_lr']:.3g}" in out and "steepest descent" in out
    width, height, _ = png_size((folder / "figures" / "lr-find.png").read_bytes())
    assert width > 400 and height > 300
    assert str(folder / "figures" / "lr-find.png") in out


class FakeTrainer:
    """What LRSweep touches: the optimizer's parameter groups."""

    def __init__(self):
        self.optimizer = types.SimpleNamespace(param_groups=[{"lr": 0.1}, {"lr": 0.1}])


def sweep_on(loss_of_lr, steps=100):
    """Drive an LRSweep by hand: each step's loss is ``loss_of_lr(lr the sweep set)``."""
    sweep, trainer = LRSweep(1e-6, 1.0, steps), FakeTrainer()
    sweep.on_fit_start(trainer)
    with pytest.raises(SweepFinished):
        for step in range(1, steps + 1):
            groups = {group["lr"] for group in trainer.optimizer.param_groups}
            assert len(groups) == 1  # every group at the sweep's lr
            sweep.on_batch_end(trainer, step, {"epoch": 1, "batch": step, "loss": loss_of_lr(groups.pop())})
    return sweep.result()


def test_the_rule_finds_the_steepest_descent_and_stops_at_the_blow_up():
    # A loss that falls fastest at lr = 1e-3 (a logistic step in log10 lr) and explodes past 0.1.
    def loss(lr):
        x = np.log10(lr)
        return 2.0 - 1.5 / (1 + np.exp(-4 * (x + 3))) + (0.0 if lr < 0.1 else 200 * (lr - 0.1))

    result = sweep_on(loss)
    assert "passed 4 x its best" in result.stopped
    assert 0.1 < result.lrs[-1] and len(result.lrs) < 100  # stopped after the blow-up, before the sweep's end
    # The moving average lags the raw curve a little: the steepest smoothed descent sits within
    # a factor 2 above the true one (measured: 1.9e-3).
    assert 1e-3 <= result.suggested_lr <= 2e-3
    assert result.minimum_over_10 == pytest.approx(result.minimum_lr / 10)


def test_a_flat_loss_gives_no_suggestion_and_the_smoothing_is_debiased():
    result = sweep_on(lambda lr: 1.0, steps=20)
    assert result.suggested_lr is None and "last lr" in result.stopped
    assert smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])  # no pull towards the zero start


def test_lr_find_refuses_a_gan_and_bad_sweeps_clearly(tmp_path, capsys):
    code, _, err = run_cli(capsys, "lr-find", "ring-gan", "--steps", "10", "--out", tmp_path)
    assert code == 2 and "has no single lr to find" in err and "d_loss" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "lr-find", "iris-mlp", "--start", "1", "--end", "0.1", "--out", tmp_path)
    assert code == 2 and "0 < start < end" in err
    code, _, err = run_cli(capsys, "lr-find", "iris-mlp", "--steps", "1", "--out", tmp_path)
    assert code == 2 and "at least 2 steps" in err
    assert list(Path(tmp_path).iterdir()) == []  # nothing written by a refused sweep


def test_ctrl_c_stops_the_sweep_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    def interrupt(self, trainer, step, logs):
        raise KeyboardInterrupt

    monkeypatch.setattr(LRSweep, "on_batch_end", interrupt)
    code, _, err = run_cli(capsys, "lr-find", "xor-mlp", "--engine", "scratch", "--steps", "10", "--out", tmp_path)
    assert code == 130
    assert err.strip() == "neuralab lr-find: interrupted by SIGINT; lr-find stopped after 0 of 10 lrs; nothing was written"
    assert list(tmp_path.iterdir()) == []
