"""Training parity: an LSTM model and a small transformer train for 50 steps on both engines
from the same state_dict (float64, Adam) and give the same loss curve."""

from __future__ import annotations

import numpy as np
import torch

import neuralab.scratch as T
from harness import copy_state, engine_tensor

STEPS = 50


def _lstm_model(nn):
    class SeqRegressor(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 16, num_layers=2, batch_first=True, bidirectional=True)
            self.head = nn.Linear(32, 1)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.head(out[:, -1]) + h.sum() * 0 + c.mean()
    return SeqRegressor()


def _transformer_model(nn):
    class TinyClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(20, 16)
            layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, activation="gelu")
            self.encoder = nn.TransformerEncoder(layer, 2, nn.LayerNorm(16))
            self.head = nn.Linear(16, 5)

        def forward(self, tokens, mask):
            return self.head(self.encoder(self.embed(tokens), src_key_padding_mask=mask).mean(1))
    return TinyClassifier()


def _curves(build, batches, loss_fn):
    torch.manual_seed(0)
    tm = build(torch.nn).double()
    sm = build(T.nn).to(T.float64)
    copy_state(tm, sm)
    topt = torch.optim.Adam(tm.parameters(), lr=3e-3)
    sopt = T.optim.Adam(sm.parameters(), lr=3e-3)
    curves = []
    for lib, model, opt in ((torch, tm, topt), (T, sm, sopt)):
        def wrap(a, lib=lib):
            return engine_tensor(lib, a)
        losses = []
        for inputs, target in batches:
            opt.zero_grad()
            loss = loss_fn(lib, model(*[wrap(a) for a in inputs]), wrap(target))
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
        curves.append(np.array(losses))
    return curves


def test_lstm_trains_like_torch():
    rng = np.random.default_rng(0)
    batches = []
    for _ in range(STEPS):
        x = rng.standard_normal((8, 12, 3))
        batches.append(((x,), np.sin(x.sum(axis=(1, 2)))[:, None] * 0.5))
    mse = lambda lib, out, y: ((out - y) ** 2).mean()
    t_curve, s_curve = _curves(_lstm_model, batches, mse)
    np.testing.assert_allclose(s_curve, t_curve, rtol=1e-8, atol=1e-10)
    assert t_curve[-5:].mean() < t_curve[:5].mean()        # it actually learns


def test_transformer_trains_like_torch():
    rng = np.random.default_rng(1)
    batches = []
    for _ in range(STEPS):
        tokens = rng.integers(0, 20, (6, 9))
        mask = np.zeros((6, 9), dtype=bool)
        mask[rng.integers(0, 6, 2), -2:] = True
        batches.append(((tokens, mask), tokens[:, 0] % 5))
    ce = lambda lib, out, y: lib.nn.functional.cross_entropy(out, y)
    t_curve, s_curve = _curves(_transformer_model, batches, ce)
    np.testing.assert_allclose(s_curve, t_curve, rtol=1e-8, atol=1e-10)
    assert t_curve[-5:].mean() < t_curve[:5].mean()
