"""Sample text from a trained character language model, on either engine.

    ids = prompt;  window = ids[-context:]
    repeat n times:
        logits = model(window)[-1] / temperature
        keep the top_k largest logits (optional), softmax, draw one id with NumPy
        ids += [id];  window += [id]
        if len(window) > context: window = window[-(context - context // 4):]

The draw uses a NumPy generator seeded with ``seed``, so the same weights, prompt and
seed give the same text on any engine. A full window restarts from its last 3/4 (not a
slide by one) so that a model with a KV cache (``forward_with_cache``, the GPT) can feed
one new token per step and re-read the window only once every ``context // 4`` tokens;
``cache=False`` recomputes every window from scratch and draws the same tokens (the logits
agree to rounding). Recurrent models that expose ``forward_with_state`` carry their state
instead of re-reading a window: one step per token.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np

from neuralab.data.tokenizer import CharTokenizer
from neuralab.train.checkpoint import to_numpy


def next_token_distribution(logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Probabilities from one row of logits after temperature scaling and top-k truncation."""
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None and 0 < top_k < scaled.size:
        threshold = np.partition(scaled, -top_k)[-top_k]
        scaled = np.where(scaled < threshold, -np.inf, scaled)
    scaled -= scaled.max()
    probs = np.exp(scaled)
    return probs / probs.sum()


def sample_ids(T: ModuleType, model, prompt_ids: np.ndarray, tokens: int, *, context: int | None = None,
               temperature: float = 1.0, top_k: int | None = None, seed: int = 0, device: str = "cpu",
               cache: bool = True) -> np.ndarray:
    """The prompt ids followed by ``tokens`` generated ids (int64); ``cache=False`` re-reads
    the whole window for every token (the reference the KV cache must match)."""
    drawn = generate_ids(T, model, prompt_ids, tokens, context=context, temperature=temperature, top_k=top_k,
                         seed=seed, device=device, cache=cache)
    return np.asarray([*np.asarray(prompt_ids, dtype=np.int64).ravel(), *(next_id for next_id, _ in drawn)], dtype=np.int64)


def generate_ids(T: ModuleType, model, prompt_ids: np.ndarray, tokens: int, *, context: int | None = None,
                 temperature: float = 1.0, top_k: int | None = None, seed: int = 0, device: str = "cpu",
                 cache: bool = True) -> Iterator[tuple[int, float]]:
    """The ``tokens`` draws of :func:`sample_ids` one at a time, as they are made (a page streams
    them): ``(id, p)`` with ``p`` the probability the draw had (after temperature and top-k).
    Grad mode is off only inside each step, not between yields: the scratch engine's flag is
    one for the whole process."""
    prompt_ids = np.asarray(prompt_ids, dtype=np.int64).ravel()
    if prompt_ids.size == 0:
        raise ValueError("the prompt must hold at least one character")
    rng = np.random.default_rng(seed)
    model.eval()
    step = _stepper(T, model, context, cache, device)
    if tokens > 0:
        with T.no_grad():
            logits = step(list(prompt_ids), fresh=True)
    for i in range(int(tokens)):
        last = to_numpy(logits[0, -1]).astype(np.float64)
        probabilities = next_token_distribution(last, temperature, top_k)
        next_id = int(rng.choice(last.size, p=probabilities))
        yield next_id, float(probabilities[next_id])
        if i + 1 < tokens:
            with T.no_grad():
                logits = step([next_id], fresh=False)


def _stepper(T: ModuleType, model, context: int | None, cache: bool, device: str):
    """``step(new_ids, fresh)`` -> the logits (1, L, vocab) after appending ``new_ids`` to the
    model's view of the text (``fresh``: start a new one), by the rule of the module docstring."""
    keep = None if not context else context - context // 4
    window: list[int] = []
    memory = {"state": None}

    def tensor(ids):
        return T.from_numpy(np.asarray(ids, dtype=np.int64).reshape(1, -1)).to(device)

    if hasattr(model, "forward_with_state"):  # recurrent: the state carries everything
        def step(new_ids, fresh):
            logits, memory["state"] = model.forward_with_state(tensor(new_ids), None if fresh else memory["state"])
            return logits
        return step

    cached = cache and hasattr(model, "forward_with_cache")

    def step(new_ids, fresh):
        if fresh:
            window.clear()
            new_ids = new_ids[-context:] if context else new_ids
        window.extend(new_ids)
        restart = fresh
        if keep is not None and len(window) > context:
            del window[:-keep]
            restart = True
        if not cached:
            return model(tensor(window))
        logits, memory["state"] = model.forward_with_cache(tensor(window if restart else new_ids),
                                                           None if restart else memory["state"])
        return logits
    return step


def sample_text(T: ModuleType, model, tokenizer: CharTokenizer, prompt: str, tokens: int, **options) -> str:
    """``prompt`` followed by ``tokens`` generated characters (see :func:`sample_ids`)."""
    return tokenizer.decode(sample_ids(T, model, tokenizer.encode(prompt), tokens, **options))
