"""utils.data: datasets, samplers, DataLoader batching/shuffling/drop_last, collate, random_split."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
import torch

import neuralab.scratch as T
from neuralab.scratch.utils.data import (
    BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler, Subset, TensorDataset, default_collate,
    random_split,
)


def dataset(n=10):
    x = T.arange(n * 2, dtype=T.float32).reshape(n, 2)
    y = T.arange(n)
    return TensorDataset(x, y)


def test_tensor_dataset_and_sequential_loader():
    ds = dataset()
    assert len(ds) == 10
    x0, y0 = ds[3]
    assert x0.tolist() == [6.0, 7.0] and y0.item() == 3
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    xb, yb = batches[0]
    assert xb.shape == (4, 2) and yb.tolist() == [0, 1, 2, 3] and yb.dtype == T.int64
    assert batches[-1][1].tolist() == [8, 9]
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(T.zeros(3), T.zeros(4))


def test_drop_last():
    loader = DataLoader(dataset(), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_seeded_shuffle_is_reproducible_and_a_permutation():
    ds = dataset(20)
    order = lambda seed: [i for _, y in DataLoader(ds, batch_size=6, shuffle=True,  # noqa: E731
                                                   generator=T.Generator().manual_seed(seed)) for i in y.tolist()]
    a, b, c = order(0), order(0), order(1)
    assert a == b and a != c and sorted(a) == list(range(20)) and a != list(range(20))
    loader = DataLoader(ds, batch_size=5, shuffle=True, generator=T.Generator().manual_seed(3))
    epoch1 = [i for _, y in loader for i in y.tolist()]
    epoch2 = [i for _, y in loader for i in y.tolist()]
    assert epoch1 != epoch2 and sorted(epoch1) == sorted(epoch2)
    # without a generator the order follows the global seed
    T.manual_seed(5)
    g1 = [i for _, y in DataLoader(ds, batch_size=20, shuffle=True) for i in y.tolist()]
    T.manual_seed(5)
    g2 = [i for _, y in DataLoader(ds, batch_size=20, shuffle=True) for i in y.tolist()]
    assert g1 == g2


class Pairs(Dataset):
    Sample = namedtuple("Sample", ["x", "label"])

    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 5

    def __getitem__(self, i):
        if self.kind == "numpy":
            return np.full(3, i, dtype=np.float32), i
        if self.kind == "float":
            return float(i) / 2, {"id": i, "name": f"item{i}"}
        if self.kind == "named":
            return self.Sample(T.ones(2) * i, i)
        return [T.tensor([i, i]), np.int64(i)]


def test_default_collate_structures_like_torch():
    xb, yb = next(iter(DataLoader(Pairs("numpy"), batch_size=3)))
    assert isinstance(xb, T.Tensor) and xb.shape == (3, 3) and xb.dtype == T.float32
    assert yb.dtype == T.int64 and yb.tolist() == [0, 1, 2]
    fb, meta = next(iter(DataLoader(Pairs("float"), batch_size=2)))
    assert fb.dtype == T.float64 and fb.tolist() == [0.0, 0.5]
    assert meta["id"].tolist() == [0, 1] and meta["name"] == ["item0", "item1"]
    named = next(iter(DataLoader(Pairs("named"), batch_size=2)))
    assert type(named).__name__ == "Sample" and named.x.shape == (2, 2) and named.label.tolist() == [0, 1]
    listed = next(iter(DataLoader(Pairs("list"), batch_size=4)))
    assert isinstance(listed, list) and listed[0].shape == (4, 2) and listed[1].tolist() == [0, 1, 2, 3]
    # same structures as torch's collate
    tb = torch.utils.data.default_collate([(np.ones(2, np.float32), 1), (np.zeros(2, np.float32), 2)])
    sb = default_collate([(np.ones(2, np.float32), 1), (np.zeros(2, np.float32), 2)])
    assert type(tb) is type(sb) and len(tb) == len(sb)
    assert str(tb[1].dtype).split(".")[-1] == str(sb[1].dtype).split(".")[-1]
    custom = DataLoader(dataset(), batch_size=3, collate_fn=lambda items: len(items))
    assert list(custom) == [3, 3, 3, 1]


def test_random_split_and_subset():
    ds = dataset(10)
    a, b = random_split(ds, [7, 3], generator=T.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3
    ids = sorted([a[i][1].item() for i in range(7)] + [b[i][1].item() for i in range(3)])
    assert ids == list(range(10))
    c, d, e = random_split(ds, [0.5, 0.3, 0.2], generator=T.Generator().manual_seed(0))
    assert (len(c), len(d), len(e)) == (5, 3, 2)
    a2, _ = random_split(ds, [7, 3], generator=T.Generator().manual_seed(0))
    assert a.indices == a2.indices
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 6])
    sub = Subset(ds, [9, 0])
    assert len(sub) == 2 and sub[0][1].item() == 9
    loader = DataLoader(sub, batch_size=2)
    assert next(iter(loader))[1].tolist() == [9, 0]


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    r = list(RandomSampler(range(6), generator=T.Generator().manual_seed(2)))
    assert sorted(r) == list(range(6))
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    loader = DataLoader(dataset(), batch_sampler=BatchSampler(SequentialSampler(range(10)), 5, False))
    assert len(loader) == 2
    single = DataLoader(dataset(3), batch_size=None)
    assert [y.item() for _, y in single] == [0, 1, 2]
