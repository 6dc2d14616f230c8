"""Playground speed on this machine: the compute behind `neuralab lab`, without the web face.

    python bench/lab.py [--engine scratch|torch] [--seeds 0 1 2 ...] [--hash '#...'] [--limit 30] [--skip-generative]

The task is issue 14's spiral: TF Playground's spiral with the features x1, x2, x1^2, x2^2,
x1 x2, sin x1, sin x2, a 8,8 tanh network, TF's learning rate 0.03, batch 10, noise 0,
50% training data. Printed figures:

* training steps per second (one step = one optimizer update on 10 points);
* frames per second of ``frame()`` (the 100x100 output heatmap, every neuron's 25x25
  heatmap, weights, losses, history);
* seconds of wall time until the test loss first falls below 0.05, per seed, in two ways:
  training alone (the test loss checked once per epoch, its cost counted), and "served":
  as the lab's worker runs, with a ``frame()`` every 50 ms of wall time (20 frames/s) counted too.
* for the GAN and diffusion playgrounds: seconds until their samples sit on the ring
  (mean radius within 0.2 of 2, radius std < 0.3, 80% within 0.3 of the ring).

Targets on 2 CPU cores: >= 20 frames/s, the spiral below 0.05 in < 15 s. A benchmark, not
a test: it prints. Run it on an otherwise idle machine; the load average is printed with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralab.cli.table import format_table  # noqa: E402
from neuralab.playground import create, parse_tf_hash  # noqa: E402

SPIRAL = ("#activation=tanh&batchSize=10&dataset=spiral&regDataset=reg-plane&learningRate=0.03&regularizationRate=0"
          "&noise=0&networkShape=8,8&seed=0&showTestData=false&discretize=false&percTrainData=50&x=true&y=true"
          "&xTimesY=true&xSquared=true&ySquared=true&cosX=false&sinX=true&cosY=false&sinY=true&problem=classification")
TARGET = 0.05
FRAME_EVERY_S = 0.05


def throughput(settings: dict, engine: str) -> tuple[float, float]:
    """(training steps per second, frames per second)."""
    pg = create("network", settings, engine=engine)
    pg.step(100)   # warm up
    started = time.perf_counter()
    pg.step(3000)
    steps = 3000 / (time.perf_counter() - started)
    pg.frame()
    started, count = time.perf_counter(), 0
    while time.perf_counter() - started < 2.0:
        pg.frame()
        count += 1
    return steps, count / (time.perf_counter() - started)


def time_to_loss(settings: dict, engine: str, seed: int, limit_s: float, served: bool):
    """``(wall s, cpu s, steps)`` until the test loss < TARGET; the seconds are None past ``limit_s``.
    CPU seconds of this process are what the run costs on an idle machine with one core for it."""
    pg = create("network", settings, engine=engine, seed=seed)
    epoch_steps = max(1, round(len(pg.data["train_x"]) / pg.settings["batchSize"]))
    started, cpu_started = time.perf_counter(), time.process_time()
    last_frame = started
    while time.perf_counter() - started < limit_s:
        pg.step(epoch_steps)
        if served and time.perf_counter() - last_frame >= FRAME_EVERY_S:
            pg.frame()
            last_frame = time.perf_counter()
        if pg.losses()[1] < TARGET:
            return time.perf_counter() - started, time.process_time() - cpu_started, pg.step_count
    return None, None, pg.step_count


def on_ring(coverage: dict) -> bool:
    return abs(coverage["mean_radius"] - 2) <= 0.2 and coverage["radius_std"] < 0.3 and coverage["near"] > 0.8


def time_to_ring(kind: str, engine: str, seed: int, chunk: int, limit_s: float) -> tuple[float | None, int]:
    """Wall seconds (and steps) until ``kind``'s shown samples sit on the ring (frames counted)."""
    pg = create(kind, {"distribution": "ring", **({"trajectoryEvery": chunk} if kind == "diffusion" else {})},
                engine=engine, seed=seed)
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        pg.step(chunk)
        if on_ring(pg.frame()["coverage"]):
            return time.perf_counter() - started, pg.step_count
    return None, pg.step_count


def _cell(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def _seconds(values) -> str:
    done = [v for v in values if v is not None]
    if not done:
        return "none solved"
    return f"median {statistics.median(done):.2f} s, max {max(done):.2f} s ({len(done)}/{len(values)} solved)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="scratch", choices=("scratch", "torch"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5, 6, 7])
    parser.add_argument("--hash", default=SPIRAL, help="a TF Playground hash (default: the issue's spiral)")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a seed counts as not solved")
    parser.add_argument("--skip-generative", action="store_true")
    args = parser.parse_args(argv)
    settings = parse_tf_hash(args.hash)
    print(f"engine {args.engine}, {os.cpu_count()} CPUs, load average before: "
          + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    steps, frames = throughput(settings, args.engine)
    print(f"network playground: {steps:,.0f} training steps/s, {frames:,.0f} frames/s (target >= 20)")
    rows, alone, served = [], [], []
    for seed in args.seeds:
        a, a_cpu, a_steps = time_to_loss(settings, args.engine, seed, args.limit, served=False)
        s, s_cpu, s_steps = time_to_loss(settings, args.engine, seed, args.limit, served=True)
        alone.append(a)
        served.append(s)
        rows.append([seed, _cell(a), _cell(a_cpu), a_steps, _cell(s), _cell(s_cpu), s_steps])
    print(format_table(["seed", "wall s to test loss < 0.05", "cpu s", "steps", "served: wall s", "cpu s", "steps"],
                       rows))
    print(f"spiral to test loss < {TARGET} (target < 15 s): training alone {_seconds(alone)}; served {_seconds(served)}")
    if not args.skip_generative:
        for kind, chunk in (("gan", 50), ("diffusion", 100)):
            times = [time_to_ring(kind, args.engine, seed, chunk, args.limit) for seed in args.seeds[:3]]
            print(f"{kind} playground, samples on the ring: {_seconds([t for t, _ in times])}; steps "
                  + ", ".join(str(n) for _, n in times))
    print("load average after: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
