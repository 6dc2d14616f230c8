"""Run a character language-model recipe: random text windows -> next-character loss.

One "epoch" is ``lm.steps_per_epoch`` optimizer steps, each on ``train.batch_size``
windows of ``lm.context + 1`` characters drawn at random offsets of the training text
(``default_rng([seed, epoch])``, so a seed fixes the data order). The loss is the mean
cross-entropy of predicting each next character, in nats per character.

Validation reads the held-out text as consecutive, non-overlapping windows of
``lm.context`` characters (every position counts, as in training): ``lm.eval_tokens``
characters after each epoch, the whole validation text (``lm.final_eval_tokens: null``)
at the end. ``summary.json`` gets ``val_loss`` (nats/char), ``val_bits_per_char``,
``tokens_per_second`` (training), the corpus's ``unigram_entropy`` (the loss of a model
that ignores context: the bar a recurrent net must clear) and a generated ``sample``.
The run folder also holds ``tokenizer.json`` (the vocabulary) and ``checkpoints/last``,
rewritten after every epoch with everything a resume needs (``neuralab train --resume RUN``)
and read by ``neuralab sample RUN``.

``lm.autocast: bf16`` runs the forward pass under ``torch.autocast`` (bfloat16 matmuls; the
loss, weights and optimizer stay float32). ``lm.init_engine`` names the engine that draws the
initial weights, so that a torch and a scratch run of one config start from the same model.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data, engines, models
from neuralab.data.tokenizer import CharTokenizer
from neuralab.generative.text import sample_text
from neuralab.recipes.classify import schedule_spec
from neuralab.recipes.config import require
from neuralab.recipes.targets import verdicts
from neuralab.train import RunRecord, save_checkpoint
from neuralab.train.checkpoint import (CheckpointError, load_checkpoint, load_model_state, load_optimizer_state,
                                       model_state)
from neuralab.train.optimizers import build_optimizer
from neuralab.train.schedules import build_schedule, resolve_schedule
from neuralab.train.step import apply_gradients
from neuralab.train.trainer import rng_state, set_rng_state
from neuralab.viz import plot_history

LM_MODELS = ("char_rnn", "gpt")
TOKENIZER_FILE = "tokenizer.json"

# Config keys only language-model recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {
    "data": {"path": None, "val_fraction": 0.1},
    "lm": {
        "context": 128,
        "steps_per_epoch": 200,
        "eval_tokens": 65536,
        "final_eval_tokens": None,
        "sample_tokens": 500,
        "prompt": "ROMEO:\n",
        "temperature": 0.8,
        "top_k": None,
        "autocast": None,
        "init_engine": None,
    },
}


def validate(config: dict[str, Any]) -> None:
    """Language-model checks (the shared ones live in ``recipes.validate``)."""
    lm = config["lm"]
    require(config["model"]["name"] in LM_MODELS, f"language-model recipes use a model in {LM_MODELS}; got {config['model']['name']!r}")
    for key in ("context", "steps_per_epoch", "eval_tokens", "sample_tokens"):
        require(isinstance(lm[key], int) and lm[key] >= (0 if key == "sample_tokens" else 1),
                f"lm.{key} must be a positive integer; got {lm[key]!r}")
    require(lm["final_eval_tokens"] is None or (isinstance(lm["final_eval_tokens"], int) and lm["final_eval_tokens"] >= 1),
            f"lm.final_eval_tokens must be a positive integer or null (whole validation text); got {lm['final_eval_tokens']!r}")
    require(isinstance(lm["temperature"], (int, float)) and lm["temperature"] > 0, f"lm.temperature must be > 0; got {lm['temperature']!r}")
    require(lm["top_k"] is None or (isinstance(lm["top_k"], int) and lm["top_k"] >= 1), f"lm.top_k must be >= 1 or null; got {lm['top_k']!r}")
    if config["model"]["name"] == "gpt":
        require(lm["context"] <= config["model"]["context"],
                f"lm.context ({lm['context']}) exceeds the gpt's position table (model.context = {config['model']['context']})")
    require(lm["init_engine"] in (None, *engines.ENGINES),
            f"lm.init_engine must be null (the training engine) or one of {engines.ENGINES}; got {lm['init_engine']!r}")
    require(lm["autocast"] in (None, "bf16"), f"lm.autocast must be null (float32) or 'bf16'; got {lm['autocast']!r}")
    schedule = config["schedule"].get("name")
    require(schedule in (None, "onecycle", "cosine", "step", "exponential"),
            f"language-model recipes support schedules onecycle, cosine, step, exponential or null; got {schedule!r}")


def load_corpus(config: dict[str, Any]):
    """The train/val text of ``config`` (``data.path``: any UTF-8 file instead of the dataset)."""
    options = {"val_fraction": config["data"]["val_fraction"]}
    if config["data"]["path"]:
        options["path"] = config["data"]["path"]
    return data.load(config["data"]["name"], **options)


def unigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy of the character frequencies, in nats: the loss of the best context-free model."""
    counts = np.bincount(ids, minlength=vocab_size).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def random_windows(ids: np.ndarray, batch_size: int, context: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)``, both ``(batch_size, context)``: targets are inputs shifted by one."""
    starts = rng.integers(0, len(ids) - context - 1, size=batch_size)
    windows = ids[starts[:, None] + np.arange(context + 1)]
    return windows[:, :-1], windows[:, 1:]


def evaluate_loss(T, model, ids: np.ndarray, context: int, max_tokens: int | None, device: str = "cpu",
                  batch_size: int = 32) -> float:
    """Mean next-character loss (nats) over consecutive windows of ``context`` from ``ids``."""
    usable = len(ids) - 1 if max_tokens is None else min(len(ids) - 1, max_tokens)
    windows = max(1, usable // context)
    context = min(context, len(ids) - 1)
    inputs = np.stack([ids[i * context:(i + 1) * context] for i in range(windows)])
    targets = np.stack([ids[i * context + 1:(i + 1) * context + 1] for i in range(windows)])
    model.eval()
    total = 0.0
    with T.no_grad():
        for start in range(0, windows, batch_size):
            x = T.from_numpy(inputs[start:start + batch_size]).to(device)
            y = T.from_numpy(targets[start:start + batch_size]).to(device)
            logits = model(x)
            loss = T.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            total += float(loss.item()) * y.shape[0]
    return total / windows


def autocast(T, precision: str | None, device: str):
    """A context for the forward pass: bfloat16 matmuls where asked (torch only), else nothing.

    CPUs with AVX512-BF16 (Zen 4, Sapphire Rapids) multiply bfloat16 natively: measured 1.05x the
    float32 step of the d=128 GPT, 1.3-1.4x at d=192-256. The loss, the weights and so the
    optimizer stay float32.
    """
    if precision is None:
        return contextlib.nullcontext()
    require(hasattr(T, "autocast"), f"lm.autocast={precision!r} needs the torch engine (scratch computes in float32): "
                                    "add --set lm.autocast=null")
    return T.autocast(device_type=device.split(":")[0], dtype=T.bfloat16)


def build_model(T, config: dict[str, Any]):
    """The seeded model of ``config`` (its vocab_size already set).

    The initial weights are drawn by ``lm.init_engine`` (null: by ``T`` itself); naming one
    engine there makes torch and scratch runs of a config start from the same weights.
    """
    options = {k: v for k, v in config["model"].items() if k != "name"}
    T.manual_seed(config["seed"])
    model = models.build(config["model"]["name"], T, **options)
    init_engine = config["lm"].get("init_engine")
    if init_engine and init_engine != engines.name_of(T):
        source = engines.get(init_engine)
        source.manual_seed(config["seed"])
        load_model_state(model, model_state(models.build(config["model"]["name"], source, **options)), T,
                         source=f"the {init_engine} engine's initial weights")
    return model


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one language-model config; returns the summary dict.

    Every epoch ends with a full ``last`` checkpoint (model, optimizer, schedule, engine and
    NumPy RNG states, history, training time); ``resume`` (a run folder) continues from it.
    Epoch ``e`` draws its windows from ``default_rng([seed, e])``, so a resumed run replays
    the remaining epochs exactly as an uninterrupted one would.
    """
    config = copy.deepcopy(config)
    T, device = engines.setup(config["engine"], threads=config["threads"], device=config["device"])
    config["device"] = device
    corpus = load_corpus(config)
    tokenizer = CharTokenizer.from_text(corpus.train + corpus.val)
    train_ids, val_ids = tokenizer.encode(corpus.train), tokenizer.encode(corpus.val)
    lm, train = config["lm"], config["train"]
    require(len(train_ids) > lm["context"] + 1 and len(val_ids) > 1,
            f"the corpus is too short for lm.context = {lm['context']}: {len(train_ids)} train / {len(val_ids)} val chars")
    config["model"]["vocab_size"] = tokenizer.vocab_size
    model = build_model(T, config).to(device)
    optimizer = build_optimizer(T, model.parameters(), config["optimizer"])
    for key, value in optimizer.defaults.items():
        if isinstance(value, (int, float, str, bool, type(None))):
            config["optimizer"].setdefault(key, value)
    spec = schedule_spec(config)
    if spec is not None:
        config["schedule"] = resolve_schedule(spec, steps_per_epoch=lm["steps_per_epoch"], epochs=train["epochs"])
    schedule = build_schedule(spec, optimizer, engine=T, steps_per_epoch=lm["steps_per_epoch"], epochs=train["epochs"])
    record = RunRecord.open(resume) if resume else RunRecord.create(runs_root, name=config["recipe"])
    record.write_config(config)
    tokenizer.save(record.path / TOKENIZER_FILE)
    entropy = unigram_entropy(train_ids, tokenizer.vocab_size)
    record.update_summary(engine=config["engine"], device=device, seed=config["seed"], epochs=0, status="running",
                          corpus={"name": corpus.name, "train_chars": len(train_ids), "val_chars": len(val_ids),
                                  "vocab_size": tokenizer.vocab_size, "source": corpus.source, "sha256": corpus.sha256})

    progress_state = {"epoch": 0, "history": [], "train_time_s": 0.0, "train_cpu_s": 0.0, "tokens_seen": 0}
    if resume:
        progress_state = restore(T, record, model, optimizer, schedule, config)
        record.truncate_metrics(progress_state["epoch"])
        if progress:
            print(f"resumed from {record.checkpoints_dir / 'last'} after epoch {progress_state['epoch']}", flush=True)
    history, tokens_seen = progress_state["history"], progress_state["tokens_seen"]
    # CPU seconds beside wall seconds: on a shared machine the process time of a 1-thread run is
    # close to what the same run takes on a quiet one.
    train_time, train_cpu = progress_state["train_time_s"], progress_state["train_cpu_s"]
    loss_fn = T.nn.functional.cross_entropy
    started = time.perf_counter()
    for epoch in range(progress_state["epoch"] + 1, train["epochs"] + 1):
        rng = np.random.default_rng([config["seed"], epoch])
        model.train()
        epoch_start, epoch_cpu, running = time.perf_counter(), time.process_time(), 0.0
        for _ in range(lm["steps_per_epoch"]):
            xb, yb = random_windows(train_ids, train["batch_size"], lm["context"], rng)
            x, y = T.from_numpy(xb).to(device), T.from_numpy(yb).to(device)
            with autocast(T, lm["autocast"], device):
                logits = model(x)
            if lm["autocast"]:
                logits = logits.float()
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            running += apply_gradients(T, loss, model, optimizer, train["clip_grad_norm"], schedule)
        if schedule is not None:
            schedule.step_epoch({})
        train_time += time.perf_counter() - epoch_start
        train_cpu += time.process_time() - epoch_cpu
        tokens_seen += lm["steps_per_epoch"] * train["batch_size"] * lm["context"]
        train_loss = running / lm["steps_per_epoch"]
        if not math.isfinite(train_loss):
            record.update_summary(status="diverged", epochs=epoch, message=f"non-finite training loss at epoch {epoch}")
            raise FloatingPointError(f"{config['recipe']} diverged at epoch {epoch}")
        val_loss = evaluate_loss(T, model, val_ids, lm["context"], lm["eval_tokens"], device)
        lr = optimizer.param_groups[0]["lr"]
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "lr": lr,
               "tokens_per_second": tokens_seen / train_time, "time_s": train_time}
        history.append(row)
        record.log(epoch=epoch, split="train", loss=train_loss, lr=lr, time_s=row["time_s"])
        record.log(epoch=epoch, split="val", loss=val_loss, time_s=row["time_s"])
        save_checkpoint(record.checkpoints_dir / "last", {
            "engine": config["engine"], "epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "schedule": config["schedule"] if schedule is not None else None,
            "scheduler": schedule.state_dict() if schedule is not None else None,
            "rng": rng_state(T, device), "history": history, "train_time_s": train_time, "train_cpu_s": train_cpu,
            "tokens_seen": tokens_seen})
        if progress:
            print(f"epoch {epoch}/{train['epochs']}: train {train_loss:.4f}  val {val_loss:.4f} nats/char  "
                  f"({row['tokens_per_second']:,.0f} tok/s, {train_time:.0f} s training)", flush=True)
    final_val = evaluate_loss(T, model, val_ids, lm["context"], lm["final_eval_tokens"], device)
    sample = sample_text(T, model, tokenizer, lm["prompt"] if all(c in tokenizer.index for c in lm["prompt"]) else corpus.val[0],
                         lm["sample_tokens"], context=lm["context"], temperature=lm["temperature"], top_k=lm["top_k"],
                         seed=config["seed"], device=device) if lm["sample_tokens"] else ""
    plot_history({key: [r[key] for r in history] for key in ("epoch", "train_loss", "val_loss")},
                 record.figure_path("curves"), title=f"{config['recipe']} ({config['engine']})")
    measured = {"val_loss": final_val, "val_bits_per_char": final_val / math.log(2), "train_loss": history[-1]["train_loss"],
                "unigram_entropy": entropy, "nats_below_unigram": entropy - final_val,
                "tokens_per_second": tokens_seen / train_time}
    return record.update_summary(
        metrics=measured, targets=verdicts(config["targets"], measured), recipe=config["recipe"], engine=config["engine"],
        device=device, seed=config["seed"], epochs=train["epochs"], steps=train["epochs"] * lm["steps_per_epoch"],
        train_time_s=train_time, train_cpu_s=train_cpu, wall_time_s=time.perf_counter() - started, status="completed",
        parameters=models.count_parameters(model), sample=sample, run_dir=str(record.path),
    )


def restore(T, record: RunRecord, model, optimizer, schedule, config: dict[str, Any]) -> dict[str, Any]:
    """Load a run's ``last`` checkpoint into the model, optimizer, schedule and RNGs; returns its progress.

    The progress is ``{"epoch", "history", "train_time_s", "train_cpu_s", "tokens_seen"}`` after the saved epoch.
    """
    source = record.checkpoints_dir / "last"
    state = load_checkpoint(source)
    if state.get("engine") != config["engine"]:
        raise CheckpointError(f"{source} was written by the {state.get('engine')} engine; resume it with the same engine "
                              f"(this run uses {config['engine']})")
    if "optimizer" not in state:
        raise CheckpointError(f"{source} holds weights only (a run finished before checkpoints kept the optimizer): "
                              "it cannot be resumed")
    saved_schedule = state.get("schedule") or None
    if saved_schedule != (config["schedule"] if schedule is not None else None):
        raise CheckpointError(f"{source} was trained with schedule {saved_schedule} but this config builds "
                              f"{config['schedule']}; resume with the same schedule and epochs")
    load_model_state(model, state["model"], T, source=source)
    load_optimizer_state(optimizer, state["optimizer"], T, source=source)
    if schedule is not None:
        schedule.load_state_dict(state["scheduler"])
    set_rng_state(T, state["rng"])
    return {"epoch": int(state["epoch"]), "history": list(state["history"]),
            "train_time_s": float(state["train_time_s"]), "train_cpu_s": float(state["train_cpu_s"]),
            "tokens_seen": int(state["tokens_seen"])}


def load_trained(run_dir: str | Path, engine: str | None = None):
    """``(T, model, tokenizer, config)`` of a finished language-model run, weights loaded."""
    record = RunRecord.open(run_dir)
    config = record.read_config()
    require(config.get("task") == "language_model", f"{run_dir} is a {config.get('task')!r} run, not a language model")
    T = engines.get(engine or config["engine"])
    tokenizer = CharTokenizer.load(record.path / TOKENIZER_FILE)
    model = build_model(T, config)
    state = load_checkpoint(record.checkpoints_dir / "last")
    load_model_state(model, state["model"], T, source=record.checkpoints_dir / "last")
    model.eval()
    return T, model, tokenizer, config
