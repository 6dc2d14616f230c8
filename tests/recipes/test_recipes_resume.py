"""Every task family resumes exactly: a run killed mid-epoch and resumed from `last` ends with the
same weights, checkpoint state, per-epoch log and measures as an uninterrupted run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neuralab import recipes
from neuralab.train import Callback, Trainer, load_checkpoint

pytest.importorskip("torch")

TEXT = "".join(f"{name}: the quick brown fox jumps over the lazy dog {i}.\n" for i in range(60) for name in ("ROMEO", "JULIET"))

# family -> (recipe, overrides); each epoch has at least two batches, so the kill lands mid-epoch.
FAMILIES = {
    "classify": ("iris-mlp", ["model.dropout=0.2"]),
    "denoise": ("patterns-dae", ["data.subset=64", "model.hidden=[16]", "model.latent=4"]),
    "vae": ("mnist-vae", ["data.name=fashion-mnist", "data.subset=256", "model.hidden=[16]", "model.latent=2",
                            "vae.grid=3", "vae.samples=4", "vae.prior_components=2"]),
    "diffusion": ("ring-ddpm", ["data.options.n=96", "train.batch_size=32", "model.hidden=16", "model.depth=1",
                                "eval.samples=50", "diffusion.steps=10", "diffusion.ddim_steps=5"]),
    "gan": ("ring-gan", ["data.options.n=128", "model.hidden=16", "eval.samples=200"]),
    "language_model": ("shakespeare-rnn", ["train.batch_size=4", "lm.context=16", "lm.steps_per_epoch=3", "lm.eval_tokens=128",
                                           "lm.final_eval_tokens=256", "lm.sample_tokens=10", "model.embed=8", "model.hidden=16",
                                           "model.layers=1", "model.dropout=0.2"]),
    "translate": ("dates-transformer", ["data.options.n_train=64", "data.options.n_val=16", "data.options.n_test=16",
                                        "train.batch_size=32", "model.d_model=16", "model.heads=2", "model.encoder_layers=1",
                                        "model.decoder_layers=1", "model.ff=16"]),
    "forecast": ("stock-lstm", ["model.hidden=4", "train.batch_size=64"]),
}
TIMING = {"tokens_per_second", "elapsed_s", "train_time_s", "train_cpu_s", "epoch_time_s"}  # speed, not the model


class KillAt(Callback):
    """A crash inside epoch `epoch`, right after the optimizer step of batch `batch`."""

    def __init__(self, epoch: int, batch: int):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, trainer, step, logs):
        if logs["epoch"] == self.epoch and logs["batch"] == self.batch:
            raise KeyboardInterrupt("simulated kill")


def resolve(family: str, tmp_path: Path) -> dict:
    recipe, overrides = FAMILIES[family]
    if family == "language_model":
        corpus = tmp_path / "corpus.txt"
        corpus.write_text(TEXT, encoding="utf-8")
        overrides = [*overrides, f"data.path={corpus}"]
    return recipes.resolve(recipe, engine="torch", seed=3, epochs=3, overrides=["threads=1", *overrides])


def assert_same(ours, theirs, where="last"):
    """The same tree of dicts, lists, arrays and numbers, bit for bit, timings left out."""
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys(), where
        for key in theirs:
            if key not in TIMING:
                assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), where
        for index, (mine, other) in enumerate(zip(ours, theirs)):
            assert_same(mine, other, f"{where}[{index}]")
    elif isinstance(theirs, np.ndarray):
        np.testing.assert_array_equal(ours, theirs, err_msg=where)
    else:
        assert ours == theirs, where


def epoch_lines(run_dir: Path) -> list[dict]:
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in line.items() if k != "time_s"} for line in lines]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_run_killed_mid_epoch_resumes_to_the_uninterrupted_result(family, tmp_path, monkeypatch):
    config = resolve(family, tmp_path)
    assert config["task"] == family
    whole = recipes.run(config, runs_root=tmp_path / "whole", progress=False)

    build = Trainer.__init__

    def with_a_kill(self, *args, callbacks=(), **kwargs):
        build(self, *args, callbacks=[*callbacks, KillAt(epoch=2, batch=2)], **kwargs)

    monkeypatch.setattr(Trainer, "__init__", with_a_kill)
    with pytest.raises(KeyboardInterrupt):
        recipes.run(config, runs_root=tmp_path / "parts", progress=False)
    monkeypatch.undo()
    (run_dir,) = (tmp_path / "parts").iterdir()
    assert load_checkpoint(run_dir / "checkpoints" / "last")["epoch"] == 1
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "interrupted"

    resumed = recipes.run(json.loads((run_dir / "config.json").read_text()), resume=run_dir, progress=False)

    assert resumed["status"] == "completed" and resumed["epochs"] == 3
    # Weights, both optimizers, schedule, RNG states, history, callbacks, the task's extra state.
    assert_same(load_checkpoint(run_dir / "checkpoints" / "last"), load_checkpoint(Path(whole["run_dir"]) / "checkpoints" / "last"))
    assert epoch_lines(run_dir) == epoch_lines(Path(whole["run_dir"]))
    measured = {k: v for k, v in whole["metrics"].items() if k not in TIMING}
    assert {k: resumed["metrics"][k] for k in measured} == measured
