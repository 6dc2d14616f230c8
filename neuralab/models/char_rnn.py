"""A character-level recurrent language model: embedding -> RNN/LSTM/GRU stack -> linear head.

The curriculum's CharRNN (seed-inventory 2.3, R3-R5), one file for all three cells::

    idx: (N, L) token ids
    e = Embedding(idx)                        (N, L, embed)
    h, state = Cell^layers(e, state)          (N, L, hidden); dropout between layers
    logits = W dropout(h) + b                 (N, L, vocab); softmax lives in the loss

``forward(idx)`` returns the logits; ``forward_with_state(idx, state)`` also returns the
final recurrent state, so a sampler (or truncated backpropagation through time) can carry
it from one chunk of text to the next.
"""

from __future__ import annotations

from types import ModuleType

CELLS = ("rnn", "lstm", "gru")


def build(T: ModuleType, vocab_size: int = 65, cell: str = "lstm", embed: int = 64, hidden: int = 512,
          layers: int = 2, dropout: float = 0.2):
    """Build the CharRNN.

    Args:
        vocab_size: number of distinct tokens (set by the runner from the tokenizer).
        cell: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``.
        embed: size of the character embedding.
        hidden: width of each recurrent layer.
        layers: number of stacked recurrent layers.
        dropout: drop probability between recurrent layers and before the head.
    """
    if cell not in CELLS:
        raise ValueError(f"char_rnn cell must be one of {CELLS}; got {cell!r}")
    if min(vocab_size, embed, hidden, layers) < 1:
        raise ValueError(f"char_rnn needs vocab_size, embed, hidden, layers >= 1; got {vocab_size}, {embed}, {hidden}, {layers}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"char_rnn dropout must be in [0, 1); got {dropout}")
    recurrent = {"rnn": T.nn.RNN, "lstm": T.nn.LSTM, "gru": T.nn.GRU}[cell]
    options = {"nonlinearity": "tanh"} if cell == "rnn" else {}

    class CharRNN(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = T.nn.Embedding(vocab_size, embed)
            self.rnn = recurrent(embed, hidden, num_layers=layers, batch_first=True,
                                 dropout=dropout if layers > 1 else 0.0, **options)
            self.drop = T.nn.Dropout(dropout)
            self.head = T.nn.Linear(hidden, vocab_size)

        def forward_with_state(self, idx, state=None):
            """``(logits (N, L, vocab), state)``; ``state`` is the cell's (h) or (h, c)."""
            output, state = self.rnn(self.embedding(idx), state)
            return self.head(self.drop(output)), state

        def forward(self, idx):
            return self.forward_with_state(idx)[0]

    return CharRNN()
