"""The contract neuralab's Trainer relies on, exercised with the scratch engine: train, checkpoint,
kill mid-epoch, resume in a fresh model, and end exactly like the uninterrupted run."""

from __future__ import annotations

import numpy as np
import pytest

import neuralab.scratch as T

train_mod = pytest.importorskip("neuralab.train")
F = T.nn.functional
EPOCHS, BATCH = 3, 16


def blobs(n, seed=0):
    r = np.random.default_rng(seed)
    y = r.integers(0, 3, n)
    centers = np.array([[2.0, 0.0, 0.0, 1.0], [-2.0, 1.0, 0.0, 0.0], [0.0, -2.0, 1.0, 0.0]])
    x = (centers[y] + r.standard_normal((n, 4))).astype(np.float32)
    return x, y.astype(np.int64)


def mlp(seed):
    T.manual_seed(seed)
    return T.nn.Sequential(T.nn.Linear(4, 16), T.nn.ReLU(), T.nn.Dropout(0.3), T.nn.Linear(16, 3))


class KillAt(train_mod.Callback):
    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, trainer, step, logs):
        if logs["epoch"] == self.epoch and logs["batch"] == self.batch:
            raise KeyboardInterrupt("simulated kill")


def build(folder, seed, extra=(), run=None):
    model = mlp(seed)
    optimizer = T.optim.Adam(model.parameters(), lr=0.01)
    callbacks = [train_mod.ModelCheckpoint(folder), *extra]
    return train_mod.Trainer(model, optimizer, F.cross_entropy, engine=T, clip_grad_norm=5.0,
                             schedule={"name": "onecycle", "max_lr": 0.05, "pct_start": 0.25}, seed=7,
                             callbacks=callbacks, progress=False, run=run)


def test_scratch_engine_trains_and_resumes_exactly(tmp_path):
    train, val = blobs(80), blobs(40, seed=1)
    reference = build(tmp_path / "reference", seed=1)
    history = reference.fit(train, val, epochs=EPOCHS, batch_size=BATCH)
    assert history.to_dict()["val_accuracy"][-1] > 0.8

    run = train_mod.RunRecord.create(tmp_path / "runs", "scratch-resume", config={"epochs": EPOCHS})
    killed = build(run.checkpoints_dir, seed=1, extra=[KillAt(epoch=2, batch=2)], run=run)
    with pytest.raises(KeyboardInterrupt):
        killed.fit(train, val, epochs=EPOCHS, batch_size=BATCH)
    resumed = build(run.checkpoints_dir, seed=99, run=train_mod.RunRecord.open(run.path))
    resumed.fit(train, val, epochs=EPOCHS, batch_size=BATCH, resume=True)
    for (name, a), (_, b) in zip(reference.model.state_dict().items(), resumed.model.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert resumed.evaluate(val) == reference.evaluate(val)
