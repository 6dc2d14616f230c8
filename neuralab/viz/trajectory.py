"""A diffusion model's denoising trajectory: the sample cloud at several steps t."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from neuralab.viz.style import VAL_COLOR, new_figure, save_png


def plot_trajectory(snapshots: Mapping[int, np.ndarray], path: str | os.PathLike, title: str | None = None,
                    limit: float | None = None, max_points: int = 2000) -> Path:
    """One scatter panel per recorded step, from pure noise (largest t) to the samples
    (t = 0), all on the same axes limits. Returns the path."""
    steps = sorted(snapshots, reverse=True)
    final = np.asarray(snapshots[steps[-1]])
    limit = limit or float(min(4.0, 1.3 * np.abs(final).max() + 0.3))
    figure = new_figure(2.6 * len(steps), 2.9)
    axes = figure.subplots(1, len(steps), squeeze=False)[0]
    for ax, t in zip(axes, steps):
        points = np.asarray(snapshots[t])[:max_points]
        ax.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5, color=VAL_COLOR)
        ax.set_title("x_T (noise)" if t == steps[0] else ("x_0 (samples)" if t == 0 else f"t = {t}"))
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
