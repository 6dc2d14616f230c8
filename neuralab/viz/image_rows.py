"""Rows of small grayscale images: clean / noisy / reconstructed, one row per kind."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from neuralab.viz.style import new_figure, save_png


def plot_image_rows(rows: Mapping[str, np.ndarray], path: str | os.PathLike, columns: int = 8,
                    title: str | None = None) -> Path:
    """One row per entry of ``rows`` (label -> images ``(N, H, W)`` or ``(N, 1, H, W)`` in
    [0, 1]), ``columns`` images each, as a PNG. Returns the path."""
    figure = new_figure(1.3 * columns, 1.45 * len(rows) + 0.4)
    axes = figure.subplots(len(rows), columns, squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        images = np.asarray(images)
        images = images.reshape(len(images), *images.shape[-2:])
        for c in range(columns):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label)
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
