"""The real MNIST and Fashion-MNIST, from the user's cache (fetched if obtainable)."""

import numpy as np
import pytest

from neuralab import data
from neuralab.data import fashion_mnist, idx_sets, mnist

CASES = [
    (mnist.SPEC, (50_000, 10_000, 10_000), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]),
    (fashion_mnist.SPEC, (55_000, 5_000, 10_000), [1000] * 10),
]


@pytest.mark.parametrize("spec, sizes, test_counts", CASES, ids=[c[0].name for c in CASES])
def test_real_dataset(user_data_home, spec, sizes, test_counts):
    if idx_sets.cache_state(spec) == "missing":
        try:
            data.fetch(spec.name)
        except data.SourceUnavailableError as error:
            pytest.skip(f"{spec.name} is not cached in {data.data_home()} and cannot be obtained here: {error}")
    splits = data.load(spec.name)
    assert (len(splits.train), len(splits.val), len(splits.test)) == sizes
    assert splits.input_shape == (1, 28, 28) and splits.num_classes == 10
    assert splits.sha256 == dict(spec.sha256)
    for split in (splits.train, splits.val, splits.test):
        assert split.x.dtype == np.float32 and split.x.shape[1:] == (1, 28, 28)
        assert split.y.dtype == np.int64 and split.y.min() == 0 and split.y.max() == 9
        assert split.x.min() == 0.0 and split.x.max() == 1.0
    assert np.bincount(splits.test.y).tolist() == test_counts
    (row,) = [row for row in data.cached() if row.name == spec.name]
    assert row.verified and row.sha256 == tuple(spec.sha256[f] for f in row.files)
