"""Pictures of a learned latent space: 2-D codes coloured by class, and grids of decoded images."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Sequence

import numpy as np

from neuralab.viz.style import new_figure, save_png


def plot_latent_scatter(codes: np.ndarray, labels: np.ndarray, path: str | os.PathLike,
                        classes: Sequence[str] | None = None, title: str | None = None,
                        max_points: int = 10_000) -> Path:
    """Scatter of 2-D codes ``(N, 2)``, one colour per label ``(N,)`` (legend from ``classes``)."""
    codes, labels = np.asarray(codes)[:max_points], np.asarray(labels)[:max_points]
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"plot_latent_scatter needs 2-D codes (N, 2); got shape {codes.shape}")
    figure = new_figure(6.4, 5.6)
    ax = figure.subplots()
    colors = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=2, alpha=0.6,
                        vmin=-0.5, vmax=9.5 if labels.max(initial=0) <= 9 else None)
    bar = figure.colorbar(colors, ax=ax, ticks=np.unique(labels))
    if classes is not None:
        bar.ax.set_yticklabels([classes[int(k)] for k in np.unique(labels)])
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return save_png(figure, path)


def plot_image_grid(images: np.ndarray, path: str | os.PathLike, title: str | None = None,
                    row_labels: Sequence[str] | None = None) -> Path:
    """A ``(rows, columns, H, W)`` (or ``(rows, columns, 1, H, W)``) array of [0, 1] images as one
    seamless picture, e.g. decoded points of a latent grid or samples from the prior."""
    images = np.asarray(images)
    rows, columns = images.shape[:2]
    height, width = images.shape[-2:]
    tiles = images.reshape(rows, columns, height, width).transpose(0, 2, 1, 3).reshape(rows * height, columns * width)
    # a title needs room: a few images still get a figure wide enough for a wrapped title
    width = max(0.45 * columns + 0.8, 3.6 if title else 0.0)
    title_lines = textwrap.wrap(title, int(width * 11)) if title else []
    figure = new_figure(width, 0.45 * rows + 0.6 + 0.2 * max(0, len(title_lines) - 1))
    ax = figure.subplots()
    ax.imshow(tiles, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([] if row_labels is None else [height * (r + 0.5) for r in range(rows)])
    if row_labels is not None:
        ax.set_yticklabels(row_labels)
    if title_lines:
        ax.set_title("\n".join(title_lines))
    return save_png(figure, path)
