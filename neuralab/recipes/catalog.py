"""The named recipes: dataset + model + optimizer + schedule + the result they must reach.

Each entry states where it comes from in the curriculum and the target our default
settings meet (measured figures are in the README). ``neuralab recipes`` prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Recipe:
    """A named experiment. ``config`` holds only what differs from the task's defaults."""

    name: str
    summary: str
    task: str
    config: dict[str, Any]
    targets: dict[str, float]
    curriculum: str = ""
    notes: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)


def _mnist_mlp(sizes, dropout, summary, curriculum, notes, name):
    return Recipe(
        name=name,
        summary=summary,
        task="classify",
        config={
            "data": {"name": "mnist", "augment": {"shift": 1}},
            "model": {"name": "mlp", "sizes": list(sizes), "activation": "relu", "dropout": dropout},
            "optimizer": {"name": "adam", "lr": 0.003},
            "schedule": {"name": "onecycle", "pct_start": 0.25},
            "train": {"epochs": 30, "batch_size": 128},
        },
        targets={"test_accuracy": 0.98},
        curriculum=curriculum,
        notes=notes,
    )


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        _mnist_mlp(
            (784, 128, 10), 0.1, "MNIST dense net 784-128-10 (ReLU, softmax cross-entropy)", "000:43-47",
            "The curriculum claims ~97% after 3-5 epochs; with Adam, one-cycle and 1-px shifts it reaches 98.5%.",
            "mnist-mlp",
        ),
        _mnist_mlp(
            (784, 256, 10), 0.0, "003's SimpleNN 784-256-10 with Adam and CrossEntropyLoss", "003:194-207",
            "The curriculum names no accuracy; the default reaches about 98.8%.",
            "mnist-simplenn",
        ),
        Recipe(
            name="mnist-cnn",
            summary="Small CNN: 2 x [Conv3x3-BN-ReLU-MaxPool] (32, 64) -> 128 -> 10",
            task="classify",
            config={
                "data": {"name": "mnist", "augment": {"shift": 2}},
                "model": {"name": "cnn", "channels": [32, 64], "hidden": 128, "dropout": 0.25},
                "optimizer": {"name": "adam", "lr": 0.004},
                "schedule": {"name": "onecycle", "pct_start": 0.25},
                "train": {"epochs": 6, "batch_size": 128},
            },
            targets={"test_accuracy": 0.993},
            curriculum="000:46 (\"past 99%\"), 004:2519-2526",
        ),
        Recipe(
            name="fashion-cnn",
            summary="Fashion-MNIST CNN: 2 x [Conv3x3-BN-ReLU-MaxPool] (32, 64) -> 256 -> 10",
            task="classify",
            config={
                "data": {"name": "fashion-mnist", "augment": {"shift": 1, "hflip": 0.5}},
                "model": {"name": "cnn", "channels": [32, 64], "hidden": 256, "dropout": 0.3},
                "optimizer": {"name": "adam", "lr": 0.003},
                "schedule": {"name": "onecycle", "pct_start": 0.25},
                "train": {"epochs": 12, "batch_size": 128},
            },
            targets={"test_accuracy": 0.925},
            curriculum="published 2-conv baseline on Fashion-MNIST (~92.5%)",
        ),
        Recipe(
            name="iris-mlp",
            summary="004's FeedforwardNN 4-10-3 (ReLU, softmax), finally trained",
            task="classify",
            config={
                "threads": 1,  # tiny batches: a second OpenMP thread only adds waiting
                "data": {"name": "iris", "standardize": True},
                "model": {"name": "mlp", "sizes": [4, 10, 3]},
                "optimizer": {"name": "adam", "lr": 0.01},
                "train": {"epochs": 100, "batch_size": 16},
            },
            targets={"test_accuracy": 0.9},
            curriculum="004:1668-1717 (E21, never trained there)",
            notes="30 test flowers: one mistake costs 3.3 points.",
        ),
        Recipe(
            name="digits-mlp",
            summary="scikit-learn 8x8 digits, MLP 64-128-10: a seconds-long sanity run",
            task="classify",
            config={
                "threads": 1,
                "data": {"name": "digits"},
                "model": {"name": "mlp", "sizes": [64, 128, 10]},
                "optimizer": {"name": "adam", "lr": 0.003},
                "schedule": {"name": "cosine"},
                "train": {"epochs": 50, "batch_size": 32},
            },
            targets={"test_accuracy": 0.95},
            curriculum="004:6169-6182 (pixels scaled to [0, 1])",
        ),
    )
}
