"""GPT text sampling, with and without the KV cache: generated tokens per second on both engines.

The model is shakespeare-gpt's GPT (4 blocks, d 128, 4 heads, context 64, 65 characters),
random-initialised (speed does not depend on the weights), float32, one sequence, the
sampler ``neuralab sample`` and the lab call (``generative/text.sample_ids``). Each engine
samples the same prompt and seed with ``cache=False`` (every window re-read) and
``cache=True``; the two texts must be the same tokens, and the bench says so.

    python bench/sampling.py [--tokens 500] [--threads 1] [--repeats 3] [--engines torch,scratch]

Reported: the best of ``--repeats`` runs per setting (a busy machine only ever slows a run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from neuralab import engines  # noqa: E402
from neuralab.generative.text import sample_ids  # noqa: E402
from neuralab.models import gpt  # noqa: E402

SIZES = {"vocab_size": 65, "context": 64, "d_model": 128, "layers": 4, "heads": 4, "dropout": 0.0}
PROMPT = [18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10, 0]  # 15 ids, as "First Citizen:\n"


def tokens_per_second(T, model, tokens: int, cache: bool, repeats: int):
    """(best tokens/s over ``repeats`` runs, the sampled ids)."""
    best, ids = 0.0, None
    for _ in range(repeats):
        start = time.perf_counter()
        ids = sample_ids(T, model, PROMPT, tokens, context=SIZES["context"], temperature=0.8, seed=0, cache=cache)
        best = max(best, tokens / (time.perf_counter() - start))
    return best, ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engines", default="torch,scratch")
    args = parser.parse_args()
    print(f"GPT {SIZES}, float32, {args.tokens} tokens from a {len(PROMPT)}-token prompt, {args.threads} thread(s), "
          f"best of {args.repeats}")
    print(f"{'engine':<8} {'uncached tok/s':>15} {'cached tok/s':>13} {'speed-up':>9}  same tokens")
    mismatch = False
    for name in args.engines.split(","):
        T, _ = engines.setup(name, threads=args.threads)
        T.manual_seed(0)
        model = gpt.build(T, **SIZES)
        plain, plain_ids = tokens_per_second(T, model, args.tokens, False, args.repeats)
        cached, cached_ids = tokens_per_second(T, model, args.tokens, True, args.repeats)
        same = plain_ids.tolist() == cached_ids.tolist()
        mismatch |= not same
        print(f"{name:<8} {plain:>15.0f} {cached:>13.0f} {cached / plain:>8.2f}x  {'yes' if same else 'NO'}")
    return 1 if mismatch else 0


if __name__ == "__main__":
    raise SystemExit(main())
