"""nn.utils.rnn (pad_sequence, pack_padded_sequence, pad_packed_sequence, pack_sequence,
unpack_sequence) and the recurrent layers on PackedSequences: parity with PyTorch,
values and gradients (inputs, initial states and every weight)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neuralab.scratch as S
from harness import check_functional, check_modules

R = np.random.default_rng(21)
LENGTHS = [3, 5, 2, 5]  # unsorted, with a tie


def rn(*shape):
    return R.standard_normal(shape)


def rnn_utils(F):
    return torch.nn.utils.rnn if F is torch.nn.functional else S.nn.utils.rnn


def fields(p):
    return (p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_then_pad(batch_first, dtype):
    x = rn(4, 5, 3) if batch_first else rn(5, 4, 3)

    def fn(F, x):
        u = rnn_utils(F)
        packed = u.pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False)
        padded, lengths = u.pad_packed_sequence(packed, batch_first=batch_first, padding_value=-1.0, total_length=6)
        return (*fields(packed), padded, lengths)
    check_functional("pack", fn, x, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pad_pack_unpack_sequence_lists(dtype):
    seqs = [rn(n, 2) for n in (4, 4, 2, 1)]

    def fn(F, *xs):
        u = rnn_utils(F)
        padded = u.pad_sequence(list(xs), batch_first=True, padding_value=0.5)
        left = u.pad_sequence(list(xs), padding_side="left")
        packed = u.pack_sequence(list(xs))  # sorted: no indices
        back = u.unpack_sequence(u.pack_sequence(list(xs)[::-1], enforce_sorted=False))
        return (padded, left, *fields(packed)[:2], *back)
    check_functional("pack", fn, *seqs, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind, kw", [
    ("LSTM", {"num_layers": 2}), ("GRU", {"bidirectional": True}), ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {"bidirectional": True, "batch_first": True}),
])
def test_recurrent_layers_on_packed_sequences(kind, kw, dtype):
    tm = getattr(torch.nn, kind)(3, 4, **kw)
    sm = getattr(S.nn, kind)(3, 4, **kw)
    batch_first = kw.get("batch_first", False)
    x = rn(4, 5, 3) if batch_first else rn(5, 4, 3)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h0 = rn(layers, 4, 4)

    def call(module, x, h):
        T = torch if isinstance(module, torch.nn.Module) else S
        u = T.nn.utils.rnn
        packed = u.pack_padded_sequence(x, LENGTHS, batch_first=batch_first, enforce_sorted=False)
        out, state = module(packed, (h, h * 0.5) if kind == "LSTM" else h)
        padded, _ = u.pad_packed_sequence(out, batch_first=batch_first)
        return (*fields(out), padded, *(state if kind == "LSTM" else (state,)))
    check_modules("packed rnn", tm, sm, x, h0, dtype=dtype, call=call)


def test_sorted_input_keeps_no_indices_and_refuses_unsorted_lengths():
    x = S.zeros(5, 3, 2)
    p = S.nn.utils.rnn.pack_padded_sequence(x, [5, 3, 1])
    assert p.sorted_indices is None and p.unsorted_indices is None
    for T in (torch, S):
        with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
            T.nn.utils.rnn.pack_padded_sequence(T.zeros(5, 3, 2), [3, 5, 1])
