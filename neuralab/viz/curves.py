"""Learning curves: loss and accuracy per epoch, train against validation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure, save_png


def _series(history: Any) -> Mapping[str, list]:
    return history.to_dict() if hasattr(history, "to_dict") else history


def _present(values: list | None) -> bool:
    return bool(values) and any(v is not None for v in values)


def plot_history(history: Any, path: str | os.PathLike, title: str | None = None) -> Path:
    """Loss (and accuracy, when measured) per epoch, train vs validation, as a PNG.

    ``history`` is a ``neuralab.train.History`` or its ``to_dict()`` form. Returns the path.
    """
    data = _series(history)
    epochs = list(data.get("epoch") or range(1, len(data["train_loss"]) + 1))
    panels = [("loss", "Loss")]
    if _present(data.get("train_accuracy")) or _present(data.get("val_accuracy")):
        panels.append(("accuracy", "Accuracy"))
    figure = new_figure(5.0 * len(panels), 4.0)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    marker = "o" if len(epochs) <= 30 else None
    for ax, (metric, label) in zip(axes, panels):
        for split, color in (("train", TRAIN_COLOR), ("val", VAL_COLOR)):
            values = data.get(f"{split}_{metric}")
            if not _present(values):
                continue
            points = [(e, v) for e, v in zip(epochs, values) if v is not None]
            xs, ys = zip(*points)
            ys = [100 * v for v in ys] if metric == "accuracy" else ys
            ax.plot(xs, ys, marker=marker, color=color, label="validation" if split == "val" else "training")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{label} (%)" if metric == "accuracy" else label)
        ax.set_title(f"{label} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
        if len(epochs) <= 20:
            ax.set_xticks(epochs)
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
