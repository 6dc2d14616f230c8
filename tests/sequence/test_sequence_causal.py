"""Causal models: the output at position t must not depend on tokens after t."""

from __future__ import annotations

import pytest
import torch

import neuralab.scratch as scratch
from neuralab import models
from neuralab.train.checkpoint import to_numpy


@pytest.mark.parametrize("T", [torch, scratch], ids=["torch", "scratch"])
def test_gpt_output_ignores_future_tokens(T):
    T.manual_seed(0)
    model = models.build("gpt", T, vocab_size=11, context=12, d_model=16, layers=2, heads=2, dropout=0.0)
    model.eval()
    a = T.tensor([[1, 2, 3, 4, 5, 6, 7, 8]])
    b = T.tensor([[1, 2, 3, 4, 9, 10, 0, 3]])  # differs from position 4 on
    with T.no_grad():
        out_a, out_b = to_numpy(model(a)), to_numpy(model(b))
    assert abs(out_a[0, :4] - out_b[0, :4]).max() < 1e-5
    assert abs(out_a[0, 4:] - out_b[0, 4:]).max() > 1e-4  # and the future does matter after the change


def test_gpt_refuses_inputs_longer_than_its_context():
    model = models.build("gpt", torch, vocab_size=5, context=4, d_model=8, layers=1, heads=2)
    with pytest.raises(ValueError, match="context is 4"):
        model(torch.zeros(1, 5, dtype=torch.long))


def test_seq2seq_decoder_is_causal_and_reads_the_source():
    torch.manual_seed(0)
    model = models.build("seq2seq_transformer", torch, src_vocab=20, tgt_vocab=9, d_model=16, heads=2,
                         encoder_layers=1, decoder_layers=2, ff=32, dropout=0.0, max_len=16)
    model.eval()
    src = torch.tensor([[4, 5, 6, 7, 0, 0]])
    tgt_a = torch.tensor([[1, 3, 4, 5, 6]])
    tgt_b = torch.tensor([[1, 3, 4, 8, 2]])
    with torch.no_grad():
        out_a, out_b = model(src, tgt_a), model(src, tgt_b)
        other_source = model(torch.tensor([[9, 9, 6, 7, 0, 0]]), tgt_a)
        longer_padding = model(torch.tensor([[4, 5, 6, 7, 0, 0, 0, 0]]), tgt_a)
    assert torch.allclose(out_a[:, :3], out_b[:, :3], atol=1e-5)
    assert not torch.allclose(out_a[:, 3:], out_b[:, 3:], atol=1e-4)
    assert not torch.allclose(out_a, other_source, atol=1e-4)
    assert torch.allclose(out_a, longer_padding, atol=1e-5)  # padding is masked out


def test_char_rnn_is_causal_and_carries_state():
    torch.manual_seed(0)
    model = models.build("char_rnn", torch, vocab_size=7, cell="gru", embed=4, hidden=8, layers=2, dropout=0.0)
    model.eval()
    x = torch.tensor([[1, 2, 3, 4, 5, 6]])
    with torch.no_grad():
        whole = model(x)
        first, state = model.forward_with_state(x[:, :3])
        rest, _ = model.forward_with_state(x[:, 3:], state)
    assert torch.allclose(whole, torch.cat([first, rest], dim=1), atol=1e-5)
