"""``nn.utils.rnn``: padding and packing variable-length sequences for the recurrent layers.

A :class:`PackedSequence` stores a batch of sequences of different lengths time step by
time step, longest first: ``data`` (sum of lengths, *) holds step 0 of every sequence,
then step 1 of every sequence still running, ...; ``batch_sizes[t]`` is how many
sequences run at step ``t``.  ``sorted_indices`` (lengths descending) and its inverse
``unsorted_indices`` map back to the caller's order (None when the caller sorted).
Packing and unpacking are row gathers (``index_select``), so gradients flow through both.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ...creation import zeros
from ...ops.indexing import index_select
from ...ops.shape import cat, reshape, stack, transpose
from ...tensor import Tensor, _wrap


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """Packed variable-length batch (see the module docstring); what RNN/LSTM/GRU accept and return."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _wrap(np.argsort(sorted_indices._data).astype(np.int64))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        return type(self)(self.data.to(*args, **kwargs), self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    @property
    def is_cuda(self) -> bool:
        return False


def _lengths(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        return lengths._data.astype(np.int64).reshape(-1)
    return np.asarray(lengths, dtype=np.int64).reshape(-1)


def _time_major_rows(lengths: np.ndarray, order: np.ndarray, batch: int) -> tuple:
    """(row of each packed element in the flattened (T*B) time-major padding, batch_sizes)."""
    batch_sizes = np.array([(lengths > t).sum() for t in range(int(lengths.max()))], dtype=np.int64)
    rows = np.concatenate([t * batch + order[:n] for t, n in enumerate(batch_sizes)])
    return rows, batch_sizes


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of ``lengths``."""
    lens = _lengths(lengths)
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to "
                               "sidestep this requirement if you do not need ONNX exportability.")
        order, sorted_indices = np.arange(len(lens)), None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _wrap(order.astype(np.int64))
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    x = transpose(input, 0, 1) if batch_first else input
    steps, batch = x.shape[0], x.shape[1]
    if lens.max() > steps:
        raise RuntimeError(f"Expected sequence length to be smaller than or equal to the input's sequence "
                           f"length {steps}, but got {int(lens.max())}")
    data, batch_sizes = pack_rows(x, lens, order)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def pack_rows(x, lengths: np.ndarray, order: np.ndarray) -> tuple:
    """(data, batch_sizes) of the time-major padded ``x (T, B, *)``, sequences taken in ``order``."""
    steps, batch = x.shape[0], x.shape[1]
    rows, batch_sizes = _time_major_rows(lengths[order], order, batch)
    data = index_select(reshape(x, (steps * batch, *x.shape[2:])), 0, _wrap(rows))
    return data, _wrap(batch_sizes)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of :func:`pack_padded_sequence`: ``(padded, lengths)`` in the caller's order."""
    data, batch_sizes = sequence.data, sequence.batch_sizes._data
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = int(total_length)
    order = (np.arange(batch) if sequence.sorted_indices is None else sequence.sorted_indices._data)
    sorted_lengths = np.array([(batch_sizes > b).sum() for b in range(batch)], dtype=np.int64)
    rows, _ = _time_major_rows(sorted_lengths, order, batch)
    # each padded slot reads its packed row, or the one padding row appended at the end
    source = np.full(steps * batch, data.shape[0], dtype=np.int64)
    source[rows] = np.arange(rows.size)
    pad_row = zeros((1, *data.shape[1:]), dtype=data.dtype) + padding_value
    flat = index_select(cat([data, pad_row], 0), 0, _wrap(source))
    padded = reshape(flat, (steps, batch, *data.shape[1:]))
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = sorted_lengths
    return (transpose(padded, 0, 1) if batch_first else padded), _wrap(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` with ``batch_first``)."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        fill = longest - s.shape[0]
        if fill:
            pad = zeros((fill, *s.shape[1:]), dtype=s.dtype) + padding_value
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of unpadded sequences ``(L_i, *)`` of a padded batch."""
    x = padded_sequences if batch_first else transpose(padded_sequences, 0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors ``(L_i, *)``: :func:`pad_sequence` then :func:`pack_padded_sequence`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a :class:`PackedSequence`, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
