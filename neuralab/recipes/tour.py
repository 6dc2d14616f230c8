"""The `make demo` tour: a few recipes with their default settings, timed, in one table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from neuralab import recipes

# (recipe, engine): the dense net and the CNN the curriculum starts MNIST with.
TOUR: tuple[tuple[str, str], ...] = (("mnist-mlp", "torch"), ("mnist-cnn", "torch"))


def run_tour(runs_root: str | Path = "runs", progress: bool = True,
             announce: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Train every tour recipe; returns one row per run (recipe, engine, accuracy, target, seconds, folder)."""
    rows = []
    for name, engine in TOUR:
        announce(f"\n== {name} ({engine}): {recipes.get(name).summary}")
        started = time.perf_counter()
        summary = recipes.run(recipes.resolve(name, engine=engine), runs_root=runs_root, progress=progress)
        verdict = summary["targets"].get("test_accuracy", {})
        rows.append({
            "recipe": name, "engine": engine,
            "test_accuracy": summary["metrics"]["test_accuracy"],
            "target": verdict.get("target"), "met": verdict.get("met"),
            "train_s": summary["wall_time_s"], "total_s": time.perf_counter() - started,
            "parameters": summary.get("parameters"), "run_dir": summary["run_dir"],
        })
    return rows
