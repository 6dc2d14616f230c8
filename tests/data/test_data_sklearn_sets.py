import hashlib

import numpy as np
import pytest

from neuralab import data

pytest.importorskip("sklearn", reason="digits/iris need scikit-learn (pip install 'neuralab[data]')")

# The split indices are fixed forever; if these change, every recorded result moves.
SPLIT_SHA256 = {
    "digits": "431857ed6cd57972774e1bb6516662b2c6b329c2d3dda429b2d206ab440b0cc4",
    "iris": "e619949dd1867561ab2e41147c59c9bdba1b22dcd451f34cc1999c264842b148",
}


def _split_digest(splits):
    digest = hashlib.sha256()
    for split in (splits.train, splits.val, splits.test):
        digest.update(np.ascontiguousarray(split.x, "<f4").tobytes() + split.y.astype("<i8").tobytes())
    return digest.hexdigest()


@pytest.mark.parametrize("name, sizes, shape, classes",
                         [("digits", (1259, 179, 359), (1, 8, 8), 10), ("iris", (105, 15, 30), (4,), 3)])
def test_fixed_stratified_splits(name, sizes, shape, classes):
    splits = data.load(name)
    assert (len(splits.train), len(splits.val), len(splits.test)) == sizes
    assert splits.input_shape == shape and splits.num_classes == classes
    assert splits.train.x.dtype == np.float32 and splits.test.y.dtype == np.int64
    assert _split_digest(splits) == SPLIT_SHA256[name]
    assert _split_digest(data.load(name)) == SPLIT_SHA256[name]
    for split in (splits.train, splits.val, splits.test):  # stratified: every class in every split
        assert len(np.unique(split.y)) == classes
    assert _split_digest(data.load(name, seed=1)) != SPLIT_SHA256[name]


def test_splits_are_disjoint_and_complete():
    splits = data.load("iris")
    rows = np.concatenate([s.x for s in (splits.train, splits.val, splits.test)])
    assert len(rows) == 150
    test_fraction = np.bincount(splits.test.y) / np.bincount(np.concatenate([s.y for s in (splits.train, splits.val, splits.test)]))
    np.testing.assert_allclose(test_fraction, 0.2)


def test_digits_range_and_checksum():
    splits = data.load("digits")
    assert splits.train.x.min() == 0.0 and splits.train.x.max() == 1.0
    assert splits.sha256 == {"content": data.checksums.DIGITS_SHA256}
    info = data.fetch("digits")
    assert info.action == "bundled" and info.counts == {"train": 1259, "val": 179, "test": 359}
