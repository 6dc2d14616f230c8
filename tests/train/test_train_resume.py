"""Exact resume: a run killed mid-epoch and resumed from `last` ends exactly like an uninterrupted one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuralab.train import Callback, EarlyStopping, ModelCheckpoint, RunRecord, Trainer, load_checkpoint

torch = pytest.importorskip("torch")
F = torch.nn.functional

EPOCHS, BATCH = 4, 16
SCHEDULE = {"name": "onecycle", "max_lr": 0.05, "pct_start": 0.25}  # per-batch lr and Adam betas move


class KillAt(Callback):
    """Simulates a crash: raises KeyboardInterrupt inside epoch `epoch`, after batch `batch`."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, trainer, step, logs):
        if logs["epoch"] == self.epoch and logs["batch"] == self.batch:
            raise KeyboardInterrupt("simulated kill")


def build(mlp, folder, model_seed, extra=(), run=None):
    model = mlp(seed=model_seed, dropout=0.3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    callbacks = [EarlyStopping(patience=10), ModelCheckpoint(folder), *extra]
    trainer = Trainer(model, optimizer, F.cross_entropy, engine=torch, schedule=SCHEDULE, seed=7,
                      callbacks=callbacks, progress=False, run=run)
    return trainer


def without_times(history):
    data = history.to_dict()
    data.pop("epoch_time_s")
    return data


def early_stopping_state(trainer):
    stopper = next(cb for cb in trainer.callbacks if isinstance(cb, EarlyStopping))
    return stopper.best_epoch, stopper.best_score, stopper.wait


@pytest.mark.parametrize("val_labels", ["true", "flipped"])
def test_killed_and_resumed_run_matches_uninterrupted_run(tmp_path, blobs, mlp, snapshot, val_labels):
    train, val = blobs(80), blobs(40, seed=1)
    if val_labels == "flipped":  # val_loss is best early: EarlyStopping's saved best weights must come back
        val = (val[0], (val[1] + 1) % 3)

    reference = build(mlp, tmp_path / "reference", model_seed=1)
    reference.fit(train, val, epochs=EPOCHS, batch_size=BATCH)

    run = RunRecord.create(tmp_path / "runs", "resume-test", config={"epochs": EPOCHS})
    killed = build(mlp, run.checkpoints_dir, model_seed=1, extra=[KillAt(epoch=3, batch=2)], run=run)
    with pytest.raises(KeyboardInterrupt):
        killed.fit(train, val, epochs=EPOCHS, batch_size=BATCH)
    assert load_checkpoint(run.checkpoints_dir / "last")["epoch"] == 2
    assert run.read_summary()["status"] == "interrupted"

    # A new process would rebuild everything from scratch: different init, fresh optimizer and callbacks.
    resumed = build(mlp, run.checkpoints_dir, model_seed=99, run=RunRecord.open(run.path))
    history = resumed.fit(train, val, epochs=EPOCHS, batch_size=BATCH, resume=True)

    assert without_times(history) == without_times(reference.history)
    assert early_stopping_state(resumed) == early_stopping_state(reference)
    if val_labels == "flipped":
        assert early_stopping_state(reference)[0] <= 2  # the best epoch was before the kill
    final, expected = snapshot(resumed.model), snapshot(reference.model)
    assert all(np.array_equal(final[k], expected[k]) for k in expected)
    assert resumed.evaluate(val) == reference.evaluate(val)
    assert resumed.optimizer.param_groups[0]["lr"] == reference.optimizer.param_groups[0]["lr"]
    summary = run.read_summary()
    assert summary["status"] == "completed" and summary["epochs"] == EPOCHS
    epochs_logged = [m["epoch"] for m in run.read_metrics() if m["split"] == "train"]
    assert epochs_logged == [1, 2, 3, 4]


def test_resume_auto_starts_fresh_without_a_checkpoint_and_resume_path_must_exist(tmp_path, blobs, mlp):
    train = blobs(32)
    trainer = build(mlp, tmp_path / "ckpt", model_seed=0)
    trainer.fit(train, train, epochs=1, batch_size=BATCH, resume="auto")
    assert len(trainer.history) == 1
    with pytest.raises(Exception, match="nowhere"):
        build(mlp, tmp_path / "other", model_seed=0).fit(train, train, epochs=1, resume=tmp_path / "nowhere" / "last")


def test_resume_after_completion_does_nothing_more(tmp_path, blobs, mlp, snapshot):
    train = blobs(64)
    first = build(mlp, tmp_path / "ckpt", model_seed=0)
    first.fit(train, train, epochs=2, batch_size=BATCH)
    again = build(mlp, tmp_path / "ckpt", model_seed=5)
    history = again.fit(train, train, epochs=2, batch_size=BATCH, resume=tmp_path / "ckpt")
    assert without_times(history) == without_times(first.history)
    state = json.loads((tmp_path / "ckpt" / "last.json").read_text())
    assert state["state"]["epoch"] == 2
