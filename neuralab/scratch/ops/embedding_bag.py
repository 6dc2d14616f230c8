"""``F.embedding_bag``: the sum, mean or max of the embeddings of each bag of indices, without
materialising the per-bag sequences (torch's EmbeddingBag, the text-classification layer).

Bags are the rows of a 2-D ``input (B, N)``, or slices ``[offsets[i], offsets[i + 1])`` of a
1-D ``input``.  Sum and mean are one product ``M @ E`` of the looked-up rows ``E`` with a
constant ``(B, n)`` bag matrix (``1`` or ``1 / |bag|`` per member); max reduces each bag.
Entries equal to ``padding_idx`` belong to no bag.
"""

from __future__ import annotations

import numpy as np

from ..creation import zeros
from ..tensor import _wrap
from .embedding import embedding
from .linalg import matmul
from .reduce import amax
from .shape import stack


def _bags(input, offsets, include_last_offset) -> tuple:
    """(flat indices, bag id of each) from the 2-D or 1-D + offsets form."""
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("offsets has to be None if input is 2D, but got offsets of shape "
                             f"{list(offsets._data.shape)}")
        b, n = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(b), n), b
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    starts = offsets._data.astype(np.int64).reshape(-1)
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(starts[0])}")
    if include_last_offset:
        starts, count = starts[:-1], len(starts) - 1
    else:
        count = len(starts)
    bag = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
    return idx, bag, count


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """``(B, D)``: the ``mode`` ('sum', 'mean', 'max') over each bag of rows of ``weight (V, D)``
    (``per_sample_weights`` scale each row first, 'sum' only); an empty bag gives zeros."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  "on GitHub.")
    flat, bag, count = _bags(input, offsets, include_last_offset)
    num = weight._data.shape[0]
    if padding_idx is not None:
        padding_idx = int(padding_idx) % num
    keep = np.ones(flat.shape, dtype=bool) if padding_idx is None else flat != padding_idx
    rows = embedding(_wrap(flat), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1)
    if mode == "max":
        empty = zeros(weight._data.shape[1], dtype=weight.dtype)
        members = [np.nonzero((bag == i) & keep)[0] for i in range(count)]
        return stack([amax(rows[_wrap(m)], 0) if m.size else empty for m in members], 0)
    member = np.zeros((count, flat.size), dtype=weight._data.dtype)
    member[bag[keep], np.nonzero(keep)[0]] = 1
    if mode == "mean":
        sizes = member.sum(axis=1, keepdims=True)
        member = member / np.maximum(sizes, 1)
    return matmul(_wrap(member), rows)
