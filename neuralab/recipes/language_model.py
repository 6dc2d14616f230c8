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
loss, weights and optimizer stay float32); ``auto`` (the default) times a few training steps
of the model both ways on this machine and keeps bf16 only where it is faster
(``train/precision.py``, cached per machine); ``summary.json`` records the pick under
``precision``, with the measured step times. On the torch engine Adam/AdamW default to
the fused kernel (``optimizer.fused: true``: one kernel over all parameters instead of a
loop of small ops per parameter; 3.4 against 15.5 ms a step on shakespeare-gpt's GPT, one
thread). ``lm.init_engine`` names the engine that draws the initial weights, so that a
torch and a scratch run of one config start from the same model.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data, engines
from neuralab.data.tokenizer import CharTokenizer
from neuralab.generative.text import sample_text
from neuralab.recipes import common
from neuralab.recipes.common import finish, fit, make_trainer, prepare
from neuralab.recipes.config import require
from neuralab.train import RunRecord, precision
from neuralab.train.checkpoint import load_checkpoint, load_model_state, model_state
from neuralab.train.optimizers import build_optimizer
from neuralab.viz import plot_history

LM_MODELS = ("char_rnn", "gpt")
AUTOCAST = (None, "bf16", "auto")
WINDOW_CHUNK = 64  # batches of windows gathered at once (64 x 24 x 64 ids: 0.8 MB each of inputs and targets)
FUSED_OPTIMIZERS = ("adam", "adamw")  # torch has a fused CPU/GPU kernel for these
TOKENIZER_FILE = "tokenizer.json"
EVAL_WINDOWS = 32  # validation windows per forward pass

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
        "autocast": "auto",
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
    require(lm["autocast"] in AUTOCAST, f"lm.autocast must be one of {AUTOCAST} (null: float32); got {lm['autocast']!r}")
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


def windows_at(ids: np.ndarray, starts: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)``, both ``(len(starts), context)`` and contiguous (no copy on the way
    to a tensor): ``context`` ids from each start, and the same shifted by one."""
    at = starts[:, None] + np.arange(context)
    return ids[at], ids[at + 1]


def random_windows(ids: np.ndarray, batch_size: int, context: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)`` of ``batch_size`` windows at uniformly random offsets."""
    return windows_at(ids, rng.integers(0, len(ids) - context - 1, size=batch_size), context)


def epoch_windows(ids: np.ndarray, steps: int, batch_size: int, context: int, rng: np.random.Generator):
    """The ``steps`` batches of :func:`random_windows` for one epoch: every offset drawn in one
    call (the numbers ``steps`` calls would draw), the windows gathered :data:`WINDOW_CHUNK`
    batches at a time. Between two training steps a batch is then two slices: NumPy work
    there runs several times slower than elsewhere (the torch step's idle threads still spin),
    and a gather per step took about 120 µs of it on a 2-core CPU."""
    starts = rng.integers(0, len(ids) - context - 1, size=(steps, batch_size))
    for first in range(0, steps, WINDOW_CHUNK):
        inputs, targets = windows_at(ids, starts[first:first + WINDOW_CHUNK].reshape(-1), context)
        for row in range(0, len(inputs), batch_size):
            yield inputs[row:row + batch_size], targets[row:row + batch_size]


def consecutive_windows(ids: np.ndarray, context: int, max_tokens: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)``, both ``(windows, context)``: non-overlapping windows of ``context``
    characters from the start of ``ids`` covering ``max_tokens`` of them (None: all), targets
    shifted by one. Every position counts, as in training."""
    usable = len(ids) - 1 if max_tokens is None else min(len(ids) - 1, max_tokens)
    windows = max(1, usable // context)
    context = min(context, len(ids) - 1)
    inputs = np.stack([ids[i * context:(i + 1) * context] for i in range(windows)])
    targets = np.stack([ids[i * context + 1:(i + 1) * context + 1] for i in range(windows)])
    return inputs, targets


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


def character_loss(T, net, inputs, targets, precision: str | None, device: str):
    """Mean next-character cross-entropy of ``net`` on ``(inputs, targets)`` (N, L), the forward
    pass under ``precision`` (None: float32; "bf16": autocast, the loss itself in float32)."""
    with autocast(T, precision, device):
        logits = net(inputs)
    logits = logits.float() if precision else logits
    return T.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)), None


def pick_precision(prepared, train_ids: np.ndarray, resume) -> dict[str, Any]:
    """The run's precision record: ``lm.autocast`` as set, or for ``auto`` the probe's pick
    (a resumed run keeps the pick it started with, so it continues as it would have)."""
    config, T, device = prepared.config, prepared.T, prepared.device
    requested = config["lm"]["autocast"]
    if requested != "auto":
        return {"requested": requested, "picked": requested or "float32", "why": "set by lm.autocast"}
    if resume is not None:
        earlier = prepared.record.read_summary().get("precision")
        if earlier and earlier.get("picked") in ("float32", "bf16"):
            return earlier
    if not hasattr(T, "autocast"):
        return {"requested": "auto", "picked": "float32", "why": f"the {config['engine']} engine computes in float32 only"}
    batch, context = config["train"]["batch_size"], config["lm"]["context"]
    shape = f"{config['model']} batch {batch}x{context} {config['optimizer']['name']}"
    probe_model = copy.deepcopy(prepared.model)
    optimizer = build_optimizer(T, probe_model.parameters(), config["optimizer"])
    rng = np.random.default_rng(0)  # its own generator: the run's data order is untouched
    saved_rng = T.get_rng_state()   # and so are the engine's dropout draws

    def time_step(bf16: bool) -> float:
        inputs, targets = (T.from_numpy(a).to(device) for a in random_windows(train_ids, batch, context, rng))
        started = time.perf_counter()
        optimizer.zero_grad()
        loss, _ = character_loss(T, probe_model, inputs, targets, "bf16" if bf16 else None, device)
        loss.backward()
        optimizer.step()
        float(loss.item())  # wait for the device
        return time.perf_counter() - started

    try:
        return precision.choose(T, device, config["threads"], shape, time_step)
    finally:
        T.set_rng_state(saved_rng)


def build_model(T, config: dict[str, Any]):
    """The seeded model of ``config`` (its vocab_size already set).

    The initial weights are drawn by ``lm.init_engine`` (null: by ``T`` itself); naming one
    engine there makes torch and scratch runs of a config start from the same weights.
    """
    model = common.build_model(T, config)
    init_engine = config["lm"].get("init_engine")
    if init_engine and init_engine != engines.name_of(T):
        load_model_state(model, model_state(common.build_model(engines.get(init_engine), config)), T,
                         source=f"the {init_engine} engine's initial weights")
    return model


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one language-model config; returns the summary dict.

    The Trainer draws epoch ``e``'s windows from ``default_rng([seed, e])`` and rewrites
    ``checkpoints/last`` after every epoch, so ``resume`` (a run folder) replays the
    remaining epochs exactly as an uninterrupted run would.
    """
    corpus = load_corpus(config)
    tokenizer = CharTokenizer.from_text(corpus.train + corpus.val)
    train_ids, val_ids = tokenizer.encode(corpus.train), tokenizer.encode(corpus.val)
    lm = config["lm"]
    require(len(train_ids) > lm["context"] + 1 and len(val_ids) > 1,
            f"the corpus is too short for lm.context = {lm['context']}: {len(train_ids)} train / {len(val_ids)} val chars")
    config = copy.deepcopy(config)
    config["model"]["vocab_size"] = tokenizer.vocab_size
    if resume is None and config["engine"] == "torch" and config["optimizer"]["name"] in FUSED_OPTIMIZERS:
        config["optimizer"].setdefault("fused", True)
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=lm["steps_per_epoch"], build=build_model)
    config, T, device, model, record = prepared.config, prepared.T, prepared.device, prepared.model, prepared.record
    tokenizer.save(record.path / TOKENIZER_FILE)
    record.update_summary(corpus={"name": corpus.name, "train_chars": len(train_ids), "val_chars": len(val_ids),
                                  "vocab_size": tokenizer.vocab_size, "source": corpus.source, "sha256": corpus.sha256})
    batch_size = config["train"]["batch_size"]
    chosen = pick_precision(prepared, train_ids, resume)
    record.update_summary(precision=chosen)
    dtype = "bf16" if chosen["picked"] == "bf16" else None

    def windows(epoch: int, rng: np.random.Generator):
        return epoch_windows(train_ids, lm["steps_per_epoch"], batch_size, lm["context"], rng)

    def next_character_loss(net, inputs, targets):
        return character_loss(T, net, inputs, targets, dtype if net.training else None, device)  # validation in float32

    trainer = make_trainer(prepared, progress, compute_loss=next_character_loss)
    try:
        history = fit(trainer, prepared, windows, consecutive_windows(val_ids, lm["context"], lm["eval_tokens"]), resume=resume,
                      steps_per_epoch=lm["steps_per_epoch"], eval_batch_size=EVAL_WINDOWS)
    except RuntimeError as error:
        if chosen["requested"] != "bf16":
            raise
        # torch has no bf16 kernel for one of the model's ops here (oneDNN's LSTM without AVX512-BF16)
        raise ValueError(f"lm.autocast=bf16 failed on this machine ({str(error).strip().splitlines()[0]}); "
                         "set lm.autocast=auto, which picks float32 where bf16 fails, or null") from error
    final_val = trainer.evaluate(consecutive_windows(val_ids, lm["context"], lm["final_eval_tokens"]), batch_size=EVAL_WINDOWS,
                                 split=None)["loss"]
    sample = sample_text(T, model, tokenizer, lm["prompt"] if all(c in tokenizer.index for c in lm["prompt"]) else corpus.val[0],
                         lm["sample_tokens"], context=lm["context"], temperature=lm["temperature"], top_k=lm["top_k"],
                         seed=config["seed"], device=device) if lm["sample_tokens"] else ""
    plot_history({key: getattr(history, key) for key in ("epoch", "train_loss", "val_loss")},
                 record.figure_path("curves"), title=f"{config['recipe']} ({config['engine']})")
    entropy = unigram_entropy(train_ids, tokenizer.vocab_size)
    tokens_seen = trainer.global_step * batch_size * lm["context"]
    measured = {"val_loss": final_val, "val_bits_per_char": final_val / math.log(2), "train_loss": history.train_loss[-1],
                "unigram_entropy": entropy, "nats_below_unigram": entropy - final_val,
                "tokens_per_second": tokens_seen / record.read_summary()["train_time_s"]}
    return finish(prepared, measured, progress, steps=trainer.global_step, sample=sample)


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
