"""Counting and binning (integer results, no gradient): bincount, searchsorted, histc."""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap


def bincount(input, weights=None, minlength: int = 0):
    """``out[v]`` = how many times (or the summed ``weights`` where) ``v`` occurs in the 1-D
    non-negative integer ``input``; length ``max(input) + 1`` or ``minlength``."""
    x = input._data
    if x.ndim != 1 or x.dtype.kind not in "iub" or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    out = np.bincount(x, weights=w, minlength=minlength)
    if w is None:
        return _wrap(out.astype(np.int64))
    return _wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices into the last dim of ``sorted_sequence`` that keep it sorted
    (``right``/``side='right'``: after equal values)."""
    seq = sorted_sequence._data
    values = input._data if hasattr(input, "_data") else np.asarray(input)
    if side is not None:
        right = side == "right"
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=how)
    else:
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(flat_s, flat_v)]).reshape(values.shape)
    return _wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def histc(input, bins: int = 100, min: float = 0, max: float = 0):  # noqa: A002
    """Histogram of ``bins`` equal-width bins over ``[min, max]`` (the data's range when both
    are 0); values outside are ignored."""
    x = input._data
    lo, hi = float(min), float(max)
    if lo == hi == 0 and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(x[(x >= lo) & (x <= hi)], bins=bins, range=(lo, hi))
    return _wrap(counts.astype(x.dtype))
