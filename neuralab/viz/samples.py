"""Real against generated 2-D samples, side by side on the same axes limits."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neuralab.viz.style import TRAIN_COLOR, VAL_COLOR, new_figure, save_png


def shared_limits(*point_sets: np.ndarray, margin: float = 0.1, clip: float = 6.0) -> tuple[float, float]:
    """One square ``(low, high)`` range holding every set (outliers beyond ``clip`` are cut)."""
    points = np.concatenate([np.asarray(p, dtype=np.float64) for p in point_sets])
    low, high = float(max(points.min(), -clip)), float(min(points.max(), clip))
    pad = margin * (high - low or 1.0)
    return low - pad, high + pad


def plot_samples(real: np.ndarray, generated: np.ndarray, path: str | os.PathLike, title: str | None = None,
                 max_points: int = 3000) -> Path:
    """Two scatter panels, real data (left) and generated samples (right), as a PNG."""
    limits = shared_limits(real, generated)
    figure = new_figure(9.0, 4.5)
    axes = figure.subplots(1, 2)
    for ax, points, label, color in ((axes[0], real, "real data", TRAIN_COLOR), (axes[1], generated, "generated", VAL_COLOR)):
        shown = np.asarray(points)[:max_points]
        ax.scatter(shown[:, 0], shown[:, 1], s=3, alpha=0.5, color=color)
        ax.set_title(f"{label} ({len(shown):,} of {len(points):,})")
        ax.set_xlim(limits)
        ax.set_ylim(limits)
        ax.set_aspect("equal")
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
