"""The network playground's data sets: shapes, labels and TF Playground's semantics."""

import numpy as np
import pytest

from neuralab.playground import create, datasets, defaults


def data_of(**settings):
    return datasets.generate({**defaults("network"), **settings})


def all_points(d):
    return np.concatenate([d["train_x"], d["test_x"]]), np.concatenate([d["train_y"], d["test_y"]])


@pytest.mark.parametrize("name", datasets.TF_CLASSIFICATION + datasets.OUR_CLASSIFICATION)
def test_classification_sets_have_tf_sizes_and_class_labels(name):
    x, y = all_points(data_of(dataset=name))
    assert x.shape == (500, 2) and y.shape == (500,)
    classes = 3 if name in datasets.MULTI_CLASS else 2
    assert set(np.unique(y)) == set(range(classes))
    assert np.abs(x).max() < 6.5   # inside TF's plane of radius 6 (gauss's tails aside)


@pytest.mark.parametrize("name", datasets.TF_REGRESSION)
def test_regression_sets_have_1200_points_with_targets_in_minus1_1(name):
    x, y = all_points(data_of(problem="regression", regDataset=name))
    assert x.shape == (1200, 2) and np.abs(x).max() <= 6
    assert -1.2 <= y.min() < 0 < y.max() <= 1.2


def test_tf_semantics_without_noise():
    x, y = all_points(data_of(dataset="circle"))
    r = np.linalg.norm(x, axis=1)
    assert np.all(r[y == 1] <= 2.5) and np.all((r[y == 0] >= 3.5) & (r[y == 0] <= 5))
    x, y = all_points(data_of(dataset="xor"))
    assert np.all((x[:, 0] * x[:, 1] >= 0) == (y == 1)) and np.abs(x).min() >= 0.3
    x, y = all_points(data_of(dataset="spiral"))
    assert np.linalg.norm(x, axis=1).max() <= 5
    x, y = all_points(data_of(dataset="gauss"))
    assert np.allclose(x[y == 1].mean(0), [2, 2], atol=0.3) and np.allclose(x[y == 0].mean(0), [-2, -2], atol=0.3)
    x, y = all_points(data_of(problem="regression", regDataset="reg-plane"))
    assert np.allclose(y, x.sum(1) / 10)


def test_noise_moves_labels_or_points_as_tf_does():
    x0, y0 = all_points(data_of(dataset="circle"))
    x1, y1 = all_points(data_of(dataset="circle", noise=50))
    # TF's circle noise decides the label from a moved point: some labels no longer follow the radius
    r1 = np.linalg.norm(x1, axis=1)
    assert np.mean((r1 < 2.5) != (y1 == 1)) > 0.05
    assert np.all((np.linalg.norm(x0, axis=1) < 2.5) == (y0 == 1))
    xs, _ = all_points(data_of(dataset="spiral", noise=50))
    assert np.linalg.norm(xs, axis=1).max() > 5   # spiral noise moves the points


def test_perc_train_data_splits_and_seed_reproduces():
    d = data_of(dataset="spiral", percTrainData=30)
    assert len(d["train_x"]) == 150 and len(d["test_x"]) == 350
    again = data_of(dataset="spiral", percTrainData=30)
    other = data_of(dataset="spiral", percTrainData=30, seed="0.123")
    assert np.array_equal(d["train_x"], again["train_x"])
    assert not np.array_equal(d["train_x"], other["train_x"])


def test_multi_class_sets_follow_classes_and_num_points():
    x, y = all_points(data_of(dataset="blobs", classes=5, numPoints=250))
    assert x.shape == (250, 2) and set(np.unique(y)) == set(range(5))


def test_drawn_points_are_used_as_given():
    points = [[1.0, 2.0, 0], [-1.0, -2.0, 1], [3.0, 0.5, 2], [0.0, 0.0, 1]]
    pg = create("network", {"dataset": "drawn", "points": points, "percTrainData": 50})
    shown = pg.points()
    assert shown["classes"] == 3 and len(shown["train"]) == 2 and len(shown["test"]) == 2
    assert sorted(map(tuple, shown["train"] + shown["test"])) == sorted(map(tuple, points))
