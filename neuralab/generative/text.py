"""Sample text from a trained character language model, on either engine.

    ids = prompt
    repeat n times:
        logits = model(ids[-context:])[-1] / temperature
        keep the top_k largest logits (optional), softmax, draw one id with NumPy
        ids += [id]

The draw uses a NumPy generator seeded with ``seed``, so the same weights, prompt and
seed give the same text on any engine. Recurrent models that expose
``forward_with_state`` carry their state instead of re-reading the window: one step per
token instead of ``context``.
"""

from __future__ import annotations

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
               temperature: float = 1.0, top_k: int | None = None, seed: int = 0, device: str = "cpu") -> np.ndarray:
    """The prompt ids followed by ``tokens`` generated ids (int64)."""
    prompt_ids = np.asarray(prompt_ids, dtype=np.int64).ravel()
    if prompt_ids.size == 0:
        raise ValueError("the prompt must hold at least one character")
    rng = np.random.default_rng(seed)
    ids = list(prompt_ids)
    model.eval()
    recurrent = hasattr(model, "forward_with_state")
    with T.no_grad():
        state, pending = None, prompt_ids
        for _ in range(int(tokens)):
            if recurrent:
                logits, state = model.forward_with_state(T.from_numpy(pending.reshape(1, -1)).to(device), state)
            else:
                window = np.asarray(ids[-context:] if context else ids, dtype=np.int64)
                logits = model(T.from_numpy(window.reshape(1, -1)).to(device))
            last = to_numpy(logits[0, -1]).astype(np.float64)
            next_id = int(rng.choice(last.size, p=next_token_distribution(last, temperature, top_k)))
            ids.append(next_id)
            pending = np.array([next_id], dtype=np.int64)
    return np.asarray(ids, dtype=np.int64)


def sample_text(T: ModuleType, model, tokenizer: CharTokenizer, prompt: str, tokens: int, **options) -> str:
    """``prompt`` followed by ``tokens`` generated characters (see :func:`sample_ids`)."""
    return tokenizer.decode(sample_ids(T, model, tokenizer.encode(prompt), tokens, **options))
