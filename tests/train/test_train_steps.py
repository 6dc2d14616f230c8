"""The Trainer's two extension points: batch sources and train steps (with their extra checkpoint state)."""

from __future__ import annotations

import numpy as np
import pytest

from neuralab.train import Callback, ModelCheckpoint, Trainer, TrainingDiverged, load_checkpoint

torch = pytest.importorskip("torch")
F = torch.nn.functional


def windows(x, y, size=8):
    """A batch source: `size` random rows per batch, drawn from the rng the Trainer hands over."""

    def batches(epoch, rng):
        while True:
            rows = rng.integers(0, len(x), size)
            yield x[rows], y[rows]

    return batches


def test_a_batch_source_gives_steps_per_epoch_batches_from_the_seeded_rng(blobs, mlp, snapshot):
    x, y = blobs(64)
    runs = []
    for _ in range(2):
        model = mlp(seed=1, dropout=0.3)
        trainer = Trainer(model, torch.optim.Adam(model.parameters(), lr=0.01), F.cross_entropy, engine=torch, seed=5, progress=False)
        history = trainer.fit(windows(x, y), (x, y), epochs=3, batch_size=8, steps_per_epoch=4)
        runs.append((snapshot(model), history.train_loss, trainer.global_step))
    (first, losses, steps), (second, again, _) = runs
    assert steps == 12 and losses == again
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert history.train_accuracy[-1] is not None  # accuracy is counted from the default step's `correct`


def test_a_batch_source_without_steps_per_epoch_is_refused(blobs, mlp):
    x, y = blobs(16)
    model = mlp()
    trainer = Trainer(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, engine=torch, progress=False)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        trainer.fit(windows(x, y), epochs=1)


class CountingStep:
    """A step with no "loss" of its own (like a GAN's): it reports `half` and `square`, and counts its calls."""

    def __init__(self, model, optimizer, poison_at=None):
        self.model, self.optimizer, self.calls, self.poison_at = model, optimizer, 0, poison_at

    def __call__(self, batch):
        xb, yb = batch
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(xb), yb)
        loss.backward()
        self.optimizer.step()
        self.calls += 1
        value = float("nan") if self.calls == self.poison_at else float(loss.item())
        return {"half": value / 2, "square": value ** 2}

    def extra_state(self):
        return {"calls": self.calls}

    def load_extra_state(self, state):
        self.calls = state["calls"]


class KillAfter(Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_end(self, trainer, step, logs):
        if step == self.step:
            raise KeyboardInterrupt


def test_a_custom_step_logs_its_numbers_and_resumes_its_extra_state(blobs, mlp, tmp_path):
    x, y = blobs(32)
    model = mlp(seed=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    step = CountingStep(model, optimizer)
    trainer = Trainer(model, optimizer, engine=torch, train_step=step, progress=False,
                      callbacks=[ModelCheckpoint(tmp_path), KillAfter(6)])
    with pytest.raises(KeyboardInterrupt):
        trainer.fit((x, y), epochs=3, batch_size=8)  # 4 steps an epoch: killed in epoch 2
    assert load_checkpoint(tmp_path / "last")["extra"] == {"calls": 4}

    fresh_model = mlp(seed=9)
    fresh_optimizer = torch.optim.SGD(fresh_model.parameters(), lr=0.1)
    resumed_step = CountingStep(fresh_model, fresh_optimizer)
    resumed = Trainer(fresh_model, fresh_optimizer, engine=torch, train_step=resumed_step, progress=False,
                      callbacks=[ModelCheckpoint(tmp_path)])
    history = resumed.fit((x, y), epochs=3, batch_size=8, resume=True)
    assert resumed_step.calls == 12 and resumed.global_step == 12
    assert history.train_loss == [None, None, None]  # no "loss" reported: nothing pretends to be one
    with pytest.raises(ValueError, match="evaluate needs"):
        resumed.evaluate((x, y))


def test_a_non_finite_number_from_a_custom_step_is_the_same_divergence_error(blobs, mlp):
    x, y = blobs(32)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(model, optimizer, engine=torch, train_step=CountingStep(model, optimizer, poison_at=6), progress=False)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 6 \(batch 2/4\): the training half became nan; "
                                               r"the last finite training half was .* \(epoch 2, step 5\)") as caught:
        trainer.fit((x, y), epochs=3, batch_size=8)
    assert caught.value.epoch == 2 and caught.value.step == 6


@pytest.mark.parametrize("engine", ["torch", "scratch"])
@pytest.mark.parametrize("max_norm", [0.05, 1e4])  # clipped, and left alone (a factor of 1)
def test_clip_gradients_leaves_the_gradients_clip_grad_norm_leaves(engine, max_norm):
    from neuralab import engines
    from neuralab.train.step import clip_gradients

    T = engines.get(engine)
    grads = []
    for clip in (T.nn.utils.clip_grad_norm_, clip_gradients):
        T.manual_seed(3)
        net = T.nn.Sequential(T.nn.Linear(6, 5), T.nn.Tanh(), T.nn.Linear(5, 2))
        (net(T.ones(4, 6)) ** 2).sum().backward()
        norm = clip(net.parameters(), max_norm) if clip is T.nn.utils.clip_grad_norm_ else clip(T, net.parameters(), max_norm)
        grads.append((float(norm), [p.grad.detach().numpy().copy() for p in net.parameters()]))
    (norm_a, a), (norm_b, b) = grads
    assert norm_a == norm_b and (norm_a > max_norm) == (max_norm < 1)
    for want, got in zip(a, b):
        np.testing.assert_array_equal(got, want)  # bit for bit
