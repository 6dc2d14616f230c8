"""The GPT's KV cache on both engines.

* the cached forward, fed a window in pieces (a prefix, single tokens, a chunk of several),
  gives the logits of the plain forward on the whole window (float64: to 1e-10);
* the sampler with the cache draws exactly the tokens of the sampler that re-reads every
  window, past the point where the window fills and restarts, in float32 and float64;
* the window rule: a prompt longer than the context is cropped, and no window ever
  exceeds the model's position table (the uncached path would raise).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as scratch
from neuralab.generative.text import sample_ids
from neuralab.models import gpt

SIZES = {"vocab_size": 13, "context": 16, "d_model": 16, "layers": 2, "heads": 2, "dropout": 0.0}
ENGINES = [pytest.param(torch, id="torch"), pytest.param(scratch, id="scratch")]


def _model(T, dtype):
    T.manual_seed(0)
    model = gpt.build(T, **SIZES).to(dtype)
    model.eval()
    return model


@pytest.mark.parametrize("T", ENGINES)
def test_cached_forward_in_pieces_matches_the_whole_window(T):
    model = _model(T, T.float64)
    ids = np.random.default_rng(1).integers(0, SIZES["vocab_size"], size=(2, SIZES["context"]))
    with T.no_grad():
        whole = model(T.from_numpy(ids)).numpy()
        pieces, cache = [], None
        for lo, hi in ((0, 5), (5, 6), (6, 7), (7, 11), (11, 16)):  # prefix, single tokens, chunks
            logits, cache = model.forward_with_cache(T.from_numpy(ids[:, lo:hi]), cache)
            pieces.append(logits.numpy())
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), whole, rtol=0, atol=1e-10)
    assert cache[0][0].shape == (2, SIZES["heads"], SIZES["context"], SIZES["d_model"] // SIZES["heads"])
    with pytest.raises(ValueError, match="context is 16"):
        model.forward_with_cache(T.from_numpy(ids[:, :1]), cache)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("T", ENGINES)
def test_cached_sampler_draws_the_uncached_tokens(T, dtype):
    model = _model(T, getattr(T, dtype))
    prompt = [1, 2, 3]
    options = {"context": SIZES["context"], "temperature": 1.0, "seed": 7}
    # 70 tokens: the 16-token window fills and restarts several times
    plain = sample_ids(T, model, prompt, 70, cache=False, **options)
    cached = sample_ids(T, model, prompt, 70, cache=True, **options)
    assert plain.tolist() == cached.tolist()
    assert len(set(plain[3:].tolist())) > 3  # a random-init model draws varied tokens, not one repeated id
    top_k = sample_ids(T, model, prompt, 40, cache=True, top_k=3, **options)
    assert top_k.tolist() == sample_ids(T, model, prompt, 40, cache=False, top_k=3, **options).tolist()


@pytest.mark.parametrize("T", ENGINES)
def test_long_prompt_is_cropped_to_the_context(T):
    model = _model(T, T.float32)
    prompt = list(np.arange(40) % SIZES["vocab_size"])
    out = sample_ids(T, model, prompt, 5, context=SIZES["context"], seed=0)
    assert out[:40].tolist() == prompt and len(out) == 45
    assert sample_ids(T, model, prompt, 5, context=SIZES["context"], seed=0, cache=False).tolist() == out.tolist()
    assert sample_ids(T, model, prompt, 0, context=SIZES["context"]).tolist() == prompt
