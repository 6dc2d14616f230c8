"""Attention heatmaps (one panel per head) and the positional-encoding table."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from neuralab.viz.style import new_figure, save_png


def plot_attention_heads(weights: np.ndarray, query_labels: Sequence[str], key_labels: Sequence[str],
                         path: str | os.PathLike, title: str | None = None) -> Path:
    """``weights``: ``(heads, Lq, Lk)`` rows summing to 1; one heatmap per head, queries down, keys across."""
    weights = np.asarray(weights)
    heads = weights.shape[0]
    figure = new_figure(min(3.2 * heads, 16.0), 0.25 * len(query_labels) + 2.2)
    axes = figure.subplots(1, heads, squeeze=False)[0]
    for head, ax in enumerate(axes):
        ax.imshow(weights[head], cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_title(f"head {head + 1}", fontsize=9)
        ax.set_xticks(range(len(key_labels)), [repr(c)[1:-1] or " " for c in key_labels], fontsize=6)
        ax.set_yticks(range(len(query_labels)), [repr(c)[1:-1] or " " for c in query_labels] if head == 0 else [], fontsize=6)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_png(figure, path)


def plot_positional_encoding(table: np.ndarray, path: str | os.PathLike, title: str | None = None) -> Path:
    """The ``(positions, d_model)`` sinusoidal table as a heatmap."""
    figure = new_figure(7.0, 3.6)
    ax = figure.subplots()
    image = ax.imshow(np.asarray(table), cmap="RdBu", vmin=-1.0, vmax=1.0, aspect="auto")
    ax.set_xlabel("encoding dimension")
    ax.set_ylabel("position")
    figure.colorbar(image, ax=ax)
    ax.set_title(title or "sinusoidal positional encoding")
    return save_png(figure, path)
