"""neuralab's shakespeare-gpt against a nanoGPT-style reference trainer, same machine, same run.

The reference is written here in plain PyTorch from nanoGPT's published settings for its
baby-Shakespeare character model, at this project's size (it is not nanoGPT's code):

    model     4 pre-LN blocks, d 128, 4 heads, context 64, no biases, tied head, dropout 0,
              N(0, 0.02) weights (residual projections 0.02 / sqrt(2 * layers))
    data      characters of the text, first 90% train / last 10% val; each batch: 12
              windows at uniformly random offsets of the training ids
    optimizer AdamW lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on matrices only,
              gradient norm clipped at 1; lr: linear warm-up over 100 iterations, cosine
              to 1e-4 at the last iteration
    eval      every 250 iterations, 20 random batches each of train and val (part of its time)
    CPU, float32, no compile

Both train on neuralab's Shakespeare corpus (the same text and the same 90/10 split) with
the torch engine at ``--threads`` threads. Two measurements:

1. tokens/s at the same configuration: ``--steps`` training steps of each, ``--rounds`` times,
   alternating which goes first, medians compared (the reference;
   ``neuralab train shakespeare-gpt`` with batch 12, float32, lr 1e-3 and ``model.bias=false``,
   so both models are the same size), timing only the training steps (evaluation excluded on
   both sides).
2. val loss at equal wall time: each trains for ``--seconds`` of wall time, its periodic
   evaluation included: the reference with the settings above (its iterations set from its
   measured speed so that its cosine ends on time), neuralab with the recipe as the catalog
   has it (its steps likewise set from its measured speed). Both final models are then
   scored the same way: mean next-character loss over the whole validation text in
   consecutive 64-character windows (the recipe's ``val_loss``).

    python bench/lm_vs_nanogpt.py [--seconds 360] [--steps 300] [--rounds 3] [--threads 2] [--skip-equal-time]

Targets (issue 20): neuralab tokens/s >= the reference's; neuralab val loss at equal time lower.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from neuralab import recipes  # noqa: E402
from neuralab.data.tokenizer import CharTokenizer  # noqa: E402
from neuralab.recipes.language_model import consecutive_windows, load_corpus, load_trained  # noqa: E402
from neuralab.train.allocator import steps_reuse_memory  # noqa: E402
from neuralab.train.precision import cpu_model  # noqa: E402

LAYERS, D, HEADS, CONTEXT, BATCH = 4, 128, 4, 64, 12
REFERENCE = {"lr": 1e-3, "min_lr": 1e-4, "warmup": 100, "betas": (0.9, 0.99), "weight_decay": 0.1, "clip": 1.0,
             "eval_interval": 250, "eval_batches": 20}
# neuralab at the reference's settings, its model without biases as the reference's (805,504 parameters each)
SAME_CONFIG = ["train.batch_size=12", "lm.autocast=null", "optimizer.lr=0.001", "model.bias=false"]
QUICK = ["lm.sample_tokens=0", "lm.final_eval_tokens=512"]  # the bench scores the final model itself


class ReferenceBlock(torch.nn.Module):
    """Pre-LN transformer block without biases: x + attn(LN x), then x + MLP(LN x)."""

    def __init__(self):
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(D, bias=False)
        self.qkv = torch.nn.Linear(D, 3 * D, bias=False)
        self.out = torch.nn.Linear(D, D, bias=False)
        self.norm2 = torch.nn.LayerNorm(D, bias=False)
        self.up = torch.nn.Linear(D, 4 * D, bias=False)
        self.down = torch.nn.Linear(4 * D, D, bias=False)

    def forward(self, x):
        n, length, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(n, length, 3, HEADS, D // HEADS).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(n, length, D)
        x = x + self.out(y)
        return x + self.down(F.gelu(self.up(self.norm2(x))))


class ReferenceGPT(torch.nn.Module):
    def __init__(self, vocab: int):
        super().__init__()
        self.tokens = torch.nn.Embedding(vocab, D)
        self.positions = torch.nn.Embedding(CONTEXT, D)
        self.blocks = torch.nn.Sequential(*[ReferenceBlock() for _ in range(LAYERS)])
        self.norm = torch.nn.LayerNorm(D, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                residual = name.endswith(("out.weight", "down.weight"))
                torch.nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * LAYERS) if residual else 0.02)

    def forward(self, idx, targets=None):
        x = self.tokens(idx) + self.positions(torch.arange(idx.shape[1]))
        logits = self.norm(self.blocks(x)) @ self.tokens.weight.T  # tied output head
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.reshape(-1))


def reference_lr(iteration: int, iterations: int) -> float:
    """Linear warm-up, then cosine from lr to min_lr at ``iterations``."""
    r = REFERENCE
    if iteration < r["warmup"]:
        return r["lr"] * (iteration + 1) / (r["warmup"] + 1)
    progress = min(1.0, (iteration - r["warmup"]) / max(1, iterations - r["warmup"]))
    return r["min_lr"] + 0.5 * (1.0 + math.cos(math.pi * progress)) * (r["lr"] - r["min_lr"])


def train_reference(train_ids: torch.Tensor, val_ids: torch.Tensor, vocab: int, iterations: int, evaluate: bool):
    """``(model, seconds of training steps, CPU seconds of them, seconds of wall time including periodic evals)``."""
    torch.manual_seed(1337)
    model = ReferenceGPT(vocab)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": matrices, "weight_decay": REFERENCE["weight_decay"]},
                                   {"params": others, "weight_decay": 0.0}], lr=REFERENCE["lr"], betas=REFERENCE["betas"])

    def batch(ids):
        starts = torch.randint(len(ids) - CONTEXT, (BATCH,))
        rows = torch.stack([ids[s:s + CONTEXT + 1] for s in starts.tolist()])
        return rows[:, :-1], rows[:, 1:]

    step_seconds, step_cpu, began = 0.0, 0.0, time.perf_counter()
    for iteration in range(iterations):
        if evaluate and iteration % REFERENCE["eval_interval"] == 0:
            model.eval()
            with torch.no_grad():
                for ids in (train_ids, val_ids):
                    for _ in range(REFERENCE["eval_batches"]):
                        model(*batch(ids))
            model.train()
        started, cpu_started = time.perf_counter(), time.process_time()
        for group in optimizer.param_groups:
            group["lr"] = reference_lr(iteration, iterations)
        loss = model(*batch(train_ids))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), REFERENCE["clip"])
        optimizer.step()
        if iteration % 10 == 0:
            loss.item()  # the reference logs every 10 iterations
        step_seconds += time.perf_counter() - started
        step_cpu += time.process_time() - cpu_started
    return model, step_seconds, step_cpu, time.perf_counter() - began


def whole_val_loss(model, val_ids: np.ndarray) -> float:
    """Mean next-character loss of ``model`` (ids -> logits) over the validation text in
    consecutive windows, every position counted (the recipe's final ``val_loss``)."""
    inputs, targets = consecutive_windows(val_ids, CONTEXT, None)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(inputs), 32):
            x, y = (torch.from_numpy(a[start:start + 32]) for a in (inputs, targets))
            logits = model(x)
            total += float(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))) * len(x)
    return total / len(inputs)


def run_neuralab(overrides: list[str], steps: int, threads: int, runs_root: str) -> tuple[dict, float]:
    """``neuralab train shakespeare-gpt`` for ``steps`` steps (10 epochs, or 1 when short): (summary, wall s)."""
    epochs = 10 if steps >= 1000 else 1
    config = recipes.resolve("shakespeare-gpt", epochs=epochs, overrides=[
        f"threads={threads}", f"lm.steps_per_epoch={max(1, steps // epochs)}", *overrides])
    started = time.perf_counter()
    summary = recipes.run(config, runs_root=runs_root, progress=False)
    return summary, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=360.0, help="wall time each side trains for in part 2")
    parser.add_argument("--steps", type=int, default=300, help="training steps each side runs in part 1")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="part 1 runs each side this many times, alternating who goes first")
    parser.add_argument("--skip-equal-time", action="store_true", help="part 1 only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    corpus = load_corpus(recipes.resolve("shakespeare-gpt"))
    tokenizer = CharTokenizer.from_text(corpus.train + corpus.val)
    train_np, val_np = tokenizer.encode(corpus.train), tokenizer.encode(corpus.val)
    train_ids, val_ids = torch.from_numpy(train_np), torch.from_numpy(val_np)
    cpu = cpu_model()
    print(f"CPU: {cpu}; torch {torch.__version__}, {args.threads} thread(s); corpus {len(train_np):,} train / "
          f"{len(val_np):,} val characters, vocabulary {tokenizer.vocab_size}")
    tokens_per_step = BATCH * CONTEXT
    # steps_reuse_memory: what every neuralab Trainer's fit sets (train/allocator.py), here for both sides
    with steps_reuse_memory(), tempfile.TemporaryDirectory(prefix="lm-vs-nanogpt-") as runs_root:
        print(f"\n1. tokens/s at the same configuration (batch {BATCH}, context {CONTEXT}, float32), "
              f"{args.steps} steps each, training steps only")
        # Rounds alternate which side runs first, so a drift of the machine's speed (a neighbour
        # arriving, the clock settling) falls on both; the medians are compared.
        rates: dict[str, list[tuple[float, float]]] = {"reference": [], "neuralab": []}
        for round_ in range(args.rounds):
            for side in (("reference", "neuralab") if round_ % 2 == 0 else ("neuralab", "reference")):
                if side == "reference":
                    _, seconds, cpu, _ = train_reference(train_ids, val_ids, tokenizer.vocab_size, args.steps, evaluate=False)
                    rates[side].append((args.steps * tokens_per_step / seconds, args.steps * tokens_per_step / cpu))
                else:
                    same, _ = run_neuralab(SAME_CONFIG + QUICK + ["lm.eval_tokens=4096"], args.steps, args.threads, runs_root)
                    rates[side].append((same["metrics"]["tokens_per_second"], same["steps"] * tokens_per_step / same["train_cpu_s"]))
            print(f"   round {round_ + 1}: reference {rates['reference'][-1][0]:,.0f}, neuralab {rates['neuralab'][-1][0]:,.0f} tokens/s")
        (ref_rate, ref_cpu_rate), (ours_rate, ours_cpu_rate) = (
            tuple(statistics.median(r[i] for r in rates[side]) for i in (0, 1)) for side in ("reference", "neuralab"))
        ref_seconds = args.steps * tokens_per_step / ref_rate
        # per CPU second: what a shared machine inflates less than wall time (threads spinning count, though)
        print(f"   reference  {ref_rate:>8,.0f} tokens/s   {ref_cpu_rate:>8,.0f} tokens per CPU s   (medians of {args.rounds})")
        print(f"   neuralab   {ours_rate:>8,.0f} tokens/s   {ours_cpu_rate:>8,.0f} tokens per CPU s   "
              f"({ours_rate / ref_rate:.2f}x the reference's tokens/s; target >= 1)")
        if args.skip_equal_time:
            return 0
        print(f"\n2. val loss at equal wall time ({args.seconds:.0f} s of training each, periodic evaluation included)")
        # Iterations that fit: the step rate of part 1 with the reference's eval overhead (2 x 20 forward
        # batches per 250 steps, about 1/3 of a step each).
        ref_iterations = int(args.seconds * args.steps / ref_seconds / (1 + 40 / 3 / REFERENCE["eval_interval"]))
        ref_model, _, _, ref_wall = train_reference(train_ids, val_ids, tokenizer.vocab_size, ref_iterations, evaluate=True)
        ref_val = whole_val_loss(ref_model, val_np)
        probe, _ = run_neuralab(QUICK, 200, args.threads, runs_root)
        probe_rate = probe["metrics"]["tokens_per_second"]
        # the recipe evaluates lm.eval_tokens after each of its 10 epochs: about 1/3 of a training token each
        recipe = recipes.resolve("shakespeare-gpt")
        train_tokens = args.seconds * probe_rate / (1 + 10 * recipe["lm"]["eval_tokens"] / 3 / (args.seconds * probe_rate))
        ours_steps = int(train_tokens / (recipe["train"]["batch_size"] * CONTEXT))
        ours, _ = run_neuralab(QUICK, ours_steps, args.threads, runs_root)
        ours_wall = ours["wall_time_s"]  # the Trainer's fit: steps, per-epoch evaluation, checkpoints
        if abs(ours_wall / args.seconds - 1) > 0.05:
            # the short probe runs slower per step than a long run (warm-up is a larger share of it):
            # once more with the step count the first run's own time gives
            print(f"   (neuralab's {ours_steps} steps took {ours_wall:.0f} s, not {args.seconds:.0f}: rerun at the rate it measured)")
            ours_steps = int(ours_steps * args.seconds / ours_wall)
            ours, _ = run_neuralab(QUICK, ours_steps, args.threads, runs_root)
            ours_wall = ours["wall_time_s"]
        ours_val = whole_val_loss(load_trained(ours["run_dir"])[1], val_np)
        print(f"   reference  {ref_iterations:>6} steps of {BATCH}   {ref_wall:>6.0f} s   val loss {ref_val:.4f}")
        print(f"   neuralab   {ours_steps:>6} steps of {recipe['train']['batch_size']}   {ours_wall:>6.0f} s   val loss "
              f"{ours_val:.4f}   ({ours_wall / ref_wall:.2f}x the time; {ours['precision']['picked']}: "
              f"{ours['precision']['why']})")
        print(f"   neuralab - reference: {ours_val - ref_val:+.4f} nats/char (target < 0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
