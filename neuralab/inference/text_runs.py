"""A character language-model run (``shakespeare-rnn``, ``shakespeare-gpt``, any ``language_model``
recipe) loaded for the lab's Text page.

``text_runs(root)`` lists the finished runs; ``load(folder)`` rebuilds the model through
``recipes.language_model.load_trained``. ``TextModel.stream(...)`` yields the sampled characters
one by one with the probability each draw had: it is ``generative.text.generate_ids``, the
sampler ``neuralab sample`` uses, so the page and the command draw the same text for the same
run, prompt and seed. ``TextModel.attention(prompt)`` (GPT runs) gives every head's causal
self-attention weights over the prompt.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab.data.tokenizer import CharTokenizer, UnknownCharacterError
from neuralab.generative.text import generate_ids
from neuralab.inference.run_models import InputError, RunModelError, bounded, finished_runs, run_config
from neuralab.train.checkpoint import CheckpointError, to_numpy

TASKS = ("language_model",)
MAX_PROMPT = 400          # characters of prompt the page may send
MAX_LENGTH = 2000         # characters one request may sample
MAX_TEMPERATURE = 5.0
MAX_ATTENTION = 64        # prompt characters the attention view shows (the last ones)


def text_runs(root: str | Path) -> list[dict[str, Any]]:
    """Finished language-model runs, newest first: name, recipe, model, context, val_loss."""
    return [{"name": card["name"], "recipe": card["recipe"], "engine": card["engine"], "model": config["model"]["name"],
             "context": config["lm"]["context"], "val_loss": card["metrics"].get("val_loss"),
             "prompt": config["lm"].get("prompt", "\n"), "attention": config["model"]["name"] == "gpt"}
            for card, config in finished_runs(root, TASKS)]


@dataclass
class TextModel:
    """A loaded run: engine ``T``, the model in eval mode, its tokenizer and config."""

    name: str
    T: ModuleType
    model: Any
    tokenizer: CharTokenizer
    config: dict[str, Any]

    def encode_prompt(self, prompt: str) -> np.ndarray:
        if not isinstance(prompt, str) or not 1 <= len(prompt) <= MAX_PROMPT:
            raise InputError(f"the prompt must hold 1 to {MAX_PROMPT} characters; got {len(prompt) if isinstance(prompt, str) else prompt!r}")
        try:
            return self.tokenizer.encode(prompt)
        except UnknownCharacterError as error:
            raise InputError(f"the prompt does not fit run {self.name}: {error}") from None

    def stream(self, prompt: str, length: int, *, temperature: float = 0.8, top_k: int | None = None,
               seed: int = 0) -> Iterator[dict[str, Any]]:
        """Checks every input first (``InputError``), then yields ``{"char", "p"}`` per sampled character."""
        ids = self.encode_prompt(prompt)
        length = bounded("length", length, 1, MAX_LENGTH, integer=True)
        temperature = bounded("temperature", temperature, 1e-3, MAX_TEMPERATURE)
        if top_k is not None:
            top_k = bounded("top-k", top_k, 1, self.tokenizer.vocab_size, integer=True)
        seed = bounded("seed", seed, 0, 2 ** 32 - 1, integer=True)
        draws = generate_ids(self.T, self.model, ids, length, context=self.config["lm"]["context"],
                             temperature=temperature, top_k=top_k, seed=seed)

        def characters():
            for next_id, probability in draws:
                yield {"char": self.tokenizer.chars[next_id], "p": probability}
        return characters()

    def attention(self, prompt: str) -> dict[str, Any]:
        """``{"chars", "weights": (layers, heads, L, L)}`` for the last ``MAX_ATTENTION`` prompt
        characters: ``weights[l, h, i, j]`` is how much position i attends to j <= i in block l,
        head h, ``softmax(q_i . k_j / sqrt(d_head))`` over j (causal), as the GPT computes it."""
        if self.config["model"]["name"] != "gpt":
            raise RunModelError(f"run {self.name} is a {self.config['model']['name']} model: attention views need a GPT run")
        ids = self.encode_prompt(prompt)[-min(MAX_ATTENTION, self.config["lm"]["context"]):]
        T, model = self.T, self.model
        heads = self.config["model"]["heads"]
        with T.no_grad():
            x = model._embed(T.from_numpy(ids.reshape(1, -1)), 0)
            maps = []
            for block in model.blocks:
                # the block's queries and keys: (1, L, 3d) -> (heads, L, d_head) each
                q, k, _ = np.split(to_numpy(block.attn.qkv(block.ln1(x)))[0], 3, axis=-1)
                q, k = (a.reshape(len(ids), heads, -1).transpose(1, 0, 2).astype(np.float64) for a in (q, k))
                scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
                scores[:, np.triu(np.ones((len(ids), len(ids)), dtype=bool), 1)] = -np.inf
                scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
                maps.append(scores / scores.sum(axis=-1, keepdims=True))
                x = block(x)
        return {"chars": [self.tokenizer.chars[i] for i in ids], "weights": np.stack(maps)}


def load(folder: str | Path, engine: str | None = None) -> TextModel:
    """The run's language model on ``engine`` (default: the run's own)."""
    from neuralab.recipes.language_model import load_trained  # noqa: PLC0415 - heavy, loaded with the first run

    folder = Path(folder)
    run_config(folder, TASKS)
    try:
        T, model, tokenizer, config = load_trained(folder, engine=engine)
    except (ValueError, FileNotFoundError, CheckpointError) as error:
        raise RunModelError(f"run {folder.name}: {error}") from None
    return TextModel(folder.name, T, model, tokenizer, config)
