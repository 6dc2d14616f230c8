import numpy as np
import pytest

from neuralab import data
from neuralab.data import toy

GENERATORS = {name: generate for name, (generate, _, _) in toy.GENERATORS.items()}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_shape_dtype_and_seed_reproducibility(name):
    generate = GENERATORS[name]
    x, y = generate(101, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    x2, y2 = generate(101, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, generate(101, seed=4)[0])


@pytest.mark.parametrize("name", ["xor", "circles", "moons", "spirals", "gaussians"])
def test_classes_are_balanced(name):
    _, y = GENERATORS[name](401, seed=0)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1 and len(counts) >= 2


def test_and_has_each_corner_equally_often():
    x, y = toy.and_(400, noise=0)
    corners, counts = np.unique(x, axis=0, return_counts=True)
    assert len(corners) == 4 and set(counts) == {100} and y.sum() == 100


def test_truth_tables_without_noise():
    x, y = toy.xor(4, noise=0)
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    np.testing.assert_array_equal(toy.and_(4, noise=0)[1], [0, 0, 0, 1])


def test_noise_free_points_lie_on_their_shapes():
    x, y = toy.circles(200, noise=0, factor=0.3)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.where(y == 0, 1.0, 0.3), rtol=1e-6)
    x, _ = toy.ring(200, radius=2.0, noise=0)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 2.0, rtol=1e-6)
    x, y = toy.gaussians(80, k=4, radius=3.0, std=0)
    centres = 3.0 * np.stack([np.cos(np.pi / 2 * y), np.sin(np.pi / 2 * y)], 1)
    np.testing.assert_allclose(x, centres, atol=1e-6)
    x, y = toy.moons(200, noise=0)
    upper = x[y == 0]
    np.testing.assert_allclose(np.linalg.norm(upper, axis=1), 1.0, rtol=1e-6)
    x, _ = toy.spirals(200, k=3, noise=0)
    assert np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-6


def test_noise_is_the_standard_deviation():
    x, _ = toy.ring(20000, radius=2.0, noise=0.1, seed=0)
    clean, _ = toy.ring(20000, radius=2.0, noise=0.0, seed=0)  # same angles: same seed stream
    residual = x - clean
    assert abs(residual.std() - 0.1) < 0.005 and abs(residual.mean()) < 0.005
    wide, _ = toy.moons(2000, noise=0.5, seed=0)
    narrow, _ = toy.moons(2000, noise=0.01, seed=0)
    assert wide.std() > narrow.std()


def test_sample_circle_matches_the_curriculum_signature():
    x = toy.sample_circle(500)
    assert x.shape == (500, 2) and x.dtype == np.float32
    assert abs(np.linalg.norm(x, axis=1).mean() - 2.0) < 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="noise is a standard deviation"):
        toy.moons(10, noise=-1)
    with pytest.raises(ValueError, match="k \\(number of arms\\)"):
        toy.spirals(10, k=0)


def test_load_splits_sizes_and_options():
    splits = data.load("spirals", n=300, k=3, noise=0.2, seed=7)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (300, 60, 60)
    assert splits.num_classes == 3 and splits.input_shape == (2,) and "seed=7" in splits.source
    again = data.load("spirals", n=300, k=3, noise=0.2, seed=7)
    np.testing.assert_array_equal(splits.test.x, again.test.x)
    xor = data.load("xor", n=4, n_val=0, n_test=0, noise=0)
    np.testing.assert_array_equal(xor.train.y, [0, 1, 1, 0])
    assert len(xor.val) == 0
