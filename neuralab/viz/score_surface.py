"""A discriminator's (or critic's) score over the plane, with the data drawn on top."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from neuralab.viz.samples import shared_limits
from neuralab.viz.style import new_figure, save_png


def plot_score_surface(score: Callable[[np.ndarray], np.ndarray], real: np.ndarray, generated: np.ndarray,
                       path: str | os.PathLike, label: str = "D(x)", resolution: int = 150,
                       title: str | None = None, max_points: int = 1500) -> Path:
    """Filled contours of ``score(points (M, 2)) -> (M,)`` on a grid covering both sample
    sets, real points in white and generated ones in black. Returns the path."""
    low, high = shared_limits(real, generated)
    axis = np.linspace(low, high, resolution)
    xx, yy = np.meshgrid(axis, axis)
    values = np.asarray(score(np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32))).reshape(xx.shape)
    figure = new_figure(5.6, 4.8)
    ax = figure.subplots()
    filled = ax.contourf(xx, yy, values, levels=20, cmap="RdBu_r")
    figure.colorbar(filled, ax=ax, label=label)
    ax.scatter(real[:max_points, 0], real[:max_points, 1], s=2, color="white", alpha=0.6, label="real")
    ax.scatter(generated[:max_points, 0], generated[:max_points, 1], s=2, color="black", alpha=0.6, label="generated")
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or f"{label} over the plane")
    return save_png(figure, path)
