"""The test images the model gets most wrong, with what it thought they were."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from neuralab.viz.style import new_figure, save_png


def worst_misclassified(probabilities: np.ndarray, y_true: np.ndarray, k: int = 16) -> np.ndarray:
    """Indices of up to ``k`` misclassified samples, most confidently wrong first.

    Confidence is ``p_wrong = max_c p(c | x)``, the probability of the (wrong) prediction,
    which is the ``p`` the figures print, so their panels read in descending ``p``. Ties go
    to the lower probability of the true class (the higher cross-entropy loss). With more
    than two classes the two orders differ: ``[0.05, 0.50, 0.45]`` for true class 0 has the
    higher loss, ``[0.30, 0.70, 0.00]`` the more confident mistake.
    ``probabilities``: ``(N, C)`` rows summing to 1.
    """
    probabilities = np.asarray(probabilities)
    y_true = np.asarray(y_true).astype(np.int64)
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    confidence = probabilities[wrong, predicted[wrong]]
    true_probability = probabilities[wrong, y_true[wrong]]
    # np.lexsort sorts by its last key first: descending confidence, then ascending p(true)
    return wrong[np.lexsort((true_probability, -confidence))[:k]]


def _as_image(sample: np.ndarray) -> np.ndarray:
    """(H, W), (1, H, W), (3, H, W), (H, W, 3) or flat square (H*W,) -> something imshow takes."""
    image = np.asarray(sample, dtype=float)
    if image.ndim == 1:
        side = math.isqrt(image.size)
        if side * side != image.size:
            raise ValueError(f"cannot show a flat sample of {image.size} values as a square image")
        return image.reshape(side, side)
    if image.ndim == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
        image = np.moveaxis(image, 0, -1)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 3:  # colour: scale into [0, 1] for imshow
        low, high = image.min(), image.max()
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return image


def plot_misclassified(
    images: np.ndarray,
    y_true: np.ndarray,
    probabilities: np.ndarray,
    path: str | os.PathLike,
    class_names: Sequence[str] | None = None,
    k: int = 16,
    title: str | None = None,
) -> Path:
    """A grid of the ``k`` worst misclassified images, each titled "true 7 / pred 2 (p=0.98)".

    ``p`` is the probability the model gave its (wrong) prediction. ``probabilities`` are
    softmax outputs ``(N, C)``; use ``neuralab.train.metrics.softmax`` on logits.
    Writes a short note instead of a grid when nothing is misclassified. Returns the path.
    """
    probabilities = np.asarray(probabilities)
    y_true = np.asarray(y_true).astype(np.int64)
    if len(images) != len(y_true) or len(y_true) != len(probabilities):
        raise ValueError(f"images ({len(images)}), y_true ({len(y_true)}) and probabilities ({len(probabilities)}) must have the same length")
    picks = worst_misclassified(probabilities, y_true, k)

    def name(label: int) -> str:
        return str(class_names[label]) if class_names is not None else str(label)

    if picks.size == 0:
        figure = new_figure(4.0, 1.5)
        figure.text(0.5, 0.5, "no misclassified samples", ha="center", va="center")
        return save_png(figure, path)
    columns = min(len(picks), 4 if len(picks) <= 8 else 6)
    rows = math.ceil(len(picks) / columns)
    figure = new_figure(2.3 * columns, 2.5 * rows + 0.4)
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, index in zip(axes.flat, picks):
        predicted = int(probabilities[index].argmax())
        image = _as_image(images[index])
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        ax.set_title(f"true {name(y_true[index])} / pred {name(predicted)} (p={probabilities[index, predicted]:.2f})", fontsize=8)
    figure.suptitle(title or f"The {len(picks)} most confidently wrong predictions")
    return save_png(figure, path)


def plot_misclassified_table(
    features: np.ndarray,
    y_true: np.ndarray,
    probabilities: np.ndarray,
    path: str | os.PathLike,
    class_names: Sequence[str] | None = None,
    feature_names: Sequence[str] | None = None,
    k: int = 10,
    title: str | None = None,
) -> Path:
    """A table of the ``k`` most confidently wrong samples of tabular data: one row each with
    the sample's index, its feature values, the true class and the prediction with its ``p``.

    For inputs that are rows of features (iris's 4 measurements), where a picture of the
    sample would mean nothing. ``features``: ``(N, D)``; the values are shown as given (so
    standardized when the run standardized them). Returns the path.
    """
    features = np.asarray(features, dtype=float).reshape(len(features), -1)
    probabilities = np.asarray(probabilities)
    y_true = np.asarray(y_true).astype(np.int64)
    if len(features) != len(y_true) or len(y_true) != len(probabilities):
        raise ValueError(f"features ({len(features)}), y_true ({len(y_true)}) and probabilities ({len(probabilities)}) must have the same length")
    columns = list(feature_names) if feature_names is not None else [f"x[{j}]" for j in range(features.shape[1])]
    if len(columns) != features.shape[1]:
        raise ValueError(f"{len(columns)} feature names for {features.shape[1]} features")
    picks = worst_misclassified(probabilities, y_true, k)

    def name(label: int) -> str:
        return str(class_names[label]) if class_names is not None else str(label)

    if picks.size == 0:
        figure = new_figure(4.0, 1.5)
        figure.text(0.5, 0.5, f"no misclassified samples (of {len(y_true)})", ha="center", va="center")
        return save_png(figure, path)
    rows = []
    for index in picks:
        predicted = int(probabilities[index].argmax())
        rows.append([str(index), *(f"{v:.3g}" for v in features[index]), name(y_true[index]),
                     f"{name(predicted)} (p={probabilities[index, predicted]:.2f})"])
    header = ["sample", *columns, "true", "predicted"]
    figure = new_figure(max(4.5, 1.1 * len(header) + 1.0), 0.32 * (len(rows) + 1) + 0.9)
    ax = figure.subplots()
    ax.axis("off")
    table = ax.table(cellText=rows, colLabels=header, loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1.0, 1.3)
    for column in range(len(header)):
        table[0, column].set_facecolor("#e8e8e8")
    ax.set_title(title or f"The {len(picks)} most confidently wrong of {len(y_true)} test samples", fontsize=10)
    return save_png(figure, path)
