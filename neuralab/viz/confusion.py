"""Confusion-matrix heatmap: which classes the model mistakes for which."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from neuralab.viz.style import new_figure, save_png


def plot_confusion_matrix(
    matrix: np.ndarray,
    path: str | os.PathLike,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    title: str | None = None,
) -> Path:
    """Heatmap of a ``(C, C)`` confusion matrix (rows = true class, columns = predicted).

    ``normalize=True`` shows each row as fractions of that true class (recall on the
    diagonal). Cells are annotated when there are at most 20 classes. Returns the path.
    """
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion matrix must be square (C, C); got shape {counts.shape}")
    num_classes = counts.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(num_classes)]
    if len(names) != num_classes:
        raise ValueError(f"{len(names)} class names for a {num_classes}-class confusion matrix")
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals != 0)
    else:
        shown = counts
    size = min(12.0, max(4.5, 0.55 * num_classes + 2.5))
    figure = new_figure(size + 1.0, size)
    ax = figure.subplots()
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    figure.colorbar(image, ax=ax, label="fraction of true class" if normalize else "count")
    ax.set_xticks(range(num_classes), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right" if max(map(len, names)) > 3 else "center")
    ax.set_yticks(range(num_classes), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or ("Confusion matrix (row-normalised)" if normalize else "Confusion matrix"))
    if num_classes <= 20:
        threshold = shown.max() / 2 if shown.size and shown.max() > 0 else 0.5
        for i in range(num_classes):
            for j in range(num_classes):
                text = f"{shown[i, j]:.2f}" if normalize else f"{int(shown[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > threshold else "black")
    return save_png(figure, path)
