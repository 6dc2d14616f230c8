"""A grid of generated images, one row per class for a conditional generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuralab.viz.latent import plot_image_grid


def plot_class_grid(draw, classes: int, path: str | Path, *, title: str, label: int | None = None, n: int = 100) -> Path:
    """A grid of ``n`` generated images: one row per class for a conditional model (``classes`` > 0)
    with ``n // classes`` columns, else ``n`` images (all of class ``label`` when given) in rows of
    10 (or of ``sqrt(n)`` when square). ``draw(count, labels)`` returns ``count`` images
    ``(count, C, H, W)`` in [0, 1] for the int64 ``labels`` (None: unconditional); any generator
    fits (``neuralab sample`` draws GAN grids through it too)."""
    if classes and label is None:
        columns = max(1, n // classes)
        labels, rows = np.repeat(np.arange(classes, dtype=np.int64), columns), classes
    else:
        columns = int(round(n ** 0.5)) if int(round(n ** 0.5)) ** 2 == n else min(n, 10)
        rows = -(-n // columns)
        labels = None if label is None else np.full(rows * columns, label, dtype=np.int64)
    images = draw(rows * columns, labels)
    if rows * columns > n:  # blank the unused cells of the last row
        images[n:] = 0
    row_labels = [str(c) for c in range(classes)] if classes and label is None else None
    return plot_image_grid(images.reshape(rows, columns, *images.shape[1:]), path, title=title, row_labels=row_labels)
