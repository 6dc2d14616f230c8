"""Trainer basics: fit, evaluate, predict, shuffling, clipping, loss hook, printing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuralab.train import Callback, History, Trainer, epoch_permutation

torch = pytest.importorskip("torch")
F = torch.nn.functional


def make_trainer(model, lr=0.05, **kwargs):
    kwargs.setdefault("progress", False)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    return Trainer(model, optimizer, F.cross_entropy, engine=torch, **kwargs)


def test_fit_reduces_loss_and_fills_history(blobs, mlp):
    x, y = blobs(128)
    xv, yv = blobs(64, seed=1)
    trainer = make_trainer(mlp())
    history = trainer.fit((x, y), (xv, yv), epochs=5, batch_size=32)
    assert isinstance(history, History) and len(history) == 5
    assert history.epoch == [1, 2, 3, 4, 5]
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.val_loss[-1] < history.val_loss[0]
    assert history.val_accuracy[-1] > 0.8
    assert all(len(v) == 5 for v in history.to_dict().values())
    restored = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored == history
    best = history.best("val_loss")
    assert best["val_loss"] == min(history.val_loss) and best == history.row(history.val_loss.index(best["val_loss"]))
    assert history.best("val_accuracy", mode="max")["val_accuracy"] == max(history.val_accuracy)


def test_epoch_permutation_is_a_pure_function_of_seed_and_epoch():
    assert np.array_equal(epoch_permutation(3, 2, 50), epoch_permutation(3, 2, 50))
    assert not np.array_equal(epoch_permutation(3, 2, 50), epoch_permutation(3, 3, 50))
    assert not np.array_equal(epoch_permutation(3, 2, 50), epoch_permutation(4, 2, 50))
    assert sorted(epoch_permutation(0, 1, 50)) == list(range(50))


class RecordBatches(Callback):
    def __init__(self):
        self.losses = []

    def on_batch_end(self, trainer, step, logs):
        self.losses.append(logs["loss"])


def test_same_seed_same_run_different_seed_different_run(blobs, mlp):
    x, y = blobs(64)

    def run(seed):
        record = RecordBatches()
        make_trainer(mlp(dropout=0.3), seed=seed, callbacks=[record]).fit((x, y), epochs=2, batch_size=16)
        return record.losses

    assert run(0) == run(0)
    assert run(0) != run(1)


def test_evaluate_and_predict_agree_with_a_manual_computation(blobs, mlp):
    x, y = blobs(50)
    trainer = make_trainer(mlp())
    trainer.fit((x, y), epochs=1, batch_size=16)
    outputs = trainer.predict(x, batch_size=7)
    assert outputs.shape == (50, 3) and isinstance(outputs, np.ndarray)
    expected_loss = F.cross_entropy(torch.from_numpy(outputs), torch.from_numpy(y)).item()
    results = trainer.evaluate((x, y), batch_size=13)
    assert results["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert results["accuracy"] == pytest.approx(np.mean(outputs.argmax(1) == y))


def test_compute_loss_hook_trains_an_autoencoder_without_targets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.Linear(4, 8))

    def reconstruction(model, xb, yb):
        assert yb is None
        out = model(xb)
        return F.mse_loss(out, xb), out

    trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=0.02), engine=torch,
                      compute_loss=reconstruction, progress=False)
    history = trainer.fit(x, x[:16], epochs=4, batch_size=16)
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.train_accuracy == [None] * 4 and history.val_accuracy == [None] * 4
    assert set(trainer.evaluate(x)) == {"loss"}


class GradientNorms(Callback):
    def __init__(self):
        self.norms = []

    def on_batch_end(self, trainer, step, logs):  # grads survive until the next zero_grad
        grads = [p.grad for p in trainer.model.parameters() if p.grad is not None]
        self.norms.append(float(torch.sqrt(sum((g ** 2).sum() for g in grads))))


def test_clip_grad_norm_caps_the_gradient_norm(blobs, mlp):
    x, y = blobs(64)
    x = x * 50  # large inputs, large gradients

    def norms(clip):
        record = GradientNorms()
        model = mlp()
        trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=1e-4), F.cross_entropy, engine=torch,
                          clip_grad_norm=clip, callbacks=[record], progress=False)
        trainer.fit((x, y), epochs=1, batch_size=16)
        return record.norms

    assert max(norms(None)) > 1.0
    assert max(norms(0.5)) <= 0.5 + 1e-5


def test_accuracy_is_skipped_for_regression_targets():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = torch.nn.Linear(3, 1)
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), F.mse_loss, engine=torch, progress=False)
    history = trainer.fit((x, y.astype(np.float64)), (x, y), epochs=3, batch_size=8)  # float64 is cast to float32
    assert history.train_accuracy == [None] * 3
    assert history.train_loss[-1] < history.train_loss[0]


def test_progress_prints_one_summary_line_per_epoch(blobs, mlp, capsys):
    x, y = blobs(32)
    make_trainer(mlp(), progress=True).fit((x, y), (x, y), epochs=2, batch_size=16)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2 and "epoch 2/2" in lines[1] and "val loss" in lines[1]


def test_bad_arguments_get_clear_errors(blobs, mlp):
    x, y = blobs(16)
    model = mlp()
    with pytest.raises(ValueError, match="loss_fn"):
        Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), engine=torch)
    with pytest.raises(ValueError, match="unknown metrics"):
        make_trainer(model, metrics=("f1",))
    with pytest.raises(ValueError, match="x has 16 samples but y has 15"):
        make_trainer(model).fit((x, y[:15]), epochs=1)
    with pytest.raises(ValueError, match="unknown schedule 'cosin'.*did you mean 'cosine'"):
        make_trainer(model, schedule="cosin").fit((x, y), epochs=1)


def shared_api_only():
    """A stand-in engine module that exposes only the API subset the Trainer may use."""
    import types

    engine = types.ModuleType("neuralab.scratch_stand_in")  # name_of() -> "scratch": no torch-only paths
    for name in ("from_numpy", "no_grad", "manual_seed", "get_rng_state", "set_rng_state", "isfinite", "clamp"):
        setattr(engine, name, getattr(torch, name))
    engine.nn = types.SimpleNamespace(utils=types.SimpleNamespace(
        **{name: getattr(torch.nn.utils, name) for name in ("clip_grad_norm_", "get_total_norm", "clip_grads_with_norm_")}))
    engine.optim = types.SimpleNamespace(lr_scheduler=torch.optim.lr_scheduler)
    return engine


class StopAtEpoch(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_start(self, trainer, epoch):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_trainer_needs_nothing_beyond_the_shared_engine_api(tmp_path, blobs, mlp):
    from neuralab.train import EarlyStopping, ModelCheckpoint

    engine = shared_api_only()
    x, y = blobs(64)

    def trainer(seed, folder, *extra):
        model = mlp(seed=seed, dropout=0.2)
        return Trainer(model, torch.optim.Adam(model.parameters(), lr=0.02), F.cross_entropy, engine=engine,
                       schedule={"name": "step", "step_size": 1, "gamma": 0.5}, clip_grad_norm=1.0,
                       callbacks=[EarlyStopping(patience=3), ModelCheckpoint(folder), *extra], progress=False)

    reference = trainer(0, tmp_path / "a")
    reference.fit((x, y), (x, y), epochs=3, batch_size=16)
    with pytest.raises(KeyboardInterrupt):
        trainer(0, tmp_path / "b", StopAtEpoch(3)).fit((x, y), (x, y), epochs=3, batch_size=16)
    resumed = trainer(1, tmp_path / "b")
    history = resumed.fit((x, y), (x, y), epochs=3, batch_size=16, resume=tmp_path / "b")
    assert history.train_loss == reference.history.train_loss
    assert resumed.evaluate((x, y)) == reference.evaluate((x, y))
    assert resumed.predict(x[:4]).shape == (4, 3)
