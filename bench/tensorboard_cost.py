"""What TensorBoard logging costs a run: the same recipe trained with ``log.tensorboard`` off,
on, and on with ``log.histograms``, in alternation, and the median of each.

    .venv/bin/python bench/tensorboard_cost.py                       # digits-mlp, 5 epochs, 3 rounds
    .venv/bin/python bench/tensorboard_cost.py --recipe mnist-mlp --epochs 2 --rounds 3

Prints the training seconds (``summary.json``'s ``train_time_s``: the training batches, where
the per-step events are written), the run's wall seconds (with validation, the run's end:
figures, final metrics, hparams) and the size of ``RUN/tensorboard/``. Run it on an idle
machine: the differences are a few percent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralab import recipes  # noqa: E402

SETTINGS = {"off": ["log.tensorboard=false"], "on": ["log.tensorboard=true"],
            "on + histograms": ["log.tensorboard=true", "log.histograms=true"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipe", default="digits-mlp")
    parser.add_argument("--engine", default="torch", choices=("torch", "scratch"))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float, int]]] = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as root:
        for _ in range(args.rounds):
            for name, overrides in SETTINGS.items():
                config = recipes.resolve(args.recipe, engine=args.engine, epochs=args.epochs, overrides=overrides)
                summary = recipes.run(config, runs_root=root, progress=False)
                events = list((Path(summary["run_dir"]) / "tensorboard").glob("*"))
                times[name].append((summary["train_time_s"], summary["wall_time_s"],
                                    sum(path.stat().st_size for path in events)))
    print(f"{args.recipe} ({args.engine}, {args.epochs} epochs), median of {args.rounds} alternating rounds")
    print(f"{'log':<18}{'train s':>10}{'wall s':>10}{'vs off':>9}{'events KiB':>12}")
    base = statistics.median(t for t, _, _ in times["off"])
    for name, rows in times.items():
        train = statistics.median(t for t, _, _ in rows)
        wall = statistics.median(w for _, w, _ in rows)
        size = rows[-1][2] / 1024
        print(f"{name:<18}{train:>10.2f}{wall:>10.2f}{(train / base - 1) * 100:>+8.1f}%{size:>12.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
