"""Small array transforms for :class:`~neuralab.data.splits.Splits`.

Statistics always come from the training split only, so validation and test stay
unseen: ``standardize(load("iris"))``.
"""

from __future__ import annotations

import numpy as np

from neuralab.data.splits import Splits


def flatten(x: np.ndarray) -> np.ndarray:
    """``(N, ...)`` -> ``(N, D)``; e.g. MNIST ``(N, 1, 28, 28)`` -> ``(N, 784)``.
    Use ``splits.map(flatten)`` on whole splits."""
    return np.reshape(x, (len(x), -1))


def train_statistics(x: np.ndarray, per_feature: bool = True, eps: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``x`` (float32): per feature (over axis 0) or one
    scalar each. Deviations below ``eps`` (constant features) become 1."""
    axis = 0 if per_feature else None
    mean = np.mean(x, axis=axis, dtype=np.float64)
    std = np.std(x, axis=axis, dtype=np.float64)
    std = np.where(std < eps, 1.0, std)
    return mean.astype(np.float32), std.astype(np.float32)


def standardize(splits: Splits, per_feature: bool = True) -> Splits:
    """Subtract the training mean and divide by the training standard deviation in every
    split (see :func:`train_statistics`)."""
    mean, std = train_statistics(splits.train.x, per_feature)
    return splits.map(lambda x: ((x - mean) / std).astype(np.float32))


def one_hot(y: np.ndarray, num_classes: int) -> np.ndarray:
    """int labels ``(N,)`` -> float32 ``(N, num_classes)`` one-hot rows."""
    y = np.asarray(y)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"one_hot: labels must be in [0, {num_classes}), got {y.min()}..{y.max()}")
    out = np.zeros((len(y), num_classes), dtype=np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out
