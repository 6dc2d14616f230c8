"""A recurrent one-step forecaster: a window of past values -> the change to the next one.

    x: (N, L, 1) the last L values (standardized)
    h = LSTM^layers(x)[:, -1]            (N, hidden)
    delta = W h + b                      (N, 1): predicted (y_{t+1} - y_t) / scale

Predicting the change rather than the level makes "no change" (the naive forecast) the
zero output, which the network then has to improve on.
"""

from __future__ import annotations

from types import ModuleType


def build(T: ModuleType, hidden: int = 32, layers: int = 1, cell: str = "lstm", dropout: float = 0.0):
    """Build the forecaster (``cell``: ``"lstm"`` or ``"gru"``)."""
    if cell not in ("lstm", "gru"):
        raise ValueError(f"forecaster cell must be 'lstm' or 'gru'; got {cell!r}")
    if min(hidden, layers) < 1:
        raise ValueError(f"forecaster needs hidden, layers >= 1; got {hidden}, {layers}")
    recurrent = T.nn.LSTM if cell == "lstm" else T.nn.GRU

    class Forecaster(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = recurrent(1, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
            self.head = T.nn.Linear(hidden, 1)

        def forward(self, x):
            output, _ = self.rnn(x)
            return self.head(output[:, -1])

    return Forecaster()
