import numpy as np
import pytest

from neuralab import data
from neuralab.data.transforms import train_statistics


def test_flatten_and_map():
    splits = data.load("moons", n=10).map(lambda x: x.reshape(len(x), 1, 2, 1))
    assert splits.input_shape == (1, 2, 1)
    flat = splits.map(data.flatten)
    assert flat.train.x.shape == (10, 2) and flat.input_shape == (2,)


def test_standardize_uses_training_statistics_only():
    splits = data.load("gaussians", n=400, radius=5.0, std=0.5)
    standard = data.standardize(splits)
    np.testing.assert_allclose(standard.train.x.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(standard.train.x.std(0), 1, atol=1e-4)
    mean, std = train_statistics(splits.train.x)
    np.testing.assert_allclose(standard.test.x, (splits.test.x - mean) / std, rtol=1e-6)
    assert standard.test.x.dtype == np.float32


def test_constant_features_do_not_divide_by_zero():
    mean, std = train_statistics(np.ones((5, 3), np.float32))
    np.testing.assert_array_equal(std, 1.0)


def test_one_hot():
    np.testing.assert_array_equal(data.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="labels must be in \\[0, 3\\)"):
        data.one_hot(np.array([3]), 3)
