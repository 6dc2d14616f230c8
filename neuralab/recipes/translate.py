"""Run a sequence-to-sequence recipe: human-written dates -> ISO dates with a transformer.

The data are generated from the run's seed (``neuralab.data.dates``); validation and
test days never occur in training. Training is teacher-forced next-token cross-entropy
on ``BOS + target``; evaluation decodes greedily (one token at a time, the argmax fed
back) and counts an example correct only when the whole ISO string matches
(``test_exact_match``). Figures: per-head encoder self-attention and decoder
cross-attention for ``translate.example``, and the positional-encoding table.
"""

from __future__ import annotations

import copy
import string
from pathlib import Path
from typing import Any

import numpy as np

from neuralab.data import dates
from neuralab.recipes.common import finish, fit, make_trainer, prepare, steps_for
from neuralab.recipes.config import require
from neuralab.train import RunRecord
from neuralab.train.checkpoint import to_numpy
from neuralab.viz import plot_history
from neuralab.viz.attention import plot_attention_heads, plot_positional_encoding

PAD, BOS, EOS = 0, 1, 2
SOURCE_CHARS = " ,./-" + string.digits + string.ascii_letters
TARGET_CHARS = string.digits + "-"

DEFAULTS: dict[str, Any] = {
    "data": {"options": {"n_train": 20000, "n_val": 1000, "n_test": 2000}},
    "translate": {"max_source": 32, "max_target": 12, "example": "Saturday, Nov 21 2026"},
}


def validate(config: dict[str, Any]) -> None:
    """Seq2seq checks (the shared ones live in ``recipes.validate``)."""
    require(config["data"]["name"] == "dates", f"translate recipes use the 'dates' data; got {config['data']['name']!r}")
    require(config["model"]["name"] == "seq2seq_transformer", f"translate recipes use seq2seq_transformer; got {config['model']['name']!r}")
    example = config["translate"]["example"]
    require(all(c in SOURCE_CHARS for c in example), f"translate.example may only use {SOURCE_CHARS!r}; got {example!r}")


def encode_sources(texts: list[str], length: int) -> np.ndarray:
    """``(N, length)`` source ids (PAD = 0 after the text)."""
    ids = np.full((len(texts), length), PAD, dtype=np.int64)
    for row, text in enumerate(texts):
        if len(text) > length:
            raise ValueError(f"source {text!r} is longer than translate.max_source = {length}")
        ids[row, :len(text)] = [3 + SOURCE_CHARS.index(c) for c in text]
    return ids


def encode_targets(texts: list[str], length: int) -> np.ndarray:
    """``(N, length)`` ids ``BOS target EOS PAD...``."""
    ids = np.full((len(texts), length), PAD, dtype=np.int64)
    for row, text in enumerate(texts):
        ids[row, :len(text) + 2] = [BOS] + [3 + TARGET_CHARS.index(c) for c in text] + [EOS]
    return ids


def decode_targets(ids: np.ndarray) -> list[str]:
    """Greedy outputs back to text (stops at EOS, skips BOS/PAD)."""
    texts = []
    for row in ids:
        chars = []
        for i in row:
            if i == EOS:
                break
            if i >= 3:
                chars.append(TARGET_CHARS[i - 3])
        texts.append("".join(chars))
    return texts


def greedy_decode(T, model, src: np.ndarray, max_target: int, device: str = "cpu", batch_size: int = 500) -> np.ndarray:
    """``(N, max_target)`` ids, BOS first, from feeding back the argmax one step at a time."""
    model.eval()
    outputs = []
    with T.no_grad():
        for start in range(0, len(src), batch_size):
            x = T.from_numpy(src[start:start + batch_size]).to(device)
            memory, mask = model.encode(x)
            ids = np.full((x.shape[0], 1), BOS, dtype=np.int64)
            for _ in range(max_target - 1):
                logits = model.decode(T.from_numpy(ids).to(device), memory, mask)
                ids = np.concatenate([ids, to_numpy(logits[:, -1]).argmax(axis=1)[:, None].astype(np.int64)], axis=1)
            outputs.append(ids)
    return np.concatenate(outputs)


def exact_match(T, model, pairs, config, device: str = "cpu") -> tuple[float, list[str]]:
    """Share of ``pairs`` whose greedy output equals the ISO target, and the outputs."""
    src = encode_sources(pairs.sources, config["translate"]["max_source"])
    predicted = decode_targets(greedy_decode(T, model, src, config["translate"]["max_target"], device))
    return float(np.mean([p == t for p, t in zip(predicted, pairs.targets)])), predicted


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one seq2seq config; returns the summary dict."""
    config = copy.deepcopy(config)
    tr = config["translate"]
    splits = dates.make_splits(seed=config["seed"], **config["data"]["options"])
    x_train = encode_sources(splits["train"].sources, tr["max_source"])
    y_train = encode_targets(splits["train"].targets, tr["max_target"])
    config["model"].update(src_vocab=3 + len(SOURCE_CHARS), tgt_vocab=3 + len(TARGET_CHARS), pad_id=PAD,
                           max_len=max(config["model"]["max_len"], tr["max_source"], tr["max_target"]))
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(len(x_train), config))
    config, T, device, model, record = prepared.config, prepared.T, prepared.device, prepared.model, prepared.record

    def teacher_forced_loss(net, src, tgt):
        logits = net(src, tgt[:, :-1])
        return T.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1), ignore_index=PAD), None

    trainer = make_trainer(prepared, progress, compute_loss=teacher_forced_loss)
    val = (encode_sources(splits["val"].sources, tr["max_source"]), encode_targets(splits["val"].targets, tr["max_target"]))
    history = fit(trainer, prepared, (x_train, y_train), val, resume=resume)

    val_match, _ = exact_match(T, model, splits["val"], config, device)
    test_match, predicted = exact_match(T, model, splits["test"], config, device)
    per_format = {}
    for fmt, guess, target in zip(splits["test"].formats, predicted, splits["test"].targets):
        per_format.setdefault(dates.FORMATS[fmt][0], []).append(guess == target)
    errors = [{"source": s, "target": t, "predicted": p} for s, t, p in zip(splits["test"].sources, splits["test"].targets, predicted) if p != t]
    figures(T, model, tr["example"], config, record, device)
    plot_history({key: getattr(history, key) for key in ("epoch", "train_loss", "val_loss")}, record.figure_path("curves"),
                 title=f"{config['recipe']} ({config['engine']})")
    measured = {"test_exact_match": test_match, "val_exact_match": val_match, "val_loss": history.val_loss[-1],
                "train_loss": history.train_loss[-1]}
    example = encode_sources([tr["example"]], tr["max_source"])
    return finish(prepared, measured, progress,
                  per_format_exact_match={k: float(np.mean(v)) for k, v in per_format.items()}, test_errors=errors[:20],
                  example={"source": tr["example"], "predicted": decode_targets(greedy_decode(T, model, example, tr["max_target"], device))[0]})


def translate_with_attention(T, model, source: str, config: dict[str, Any], device: str = "cpu") -> tuple[str, dict[str, list[np.ndarray]]]:
    """The greedy translation of ``source`` and the attention weights of the forward pass that
    reads ``source`` with ``BOS + translation`` (the decoder queries that produced each output
    character): ``{"encoder", "decoder_self", "cross"}``, per layer ``(heads, L_query, L_key)``."""
    src = encode_sources([source], len(source))
    output = greedy_decode(T, model, src, config["translate"]["max_target"], device)[0]
    text = decode_targets(output[None])[0]
    tgt = output[:len(text) + 1]
    model.keep_attention(True)
    try:
        with T.no_grad():
            model(T.from_numpy(src).to(device), T.from_numpy(tgt[None]).to(device))
        maps = {kind: [to_numpy(layer)[0] for layer in layers] for kind, layers in model.attention_maps().items()}
    finally:
        model.keep_attention(False)
    return text, maps


def figures(T, model, example: str, config: dict[str, Any], record: RunRecord, device: str = "cpu") -> None:
    """Attention heatmaps of the last encoder and decoder layers for ``example``, and the PE table."""
    text, maps = translate_with_attention(T, model, example, config, device)
    source_labels = list(example)
    query_labels = ["<bos>"] + list(text)
    plot_attention_heads(maps["encoder"][-1], source_labels, source_labels, record.figure_path("encoder_self_attention"),
                         title=f"encoder self-attention, last layer: {example!r}")
    plot_attention_heads(maps["cross"][-1], query_labels, source_labels, record.figure_path("cross_attention"),
                         title=f"decoder cross-attention, last layer: {example!r} -> {text!r}")
    plot_positional_encoding(to_numpy(model.positions), record.figure_path("positional_encoding"))
