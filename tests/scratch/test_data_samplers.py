"""utils.data beyond test_data.py: default collation of nested samples against torch's, every sampler
(deterministic ones batch for batch against torch, random ones by their distributions), sampler= /
batch_sampler=, the worker options' checks and in-process worker, and the dataset combinators."""

from __future__ import annotations

import collections
import inspect

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import neuralab.scratch as T
import neuralab.scratch.utils.data as sdata
from harness import assert_close

Point = collections.namedtuple("Point", ["x", "y"])


def sample(i, E):
    """One sample of every kind default_collate handles, as a training script's Dataset returns."""
    rng = np.random.default_rng(i)
    image = rng.standard_normal((2, 3)).astype(np.float32)
    return (
        image,                                                     # NumPy array
        E.from_numpy(rng.standard_normal(4)),                      # engine tensor (float64)
        int(i), float(i) / 3, bool(i % 2), f"name{i}",             # Python scalars and a string
        {"label": np.int64(i), "mask": np.array([True, i % 2 == 0]), "parts": [np.float32(i), [i, i + 1]]},
        collections.OrderedDict(first=i, second=np.arange(3) * i),
        Point(x=float(i), y=np.array([i], dtype=np.int16)),
        [[1.0 * i, 2.0], [3.0, 4.0 * i]],                          # nested lists
    )


def assert_same_structure(expected, actual, where="batch"):
    """torch's collated batch vs scratch's: same container types, same tensors (shape, dtype, values)."""
    if isinstance(expected, torch.Tensor):
        assert_close(expected, actual, label=where)
        return
    if isinstance(expected, (str, int, float, bool)) or expected is None:
        assert type(actual) is type(expected) and actual == expected, where
        return
    if isinstance(expected, tuple) and hasattr(expected, "_fields"):
        assert type(actual) is type(expected), where
    elif isinstance(expected, dict):
        assert type(actual).__name__ == type(expected).__name__ and list(actual) == list(expected), where
        for key in expected:
            assert_same_structure(expected[key], actual[key], f"{where}[{key!r}]")
        return
    else:
        assert type(actual) is type(expected), f"{where}: {type(actual).__name__} vs torch {type(expected).__name__}"
    assert len(actual) == len(expected), where
    for i, (e, a) in enumerate(zip(expected, actual)):
        assert_same_structure(e, a, f"{where}[{i}]")


def test_default_collate_matches_torch():
    torch_batch = tdata.default_collate([sample(i, torch) for i in range(5)])
    scratch_batch = sdata.default_collate([sample(i, T) for i in range(5)])
    assert_same_structure(torch_batch, scratch_batch)


class PairDataset:
    """Map-style dataset of (features, {"y": label}) made from NumPy, for either engine's loader."""

    def __init__(self, n=23):
        rng = np.random.default_rng(1)
        self.x = rng.standard_normal((n, 3))
        self.y = rng.integers(0, 4, n)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], {"y": int(self.y[i])}


@pytest.mark.parametrize("options", [
    {"batch_size": 5},
    {"batch_size": 5, "drop_last": True},
    {"batch_size": None},
    {"sampler": [3, 1, 4, 1, 5, 9, 2, 6], "batch_size": 3},
    {"batch_sampler": [[0, 1], [7, 3, 2], [22]]},
], ids=["batches", "drop_last", "no_auto_batching", "sampler_list", "batch_sampler_list"])
def test_deterministic_loaders_give_torchs_batches(options):
    dataset = PairDataset()
    torch_batches = list(tdata.DataLoader(dataset, **options))
    scratch_batches = list(sdata.DataLoader(dataset, **options))
    assert len(scratch_batches) == len(torch_batches) == len(sdata.DataLoader(dataset, **options))
    for i, (e, a) in enumerate(zip(torch_batches, scratch_batches)):
        assert_same_structure(e, a, f"batch {i}")


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_and_sequential_samplers_match_torch(drop_last):
    for n, size in ((10, 3), (9, 3), (1, 4)):
        expected = list(tdata.BatchSampler(tdata.SequentialSampler(range(n)), size, drop_last))
        got = list(sdata.BatchSampler(sdata.SequentialSampler(range(n)), size, drop_last))
        assert got == expected
        assert len(sdata.BatchSampler(sdata.SequentialSampler(range(n)), size, drop_last)) == len(expected)


def seeded(seed=0):
    return T.Generator().manual_seed(seed)


def test_random_sampler_permutations_and_draws():
    data = range(10)
    epoch = list(sdata.RandomSampler(data, generator=seeded()))
    assert sorted(epoch) == list(range(10)) and epoch != list(range(10))
    assert list(sdata.RandomSampler(data, generator=seeded())) == epoch  # seeded: reproducible
    sampler = sdata.RandomSampler(data, generator=seeded())
    assert list(sampler) != list(sampler)  # a fresh permutation each epoch
    longer = list(sdata.RandomSampler(data, num_samples=25, generator=seeded()))
    counts = np.bincount(longer, minlength=10)
    assert len(longer) == 25 and counts.min() == 2 and counts.max() == 3  # two full permutations + 5
    drawn = list(sdata.RandomSampler(data, replacement=True, num_samples=500, generator=seeded()))
    assert len(drawn) == 500 and set(drawn) == set(range(10)) and len(sdata.RandomSampler(data, True, 7)) == 7


def test_subset_random_sampler():
    indices = [4, 8, 15, 16, 23, 42]
    order = list(sdata.SubsetRandomSampler(indices, generator=seeded(3)))
    assert sorted(order) == indices and len(sdata.SubsetRandomSampler(indices)) == 6


def test_weighted_random_sampler_follows_the_weights():
    weights = [0.0, 1.0, 2.0, 3.0, 4.0]
    draws = np.array(list(sdata.WeightedRandomSampler(weights, 20000, generator=seeded(1))))
    share = np.bincount(draws, minlength=5) / len(draws)
    assert share[0] == 0.0
    # 20000 draws: each share's standard error is below 0.0035, so 0.015 is over 4 sigma
    np.testing.assert_allclose(share, np.array(weights) / 10, atol=0.015)
    unique = list(sdata.WeightedRandomSampler(weights, 4, replacement=False, generator=seeded(2)))
    assert sorted(unique) == [1, 2, 3, 4]
    loader = sdata.DataLoader(PairDataset(5), batch_size=2, sampler=sdata.WeightedRandomSampler(weights, 6))
    assert [len(b[0]) for b in loader] == [2, 2, 2]


@pytest.mark.parametrize("make", [
    lambda D: D.RandomSampler(range(3), replacement=1),
    lambda D: D.RandomSampler(range(3), num_samples=0),
    lambda D: D.WeightedRandomSampler([1.0, 2.0], num_samples=-1),
    lambda D: D.WeightedRandomSampler([1.0, 2.0], num_samples=2, replacement="yes"),
    lambda D: D.WeightedRandomSampler([[1.0, 2.0]], num_samples=2),
    lambda D: D.BatchSampler(range(3), batch_size=0, drop_last=False),
    lambda D: D.BatchSampler(range(3), batch_size=2, drop_last=None),
    lambda D: D.DataLoader(range(3), num_workers=-1),
    lambda D: D.DataLoader(range(3), prefetch_factor=2),
    lambda D: D.DataLoader(range(3), persistent_workers=True),
    lambda D: D.DataLoader(range(3), timeout=-1),
    lambda D: D.DataLoader(range(3), num_workers=1, prefetch_factor=-1),
    lambda D: D.DataLoader(range(3), sampler=[0, 1], shuffle=True),
    lambda D: D.DataLoader(range(3), batch_sampler=[[0]], batch_size=2),
], ids=["replacement_type", "num_samples", "weighted_num_samples", "weighted_replacement", "weighted_shape",
        "batch_size", "drop_last", "num_workers", "prefetch_without_workers", "persistent_without_workers",
        "timeout", "prefetch_negative", "sampler_and_shuffle", "batch_sampler_and_batch_size"])
def test_invalid_options_raise_torchs_errors(make):
    with pytest.raises((ValueError, TypeError)) as torch_error:
        make(tdata)
    with pytest.raises((ValueError, TypeError)) as scratch_error:
        make(sdata)
    assert type(scratch_error.value) is type(torch_error.value)
    assert str(scratch_error.value) == str(torch_error.value)


# ---------------------------------------------------------------- workers: the in-process fallback

class ShardedStream(tdata.IterableDataset):
    """Yields 0..n-1, each worker its own stride (torch's documented sharding recipe).

    It subclasses torch's IterableDataset; the scratch loader gets the same stream from ScratchShardedStream.
    """

    def __init__(self, n, info):
        self.n, self.info = n, info

    def __iter__(self):
        worker = self.info()
        start, step = (0, 1) if worker is None else (worker.id, worker.num_workers)
        return iter(range(start, self.n, step))


class ScratchShardedStream(sdata.IterableDataset):
    def __init__(self, n):
        self.inner = ShardedStream(n, sdata.get_worker_info)

    def __iter__(self):
        return iter(self.inner)


def test_worker_options_run_in_process_and_shard_like_torch():
    torch_items = sorted(torch.cat(list(tdata.DataLoader(ShardedStream(20, tdata.get_worker_info), batch_size=4,
                                                         num_workers=2))).tolist())
    scratch_items = torch.cat([torch.from_numpy(b.numpy()) for b in sdata.DataLoader(
        ScratchShardedStream(20), batch_size=4, num_workers=2, prefetch_factor=4)]).tolist()
    assert scratch_items == torch_items == list(range(20))

    seen = []
    loader = sdata.DataLoader(PairDataset(6), batch_size=3, num_workers=3, worker_init_fn=lambda wid: seen.append(
        (wid, sdata.get_worker_info().id, sdata.get_worker_info().num_workers)))
    for _ in range(2):
        batches = list(loader)
    assert seen == [(0, 0, 1), (0, 0, 1)] and len(batches) == 2  # called once per epoch
    assert sdata.get_worker_info() is None  # the main process, outside the iteration
    persistent = []
    loader = sdata.DataLoader(PairDataset(6), batch_size=3, num_workers=1, persistent_workers=True,
                              worker_init_fn=persistent.append, pin_memory=True)
    for _ in range(3):
        list(loader)
    assert persistent == [0] and loader.prefetch_factor == 2


def test_worker_info_is_not_visible_between_batches():
    loader = iter(sdata.DataLoader(ScratchShardedStream(4), batch_size=2, num_workers=2))
    next(loader)
    assert sdata.get_worker_info() is None


# ---------------------------------------------------------------- datasets

class Squares(sdata.Dataset):
    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.offset + i * i


class Stream(sdata.IterableDataset):
    def __init__(self, items):
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)


def test_subset_concat_and_chain():
    both = Squares(3) + Squares(4, offset=100)
    assert isinstance(both, sdata.ConcatDataset) and len(both) == 7 and both.cumulative_sizes == [3, 7]
    assert [both[i] for i in range(7)] == [0, 1, 4, 100, 101, 104, 109] and both[-1] == 109
    with pytest.raises(ValueError, match="absolute value of index"):
        both[-8]  # noqa: B018
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        sdata.ConcatDataset([Squares(2), Stream([1])])
    subset = sdata.Subset(both, [6, 0, 3])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [109, 0, 100]
    chained = Stream([1, 2]) + Stream([3])
    assert isinstance(chained, sdata.ChainDataset) and list(chained) == [1, 2, 3] and len(chained) == 3
    assert [b.tolist() for b in sdata.DataLoader(chained, batch_size=2)] == [[1, 2], [3]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        sdata.DataLoader(chained, shuffle=True)


@pytest.mark.parametrize("name", ["DataLoader", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                                  "WeightedRandomSampler", "BatchSampler", "Subset", "ConcatDataset", "ChainDataset",
                                  "TensorDataset"])
def test_signature_matches_torch(name):
    def described(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()]
    assert described(getattr(sdata, name)) == described(getattr(tdata, name))
