"""Figures are written, atomically, as valid PNGs of a sensible size."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread

from neuralab.train import History
from neuralab.train.metrics import confusion_matrix, softmax
from neuralab.viz import (
    plot_confusion_matrix, plot_decision_boundary, plot_history, plot_misclassified, plot_misclassified_table,
    worst_misclassified,
)
from neuralab.viz.decision_boundary import grid_limits, probability_grid

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width = imread(path).shape[:2]
    assert height > 100 and width > 100
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # no temp files left


def history(with_accuracy=True):
    h = History()
    for epoch in range(1, 6):
        h.append(epoch=epoch, train_loss=1 / epoch, val_loss=1.2 / epoch,
                 train_accuracy=1 - 0.5 / epoch if with_accuracy else None,
                 val_accuracy=1 - 0.6 / epoch if with_accuracy else None, lr=0.1, epoch_time_s=1.0)
    return h


@pytest.mark.parametrize("with_accuracy", [True, False])
def test_history_curves(tmp_path, with_accuracy):
    path = plot_history(history(with_accuracy), tmp_path / "curves.png", title="tiny run")
    assert_png(path)
    wide = imread(path).shape[1]
    assert (wide > 1000) == with_accuracy  # two panels side by side when accuracy exists


def test_history_curves_from_a_dict_without_validation(tmp_path):
    data = history().to_dict()
    data["val_loss"] = [None] * 5
    assert_png(plot_history(data, tmp_path / "c.png"))


@pytest.mark.parametrize("normalize", [False, True])
def test_confusion_matrix_heatmap(tmp_path, normalize):
    matrix = confusion_matrix([0, 1, 2, 2, 1, 0, 2], [0, 2, 2, 2, 1, 1, 0], 3)
    path = plot_confusion_matrix(matrix, tmp_path / "cm.png", class_names=["T-shirt", "Trouser", "Pullover"],
                                 normalize=normalize)
    assert_png(path)


def test_confusion_matrix_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)), tmp_path / "x.png")
    with pytest.raises(ValueError, match="2 class names for a 3-class"):
        plot_confusion_matrix(np.zeros((3, 3)), tmp_path / "x.png", class_names=["a", "b"])


def test_worst_misclassified_orders_by_the_confidence_of_the_wrong_prediction():
    probabilities = np.array([[0.9, 0.1],    # right
                              [0.2, 0.8],    # wrong with p=0.8
                              [0.05, 0.95],  # wrong with p=0.95 -> first
                              [0.4, 0.6]])   # wrong with p=0.6
    assert list(worst_misclassified(probabilities, np.array([0, 0, 0, 0]), k=2)) == [2, 1]


def test_worst_misclassified_with_three_classes_is_not_the_highest_loss_order():
    # true class 0 everywhere; sample 0 has the highest loss (p(true)=0.05) but the least confident
    # mistake (0.50); sorting by p(true) would put it first
    probabilities = np.array([[0.05, 0.50, 0.45],
                              [0.30, 0.70, 0.00],
                              [0.10, 0.00, 0.90],
                              [0.20, 0.70, 0.10]])  # same confidence as sample 1, lower p(true): before it
    assert list(worst_misclassified(probabilities, np.zeros(4, dtype=int))) == [2, 3, 1, 0]


def _printed_confidences(texts):
    return [float(text.rsplit("p=", 1)[1].rstrip(")")) for text in texts]


def test_misclassified_figures_print_descending_confidence(tmp_path, monkeypatch):
    """The panels and table rows read from the most confident mistake down (issue #16: they did not)."""
    import neuralab.viz.misclassified as module
    seen, real_save = {}, module.save_png

    def recording_save(figure, path):
        seen["titles"] = [ax.get_title() for ax in figure.axes if ax.get_title()]
        seen["cells"] = [cell.get_text().get_text() for ax in figure.axes for table in ax.tables
                         for _, cell in sorted(table.get_celld().items())]  # row by row
        return real_save(figure, path)

    monkeypatch.setattr(module, "save_png", recording_save)
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 10, 400)
    probabilities = softmax(rng.normal(size=(400, 10)) * 2)
    plot_misclassified(rng.random((400, 8, 8)), y_true, probabilities, tmp_path / "grid.png", k=12)
    printed = _printed_confidences(seen["titles"])
    assert len(printed) == 12 and printed == sorted(printed, reverse=True)
    wrong = probabilities.argmax(1) != y_true
    assert printed[0] == round(float(probabilities[wrong].max()), 2)  # the most confident mistake of all comes first

    plot_misclassified_table(rng.normal(size=(400, 4)), y_true, probabilities, tmp_path / "table.png", k=8)
    printed = _printed_confidences([text for text in seen["cells"] if "p=" in text])  # the "predicted" column
    assert len(printed) == 8 and printed == sorted(printed, reverse=True)


@pytest.mark.parametrize("shape", [(64,), (1, 12, 12), (12, 12, 3)])
def test_misclassified_grid(tmp_path, shape):
    rng = np.random.default_rng(0)
    images = rng.random((30, *shape))
    y_true = rng.integers(0, 3, 30)
    probabilities = softmax(rng.normal(size=(30, 3)) * 3)
    assert_png(plot_misclassified(images, y_true, probabilities, tmp_path / "worst.png", k=9,
                                  class_names=["zero", "one", "two"]))


def test_misclassified_with_nothing_wrong_still_writes_a_figure(tmp_path):
    probabilities = np.eye(3)[[0, 1, 2]]
    path = plot_misclassified(np.zeros((3, 8, 8)), np.array([0, 1, 2]), probabilities, tmp_path / "none.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def _nearest_centre(centres):
    """A stand-in classifier: softmax of minus the squared distance to each class centre."""
    centres = np.asarray(centres, dtype=float)

    def predict_proba(points):
        return softmax(-((points[:, None, :] - centres[None]) ** 2).sum(-1) * 4)
    return predict_proba


@pytest.mark.parametrize("classes", [2, 3])
def test_decision_boundary(tmp_path, classes):
    rng = np.random.default_rng(0)
    centres = [[np.cos(a), np.sin(a)] for a in 2 * np.pi * np.arange(classes) / classes]
    y = np.arange(60) % classes
    x = (np.asarray(centres)[y] + rng.normal(0, 0.6, (60, 2))).astype(np.float32)
    path = plot_decision_boundary(_nearest_centre(centres), (x[:40], y[:40]), tmp_path / "boundary.png",
                                  test=(x[40:], y[40:]), class_names=[f"c{k}" for k in range(classes)], resolution=60)
    assert_png(path)


def test_decision_boundary_grid_covers_the_points_and_checks_the_model():
    x_limits, y_limits = grid_limits(np.array([[0.0, -1.0], [2.0, 1.0]]))
    assert x_limits[0] < 0 and x_limits[1] > 2 and y_limits[0] < -1 and y_limits[1] > 1
    xx, yy, probabilities = probability_grid(_nearest_centre([[0, 0], [1, 1]]), x_limits, y_limits, resolution=7)
    assert xx.shape == yy.shape == (7, 7) and probabilities.shape == (7, 7, 2)
    with pytest.raises(ValueError, match="2-D points"):
        plot_decision_boundary(_nearest_centre([[0, 0], [1, 1]]), (np.zeros((4, 3)), np.zeros(4)), "unused.png")


def test_misclassified_table_of_tabular_samples(tmp_path):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 30)
    probabilities = softmax(rng.normal(size=(30, 3)) * 3)
    path = plot_misclassified_table(rng.normal(size=(30, 4)), y_true, probabilities, tmp_path / "table.png",
                                    class_names=["setosa", "versicolor", "virginica"], k=5)
    assert_png(path)
    with pytest.raises(ValueError, match="2 feature names for 4 features"):
        plot_misclassified_table(np.zeros((3, 4)), y_true[:3], probabilities[:3], tmp_path / "x.png", feature_names=["a", "b"])
