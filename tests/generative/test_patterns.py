"""The 16x16 pattern images and their noise."""

from __future__ import annotations

import numpy as np
import pytest

from neuralab import data
from neuralab.data import patterns


def test_pattern_kinds_look_right():
    vertical = patterns.pattern_image("vertical", 16, stripe_width=2)
    np.testing.assert_array_equal(vertical[0], [1, 1, 0, 0] * 4)
    assert (vertical == vertical[0]).all(), "vertical stripes: every row the same"
    np.testing.assert_array_equal(patterns.pattern_image("horizontal", 16, 3)[:, 5], [1, 1, 1, 0, 0, 0] * 2 + [1, 1, 1, 0])
    board = patterns.pattern_image("checkerboard", 16)
    assert board[0, 0] == 1 and board[0, 4] == 0 and board[4, 4] == 1 and board.mean() == 0.5
    gradient = patterns.pattern_image("gradient", 16)
    np.testing.assert_allclose(gradient[:, 3], np.linspace(0, 1, 16))
    with pytest.raises(ValueError, match="unknown pattern kind"):
        patterns.pattern_image("spiral")


def test_dataset_shapes_values_and_seed():
    x, y = patterns.patterns(40, seed=1)
    assert x.shape == (40, 1, 16, 16) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0 and set(y) <= {0, 1, 2, 3}
    again, _ = patterns.patterns(40, seed=1)
    np.testing.assert_array_equal(x, again)
    splits = data.load("patterns", n=20, n_val=5, n_test=7)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (20, 5, 7)
    assert splits.input_shape == (1, 16, 16) and splits.classes == patterns.KINDS


def test_noise_is_clipped_to_the_unit_interval():
    clean, _ = patterns.patterns(50, seed=0)
    noisy = patterns.add_noise(clean, 0.3, seed=0)
    assert noisy.shape == clean.shape and noisy.dtype == np.float32
    assert noisy.min() == 0.0 and noisy.max() == 1.0
    assert 0.02 < np.mean((noisy - clean) ** 2) < 0.09  # clipping halves the noise on 0/1 pixels
    np.testing.assert_array_equal(patterns.add_noise(clean, 0.3, seed=0), noisy)
