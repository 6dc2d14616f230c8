"""Scratch engine layers vs PyTorch: median time of one full training step.

One step = forward + loss + backward + optimizer step (SGD with momentum), float32, the
same model and batch on both engines, in the same process with the same thread limits
(``torch.set_num_threads(n)``; NumPy's BLAS limited by threadpoolctl).  Steps alternate
between the engines, so a busy machine slows both alike; the median per engine is reported.

    python bench/scratch_layers.py [--threads 1] [--repeats 15] [--only lenet,lstm,transformer]

Workloads and targets (scratch / torch time):
    lenet        LeNet-5 (conv 6@5x5 pad 2 -> pool -> conv 16@5x5 -> pool -> 120 -> 84 -> 10), 1x28x28, batch 128   <= 1.5
    lstm         LSTM(input 128, hidden 256), seq 64, batch 32, linear head on the last step                <= 1.0
    transformer  4 x TransformerEncoderLayer(d_model 128, 4 heads, ff 512, dropout 0.1), seq 64, batch 16  <= 1.5
    mnist-cnn    the mnist-cnn recipe's model (models/cnn.py), batch 128                                   (information)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def lenet(T):
    nn = T.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )


def lstm(T):
    nn = T.nn

    class LastStep(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(LSTM_INPUT, 256)
            self.head = nn.Linear(256, 10)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[-1])
    return LastStep()


def transformer(T):
    nn = T.nn

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.1, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 4, enable_nested_tensor=False)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))
    return Encoder()


def mnist_cnn(T):
    """The ``mnist-cnn`` recipe's model (models/cnn.py: 2 x [Conv3x3-BN-ReLU-MaxPool] (32, 64) -> 128 -> 10)."""
    from neuralab.models import cnn
    return cnn.build(T, channels=(32, 64), hidden=128, dropout=0.25)


LSTM_INPUT = 128
WORKLOADS = {
    # name: (builder, input shape, target ratio or None for information only)
    "lenet": (lenet, (128, 1, 28, 28), 1.5),
    "lstm": (lstm, (64, 32, LSTM_INPUT), 1.0),
    "transformer": (transformer, (16, 64, 128), 1.5),
    "mnist-cnn": (mnist_cnn, (128, 1, 28, 28), None),
}


def training_step(lib, build, shape):
    """A closure running one full training step of ``build`` on engine ``lib``."""
    lib.manual_seed(0)
    model = build(lib)
    model.train()
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal(shape).astype(np.float32))
    batch = shape[1] if build is lstm else shape[0]
    y = lib.from_numpy(rng.integers(0, 10, batch))
    loss_fn = lib.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def compare(engines, build, shape, repeats, warmup=2):
    """Median (wall ms, CPU ms) per step for each engine.

    Steps alternate between the engines so both see the same machine load.  With one
    thread the CPU time of the calling thread (``time.thread_time``) is the work done,
    unaffected by waiting for a shared core, so the table reports it next to wall time.
    """
    steps = [training_step(lib, build, shape) for lib in engines]
    wall = [[] for _ in engines]
    cpu = [[] for _ in engines]
    for i in range(warmup + repeats):
        for step, w, c in zip(steps, wall, cpu):
            start, start_cpu = time.perf_counter(), time.thread_time()
            step()
            if i >= warmup:
                w.append((time.perf_counter() - start) * 1e3)
                c.append((time.thread_time() - start_cpu) * 1e3)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu)]


def blas_report() -> list[str]:
    """One line per BLAS/OpenMP library loaded in this process: which kernel ran, with how many threads
    (threadpoolctl's view; ``architecture`` is the kernel OpenBLAS picked for this CPU)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - documented fallback
        return ["threadpoolctl not installed: the BLAS kernel in use is unknown"]
    lines = []
    for pool in threadpool_info():
        kernel = pool.get("architecture") or pool.get("threading_layer") or "?"
        lines.append(f"  {pool.get('user_api')}: {pool.get('internal_api')} {pool.get('version') or ''} kernel {kernel}, "
                     f"{pool.get('num_threads')} thread(s) ({os.path.basename(pool.get('filepath', ''))})")
    forced = {name: os.environ[name] for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if name in os.environ}
    if forced:  # a machine may pin the kernel (old OpenBLAS builds crash on some CPUs); it then is not this CPU's own
        lines.append("  note: the environment sets " + ", ".join(f"{k}={v}" for k, v in forced.items()) + ": OpenBLAS "
                     "runs that kernel, not the one it picks for this CPU; to measure that one, run "
                     "`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/scratch_layers.py ...`")
    return lines or ["threadpoolctl sees no BLAS library loaded"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    args = parser.parse_args(argv)

    import torch

    import neuralab.scratch as T

    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=args.threads)
        blas = f"BLAS limited to {args.threads} thread(s) by threadpoolctl"
    except ImportError:  # pragma: no cover - documented fallback
        limiter = None
        blas = "threadpoolctl not installed: NumPy BLAS threads NOT limited (set OPENBLAS_NUM_THREADS)"
    print(f"torch {torch.__version__} threads={torch.get_num_threads()}; numpy {np.__version__}; {blas}")
    for line in blas_report():
        print(line)
    print(f"  torch: MKL {torch.backends.mkl.is_available()}, oneDNN {torch.backends.mkldnn.is_available()}, "
          f"CPU kernels {torch.backends.cpu.get_cpu_capability()}")
    print(f"LSTM input size: {LSTM_INPUT}")
    rows = []
    for name in args.only.split(","):
        build, shape, target = WORKLOADS[name]
        (t_wall, t_cpu), (s_wall, s_cpu) = compare((torch, T), build, shape, args.repeats)
        rows.append((name, t_wall, s_wall, t_cpu, s_cpu, target))
    print(f"\nmedian ms per training step (wall clock | CPU time of the thread); ratio = scratch / torch")
    print(f"{'workload':<12} {'torch':>8} {'scratch':>8} {'ratio':>6} | {'torch':>8} {'scratch':>8} {'ratio':>6} "
          f"{'target':>7}  ok")
    for name, t_wall, s_wall, t_cpu, s_cpu, target in rows:
        ok = "-" if target is None else ("yes" if s_wall / t_wall <= target else "NO")
        shown = "-" if target is None else f"{target:.2f}"
        print(f"{name:<12} {t_wall:8.2f} {s_wall:8.2f} {s_wall / t_wall:6.2f} | {t_cpu:8.2f} {s_cpu:8.2f} "
              f"{s_cpu / t_cpu:6.2f} {shown:>7}  {ok}")
    del limiter
    return rows


if __name__ == "__main__":
    main()
