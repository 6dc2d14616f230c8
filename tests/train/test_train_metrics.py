"""Classification metrics against hand-computed examples (and scikit-learn when installed)."""

from __future__ import annotations

import numpy as np
import pytest

from neuralab.train.metrics import (
    accuracy,
    classification_report,
    confusion_matrix,
    precision_recall_f1,
    softmax,
)

Y_TRUE = np.array([0, 0, 1, 1, 1, 2])
Y_PRED = np.array([0, 1, 1, 1, 0, 1])


def test_accuracy_from_labels_and_from_scores():
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(3 / 6)
    scores = np.eye(3)[Y_PRED] * 5.0
    assert accuracy(Y_TRUE, scores) == pytest.approx(0.5)


def test_confusion_matrix_rows_are_truth_columns_are_predictions():
    expected = np.array([[1, 1, 0],
                         [1, 2, 0],
                         [0, 1, 0]])
    assert np.array_equal(confusion_matrix(Y_TRUE, Y_PRED, 3), expected)
    assert confusion_matrix([0, 1], [1, 1], num_classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)


def test_precision_recall_f1_by_hand_with_zero_division_as_zero():
    scores = precision_recall_f1(Y_TRUE, Y_PRED, 3)
    # class 0: TP 1, FP 1, FN 1 -> P 1/2, R 1/2; class 1: TP 2, FP 2, FN 1 -> P 1/2, R 2/3;
    # class 2: never predicted, TP 0 -> P 0/0 := 0, R 0
    assert scores["precision"] == pytest.approx([0.5, 0.5, 0.0])
    assert scores["recall"] == pytest.approx([0.5, 2 / 3, 0.0])
    assert scores["f1"] == pytest.approx([0.5, 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), 0.0])
    assert list(scores["support"]) == [2, 3, 1]
    assert scores["macro"]["precision"] == pytest.approx(1 / 3)
    assert scores["weighted"]["recall"] == pytest.approx((2 * 0.5 + 3 * 2 / 3) / 6)
    empty = precision_recall_f1([0, 0], [0, 0], num_classes=2)  # class 1 absent everywhere
    assert empty["f1"] == pytest.approx([1.0, 0.0])


def test_classification_report_uses_class_names():
    report = classification_report(Y_TRUE, Y_PRED, ["cat", "dog", "eel"])
    assert list(report["classes"]) == ["cat", "dog", "eel"]
    assert report["classes"]["dog"]["support"] == 3 and report["support"] == 6
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["classes"]["eel"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_matches_scikit_learn_on_random_labels():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    y_pred[y_pred == 4] = 3  # class 4 never predicted: exercises zero division
    labels = list(range(5))
    ours = precision_recall_f1(y_true, y_pred, 5)
    p, r, f, s = sklearn_metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    assert np.allclose(ours["precision"], p) and np.allclose(ours["recall"], r) and np.allclose(ours["f1"], f)
    assert np.array_equal(ours["support"], s)
    assert ours["macro"]["f1"] == pytest.approx(sklearn_metrics.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    assert ours["weighted"]["f1"] == pytest.approx(sklearn_metrics.f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0))
    assert np.array_equal(confusion_matrix(y_true, y_pred, 5), sklearn_metrics.confusion_matrix(y_true, y_pred, labels=labels))


def test_softmax_is_stable_and_normalised():
    probabilities = softmax(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]]))
    assert probabilities == pytest.approx(np.array([[0.5, 0.5], [0.25, 0.75]]))
