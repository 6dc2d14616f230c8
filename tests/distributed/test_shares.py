"""How a global batch is split between processes (no processes launched: RANK/WORLD_SIZE set by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from neuralab.train import distributed


def as_rank(monkeypatch, rank: int, world: int) -> None:
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world))


def test_the_shares_of_a_batch_cover_it_once_in_order(monkeypatch):
    index = np.array([9, 4, 7, 1, 3, 8, 0])
    shares = []
    for rank in range(3):
        as_rank(monkeypatch, rank, 3)
        shares.append(distributed.share(index))
    assert [len(s) for s in shares] == [3, 2, 2]
    np.testing.assert_array_equal(np.concatenate(shares), index)


def test_a_batch_source_batch_is_split_along_its_first_axis(monkeypatch):
    x, y = np.arange(12).reshape(6, 2), np.arange(6)
    as_rank(monkeypatch, 1, 2)
    xs, ys, none = distributed.share_batch((x, y, None))
    np.testing.assert_array_equal(xs, x[3:])
    np.testing.assert_array_equal(ys, y[3:])
    assert none is None


def test_one_process_keeps_everything(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    index = np.arange(5)
    assert distributed.share(index) is index
    distributed.check_batches(5, 4)  # a last batch of 1 is fine alone


@pytest.mark.parametrize(("n", "batch", "expected"), [
    (10, 1, "batch_size 1 is smaller than the 2 processes"),
    (9, 4, "the last batch of 1 samples (9 samples, batch_size 4) cannot feed 2 processes"),
])
def test_batches_that_would_leave_a_process_empty_are_refused(monkeypatch, n, batch, expected):
    as_rank(monkeypatch, 0, 2)
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        distributed.check_batches(n, batch)
    with pytest.raises(ValueError, match="cannot feed 2 processes"):
        distributed.share_batch((np.zeros((1, 3)),))


def test_cuda_means_the_local_gpu_in_a_distributed_run(monkeypatch):
    as_rank(monkeypatch, 3, 4)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert distributed.local_device("cuda") == "cuda:1"
    assert distributed.local_device("cuda:0") == "cuda:0" and distributed.local_device("cpu") == "cpu"
