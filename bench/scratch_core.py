"""Scratch engine vs PyTorch: time per training step on two small problems.

    python bench/scratch_core.py [--threads 1] [--steps 2000]

(a) full-batch XOR, 2-4-1 MLP, sigmoid hidden and output, MSE, SGD   target scratch/torch <= 0.3
(b) MLP 784-256-10, batch 128, ReLU, cross-entropy, Adam             target scratch/torch <= 0.9

A step is forward + loss + backward + optimizer step + zero_grad.  Both engines run in
the same process with the same thread count: ``torch.set_num_threads(n)`` and, for
NumPy's BLAS (and torch's OpenMP pool), ``threadpoolctl.threadpool_limits(n)``.
Prints the median microseconds per step of each engine and the ratio; it does not gate
anything.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import neuralab.scratch as S  # noqa: E402


def xor_task(E, steps):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    E.manual_seed(0)
    model = E.nn.Sequential(E.nn.Linear(2, 4), E.nn.Sigmoid(), E.nn.Linear(4, 1), E.nn.Sigmoid())
    opt = E.optim.SGD(model.parameters(), lr=0.5)
    X, Y = E.from_numpy(x), E.from_numpy(y)
    F = E.nn.functional

    def step():
        loss = F.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return step


def mlp_task(E, steps):
    r = np.random.default_rng(0)
    x = r.standard_normal((128, 784)).astype(np.float32)
    y = r.integers(0, 10, 128)
    E.manual_seed(0)
    model = E.nn.Sequential(E.nn.Linear(784, 256), E.nn.ReLU(), E.nn.Linear(256, 10))
    opt = E.optim.Adam(model.parameters(), lr=1e-3)
    X, Y = E.from_numpy(x), E.from_numpy(y)
    F = E.nn.functional

    def step():
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss

    return step


def time_steps(step, steps, warmup):
    for _ in range(warmup):
        step()
    gc.collect()
    times = []
    clock = time.perf_counter
    for _ in range(steps):
        t0 = clock()
        step()
        times.append(clock() - t0)
    return statistics.median(times) * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=2000, help="timed steps for XOR (the MLP uses steps // 10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternate engines this many times; best median kept")
    args = parser.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=args.threads)
        blas_note = f"threadpoolctl limits={args.threads}"
    except ImportError:  # pragma: no cover
        limiter = None
        blas_note = "threadpoolctl missing: NumPy BLAS threads not limited"

    tasks = [
        ("XOR 2-4-1 full batch, SGD", xor_task, args.steps, 0.3),
        ("MLP 784-256-10 b128, Adam", mlp_task, max(args.steps // 10, 20), 0.9),
    ]
    print(f"python {platform.python_version()}  numpy {np.__version__}  torch {torch.__version__}  "
          f"threads={args.threads} ({blas_note})  cpu={platform.processor() or platform.machine()}")
    print(f"{'task':<30}{'torch us/step':>15}{'scratch us/step':>17}{'ratio':>8}{'target':>8}  verdict")
    rows = []
    for name, task, steps, target in tasks:
        best = {"torch": float("inf"), "scratch": float("inf")}
        for _ in range(args.rounds):
            for label, E in (("torch", torch), ("scratch", S)):
                best[label] = min(best[label], time_steps(task(E, steps), steps, warmup=max(steps // 10, 5)))
        ratio = best["scratch"] / best["torch"]
        verdict = "ok" if ratio <= target else "MISSED"
        rows.append((name, best["torch"], best["scratch"], ratio, target, verdict))
        print(f"{name:<30}{best['torch']:>15.1f}{best['scratch']:>17.1f}{ratio:>8.2f}{target:>8.2f}  {verdict}")
    del limiter
    return rows


if __name__ == "__main__":
    main()
