"""The GPT language model on both engines, and resuming a language-model run.

* parity: the scratch and torch GPT, started from the same weights, follow the same loss
  curve under the recipe's own training step (AdamW with matrix-only decay, clipping,
  one-cycle schedule), in float64;
* resume: a run stopped after its first epoch and resumed ends with the same weights as
  an uninterrupted run (dropout on, so the engine RNG state must come back too).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import neuralab.scratch as scratch
from neuralab import recipes
from neuralab.models import gpt
from neuralab.recipes import language_model
from neuralab.train import callbacks
from neuralab.train.checkpoint import load_checkpoint
from neuralab.train.optimizers import build_optimizer
from neuralab.train.schedules import build_schedule
from neuralab.train.step import apply_gradients

from test_sequence_recipes import TEXT

SIZES = {"vocab_size": 11, "context": 12, "d_model": 16, "layers": 2, "heads": 2, "dropout": 0.0}


def _loss_curve(T, state: dict[str, np.ndarray], batches) -> list[float]:
    model = gpt.build(T, **SIZES).to(T.float64)
    model.load_state_dict({name: T.from_numpy(array.copy()) for name, array in state.items()})
    optimizer = build_optimizer(T, model.parameters(), {"name": "adamw", "lr": 1e-2, "weight_decay": 0.1,
                                                        "betas": [0.9, 0.99], "decay_matrices_only": True})
    schedule = build_schedule({"name": "onecycle", "max_lr": 1e-2, "pct_start": 0.25}, optimizer, engine=T,
                              steps_per_epoch=len(batches), epochs=1)
    losses = []
    for inputs, targets in batches:
        logits = model(T.from_numpy(inputs))
        loss = T.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), T.from_numpy(targets).reshape(-1))
        losses.append(apply_gradients(T, loss, model, optimizer, 1.0, schedule))
    return losses


def test_scratch_and_torch_gpt_train_alike_from_the_same_weights():
    torch.manual_seed(0)
    state = {name: value.detach().double().numpy() for name, value in gpt.build(torch, **SIZES).state_dict().items()}
    rng = np.random.default_rng(0)
    ids = rng.integers(0, SIZES["vocab_size"], size=400)
    batches = [language_model.random_windows(ids, 4, SIZES["context"], rng) for _ in range(8)]
    torch_curve, scratch_curve = _loss_curve(torch, state, batches), _loss_curve(scratch, state, batches)
    assert torch_curve[-1] < torch_curve[0]  # it learns something
    np.testing.assert_allclose(scratch_curve, torch_curve, rtol=1e-9)


def test_an_epochs_windows_are_the_batches_one_draw_per_step_gives():
    ids = np.arange(1000, dtype=np.int64)  # id = position, so a window shows where it starts
    rng = np.random.default_rng([3, 1])
    one_per_step = [language_model.random_windows(ids, 5, 16, rng) for _ in range(150)]  # chunks of 64, 64, 22
    at_once = list(language_model.epoch_windows(ids, 150, 5, 16, np.random.default_rng([3, 1])))
    assert len(at_once) == 150
    for (inputs, targets), (want_inputs, want_targets) in zip(at_once, one_per_step):
        np.testing.assert_array_equal(inputs, want_inputs)
        np.testing.assert_array_equal(targets, want_targets)
        assert inputs.shape == (5, 16) and inputs.flags.c_contiguous and targets.flags.c_contiguous
        assert (np.diff(inputs, axis=1) == 1).all() and (targets == inputs + 1).all()
        assert inputs.min() >= 0 and targets.max() < len(ids)


def test_decay_matrices_only_leaves_biases_and_norms_undecayed():
    model = gpt.build(torch, **SIZES)
    optimizer = build_optimizer(torch, model.parameters(), {"name": "adamw", "lr": 1e-3, "weight_decay": 0.1,
                                                            "decay_matrices_only": True})
    decayed, plain = optimizer.param_groups
    assert decayed["weight_decay"] == 0.1 and all(p.dim() == 2 for p in decayed["params"])
    assert plain["weight_decay"] == 0.0 and all(p.dim() == 1 for p in plain["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))


class _Interrupt(Exception):
    pass


@pytest.mark.parametrize("engine", ["torch", "scratch"])
def test_an_interrupted_language_model_run_resumes_to_the_same_weights(engine, tmp_path, monkeypatch):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    config = recipes.resolve("shakespeare-gpt", engine=engine, epochs=3, batch_size=4, overrides=[
        "threads=1", f"data.path={corpus}", "lm.context=16", "lm.steps_per_epoch=3", "lm.eval_tokens=128",
        "lm.final_eval_tokens=256", "lm.sample_tokens=0", "lm.autocast=null", "model.d_model=16", "model.heads=2",
        "model.layers=1", "model.context=16", "model.dropout=0.2"])
    whole = recipes.run(config, runs_root=tmp_path / "whole", progress=False)

    save = callbacks.save_checkpoint  # the Trainer's ModelCheckpoint writes `last`

    def save_then_stop(path, state):
        save(path, state)
        if state["epoch"] == 1:
            raise _Interrupt

    monkeypatch.setattr(callbacks, "save_checkpoint", save_then_stop)
    with pytest.raises(_Interrupt):
        recipes.run(config, runs_root=tmp_path / "split", progress=False)
    monkeypatch.undo()
    run_dir = next((tmp_path / "split").iterdir())
    resumed = recipes.run(json.loads((run_dir / "config.json").read_text()), resume=run_dir, progress=False)

    final = [load_checkpoint(f"{s['run_dir']}/checkpoints/last") for s in (whole, resumed)]
    assert final[0]["epoch"] == final[1]["epoch"] == 3
    for name, array in final[0]["model"].items():
        np.testing.assert_array_equal(final[1]["model"][name], array, err_msg=name)
    assert resumed["metrics"]["val_loss"] == whole["metrics"]["val_loss"]
    assert [row["epoch"] for row in resumed_metrics(run_dir) if row["split"] == "val"] == [1, 2, 3]


def resumed_metrics(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("T", [scratch, torch], ids=["scratch", "torch"])
def test_gpt_without_biases_has_no_bias_parameters_and_still_predicts_every_position(T):
    with_bias = gpt.build(T, **SIZES)
    model = gpt.build(T, **SIZES, bias=False)
    names = [name for name, _ in model.named_parameters()]
    assert not [name for name in names if name.endswith("bias")], names
    d, layers = SIZES["d_model"], SIZES["layers"]
    # per block: qkv 3d + proj d + two LayerNorms 2d + MLP 4d + d; plus the final LayerNorm
    dropped = layers * (3 * d + d + 2 * d + 4 * d + d) + d
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(with_bias) - count(model) == dropped
    logits = model(T.from_numpy(np.zeros((2, SIZES["context"]), dtype=np.int64)))
    assert tuple(logits.shape) == (2, SIZES["context"], SIZES["vocab_size"])
