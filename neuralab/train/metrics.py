"""Classification metrics in pure NumPy.

Conventions (the same as scikit-learn with ``zero_division=0``):

* ``confusion[i, j]`` counts samples whose true class is ``i`` and predicted class is ``j``
  (rows = truth, columns = prediction).
* precision_c = TP / (TP + FP), recall_c = TP / (TP + FN), F1_c = 2PR / (P + R);
  any 0/0 is defined as 0 (a class never predicted has precision 0, a class absent
  from ``y_true`` has recall 0).
* "macro" is the plain mean over all ``num_classes`` classes; "weighted" weights each
  class by its support (its number of true samples).

Predictions may be labels ``(N,)`` or scores/logits ``(N, C)``; scores are turned into
labels with ``argmax`` over the class axis.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def to_labels(y_pred: np.ndarray) -> np.ndarray:
    """Labels ``(N,)`` from labels ``(N,)`` or class scores ``(N, C)``."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2:
        return y_pred.argmax(axis=1)
    if y_pred.ndim != 1:
        raise ValueError(f"predictions must be labels (N,) or scores (N, C); got shape {y_pred.shape}")
    return y_pred


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = to_labels(y_pred)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"y_true has {y_true.shape[0]} samples but y_pred has {y_pred.shape[0]}")
    return y_true.astype(np.int64), y_pred.astype(np.int64)


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples whose predicted label equals the true label (0.0 for no samples)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred)) if y_true.size else 0.0


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``(C, C)`` with rows = true class, columns = predicted class.

    ``num_classes`` defaults to ``max(label) + 1`` over both arrays.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"{name} holds labels in [{labels.min()}, {labels.max()}] but num_classes is {num_classes}: "
                f"labels must lie in [0, {num_classes - 1}]"
            )
    flat = y_true * num_classes + y_pred
    return np.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise division with 0/0 (and x/0) defined as 0."""
    numerator = numerator.astype(np.float64)
    denominator = denominator.astype(np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def precision_recall_f1(y_true, y_pred, num_classes: int | None = None) -> dict[str, object]:
    """Per-class precision, recall, F1 and support, plus their macro and weighted means.

    Returns ``{"precision": (C,), "recall": (C,), "f1": (C,), "support": (C,),
    "macro": {"precision", "recall", "f1"}, "weighted": {...}}``; zero-division gives 0.
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    true_positive = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    support = matrix.sum(axis=1)
    precision = _safe_divide(true_positive, predicted)
    recall = _safe_divide(true_positive, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    weights = _safe_divide(support, np.full_like(support, support.sum()))
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "support": support,
        "macro": {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())},
        "weighted": {
            "precision": float(precision @ weights),
            "recall": float(recall @ weights),
            "f1": float(f1 @ weights),
        },
    }


def classification_report(y_true, y_pred, class_names: Sequence[str] | None = None) -> dict[str, object]:
    """A JSON-ready report: per-class precision/recall/F1/support, accuracy, macro and weighted means.

    ``class_names`` (one per class) fixes the number of classes; without it, classes
    are named ``"0"``, ``"1"``, ... up to the largest label seen.
    """
    num_classes = len(class_names) if class_names is not None else None
    scores = precision_recall_f1(y_true, y_pred, num_classes)
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(scores["support"]))]
    per_class = {
        name: {
            "precision": float(scores["precision"][i]),
            "recall": float(scores["recall"][i]),
            "f1": float(scores["f1"][i]),
            "support": int(scores["support"][i]),
        }
        for i, name in enumerate(names)
    }
    return {
        "classes": per_class,
        "accuracy": accuracy(y_true, y_pred),
        "macro": scores["macro"],
        "weighted": scores["weighted"],
        "support": int(scores["support"].sum()),
    }


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax (shifts by the max before ``exp``)."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)
