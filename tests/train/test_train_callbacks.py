"""EarlyStopping, ModelCheckpoint and the NaN/Inf guard."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neuralab.train import (
    Callback,
    EarlyStopping,
    ModelCheckpoint,
    RunRecord,
    Trainer,
    TrainingDiverged,
    load_checkpoint,
)
from neuralab.train.callbacks import _Best

torch = pytest.importorskip("torch")
F = torch.nn.functional


class Snapshots(Callback):
    """Keeps a copy of the weights at the end of every epoch."""

    def __init__(self, snapshot):
        self.snapshot, self.weights = snapshot, {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.weights[epoch] = self.snapshot(trainer.model)


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch(blobs, mlp, snapshot):
    x, y = blobs(64)
    wrong = (y + 1) % 3  # validating on flipped labels: the better it fits, the worse val_loss gets
    stopper, snaps = EarlyStopping(monitor="val_loss", patience=2), Snapshots(snapshot)
    model = mlp()
    trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=0.05), F.cross_entropy, engine=torch,
                      callbacks=[stopper, snaps], progress=False)
    history = trainer.fit((x, y), (x, wrong), epochs=20, batch_size=16)

    best_epoch = int(np.argmin(history.val_loss)) + 1
    assert stopper.best_epoch == best_epoch
    assert len(history) == best_epoch + 2 < 20  # stopped exactly `patience` epochs after the best
    assert stopper.stopped_epoch == len(history)
    restored = snapshot(trainer.model)
    assert all(np.array_equal(restored[k], snaps.weights[best_epoch][k]) for k in restored)
    assert trainer.restored_epoch == best_epoch
    assert trainer.evaluate((x, wrong))["loss"] == pytest.approx(history.val_loss[best_epoch - 1], rel=1e-6)


def test_early_stopping_restores_best_weights_even_without_stopping(blobs, mlp, snapshot):
    x, y = blobs(48)
    wrong = (y + 1) % 3
    stopper, snaps = EarlyStopping(patience=50), Snapshots(snapshot)
    model = mlp()
    trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=0.05), F.cross_entropy, engine=torch,
                      callbacks=[stopper, snaps], progress=False)
    history = trainer.fit((x, y), (x, wrong), epochs=3, batch_size=16)
    best = int(np.argmin(history.val_loss)) + 1
    assert len(history) == 3 and stopper.stopped_epoch is None
    assert all(np.array_equal(v, snaps.weights[best][k]) for k, v in snapshot(trainer.model).items())


def test_early_stopping_needs_the_monitored_value(blobs, mlp):
    x, y = blobs(16)
    model = mlp()
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, engine=torch,
                      callbacks=[EarlyStopping(monitor="val_loss")], progress=False)
    with pytest.raises(ValueError, match="pass val="):
        trainer.fit((x, y), epochs=1)


def test_best_tracker_modes_and_min_delta():
    lower = _Best("min", min_delta=0.1)
    assert lower.improves(1.0)
    lower.score = 1.0
    assert not lower.improves(0.95) and lower.improves(0.85) and not lower.improves(float("nan"))
    higher = _Best("max")
    higher.score = 0.5
    assert higher.improves(0.6) and not higher.improves(0.5)
    assert EarlyStopping(monitor="val_accuracy").mode == "max"


def test_model_checkpoint_writes_last_and_best(tmp_path, blobs, mlp):
    x, y = blobs(48)
    wrong = (y + 1) % 3
    model = mlp()
    checkpoint = ModelCheckpoint(tmp_path)
    trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=0.05), F.cross_entropy, engine=torch,
                      callbacks=[checkpoint], progress=False)
    history = trainer.fit((x, y), (x, wrong), epochs=4, batch_size=16)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best.json", "best.safetensors", "last.json", "last.safetensors"]
    assert load_checkpoint(tmp_path / "last")["epoch"] == 4
    assert load_checkpoint(tmp_path / "best.json")["epoch"] == int(np.argmin(history.val_loss)) + 1


def regression(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32))[:, None]


def test_nan_guard_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    x, y = regression()
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    run = RunRecord.create(tmp_path, "diverge")
    # lr 3 on a unit-variance least-squares problem: each step multiplies the error ~5x,
    # so a few epochs are finite and then float32 overflows.
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=3.0), F.mse_loss, engine=torch,
                      metrics=(), run=run, progress=False)
    with pytest.raises(TrainingDiverged) as caught:
        trainer.fit((x, y), (x, y), epochs=40, batch_size=8)
    error, message = caught.value, str(caught.value)
    assert error.epoch >= 2 and "training diverged at epoch" in message
    assert "lower the learning rate (now 3)" in message and "clip_grad_norm" in message
    assert error.last_finite_loss is not None and math.isfinite(error.last_finite_loss)
    assert f"{error.last_finite_loss:.4g}" in message and "last.safetensors" in message

    state = load_checkpoint(run.checkpoints_dir / "last")
    assert state["epoch"] == error.epoch - 1 == len(trainer.history)
    assert all(np.isfinite(array).all() for array in state["model"].values())
    summary = run.read_summary()
    assert summary["status"] == "diverged" and summary["message"] == message
    assert all(m["loss"] is not None and math.isfinite(m["loss"]) for m in run.read_metrics())
    json.loads(run.summary_path.read_text())  # strict JSON, no NaN


def test_nan_on_the_first_step_says_there_is_no_checkpoint(tmp_path):
    x, y = regression(16)
    model = torch.nn.Linear(4, 1)

    def broken(model, xb, yb):
        return model(xb).sum() * float("nan"), None

    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), engine=torch, compute_loss=broken,
                      callbacks=[ModelCheckpoint(tmp_path)], clip_grad_norm=1.0, progress=False)
    with pytest.raises(TrainingDiverged, match=r"epoch 1, step 1 \(batch 1/2\).*lower clip_grad_norm \(now 1\).*No checkpoint"):
        trainer.fit((x, y), epochs=2, batch_size=8)
    assert not (tmp_path / "last.json").exists()
