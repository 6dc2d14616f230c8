"""The learning-rate finder's figure: loss against lr (log scale), raw and smoothed, with the suggestion."""

from __future__ import annotations

import os
from pathlib import Path

from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure, save_png


def plot_lr_find(result, path: str | os.PathLike, *, title: str | None = None, recipe_lr: float | None = None) -> Path:
    """``result`` is a ``neuralab.train.lr_find.SweepResult``: each step's loss (faint), the smoothed
    loss (solid), the suggested lr (a dot and a line), the minimum / 10 and the recipe's own lr
    (dashed) when given. Returns the path."""
    figure = new_figure(7.0, 4.5)
    ax = figure.subplots()
    ax.plot(result.lrs, result.losses, color=TRAIN_COLOR, alpha=0.3, linewidth=1, label="loss of each mini-batch")
    ax.plot(result.lrs, result.smoothed, color=TRAIN_COLOR, linewidth=2, label="smoothed loss")
    if result.suggested_lr is not None:
        at = result.suggested_index
        ax.axvline(result.suggested_lr, color=VAL_COLOR, linewidth=1)
        ax.plot([result.suggested_lr], [result.smoothed[at]], "o", color=VAL_COLOR, markersize=7,
                label=f"suggested {result.suggested_lr:.2g} (steepest descent)")
    if result.minimum_over_10 is not None and result.minimum_over_10 >= result.lrs[0]:
        ax.axvline(result.minimum_over_10, color="#2ca02c", linestyle=":", linewidth=1.5,
                   label=f"minimum / 10 = {result.minimum_over_10:.2g}")
    if recipe_lr is not None:
        ax.axvline(recipe_lr, color="gray", linestyle="--", linewidth=1, label=f"the recipe's lr {recipe_lr:.2g}")
    ax.set_xscale("log")
    # Show the descent down to the lowest mini-batch loss before the smoothed minimum; the
    # blown-up tail would flatten everything else.
    lowest = result.smoothed.index(min(result.smoothed))
    low = min(min(result.losses[:lowest + 1]), result.smoothed[lowest])
    top = max(max(result.losses[:max(2, len(result.losses) // 10)]), result.smoothed[0])
    ax.set_ylim(low - 0.1 * (top - low), top + 0.25 * (top - low) if top > low else low + 1)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title or "learning-rate range test")
    return save_png(figure, path)
