"""An encoder-decoder transformer (Vaswani et al. 2017), pre-LayerNorm, with readable attention.

    src: (N, S) ids, tgt: (N, L) ids (BOS + target so far)
    encoder (x layers):  x = x + SelfAttention(LN(x), key padding masked);  x = x + FFN(LN(x))
    decoder (x layers):  y = y + CausalSelfAttention(LN(y))
                         y = y + CrossAttention(LN(y), memory = LN(encoder output))
                         y = y + FFN(LN(y))
    logits = W LN(y)                                    (N, L, vocab)
    embeddings: token * sqrt(d) + sinusoidal position PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(...)

Attention is written out (softmax(QK^T / sqrt(d_head) + mask) V) so every head's weights
can be kept for figures: set ``model.keep_attention(True)`` and read
``model.attention_maps()`` after a forward pass.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

NEG_INF = -1e9


def sinusoidal_positions(length: int, d_model: int) -> np.ndarray:
    """The ``(length, d_model)`` float32 table of sinusoidal position encodings."""
    positions = np.arange(length, dtype=np.float64)[:, None]
    rates = np.exp(-math.log(10000.0) * np.arange(0, d_model, 2) / d_model)[None, :]
    table = np.zeros((length, d_model), dtype=np.float64)
    table[:, 0::2] = np.sin(positions * rates)
    table[:, 1::2] = np.cos(positions * rates[:, : d_model // 2])
    return table.astype(np.float32)


def causal_mask(length: int) -> np.ndarray:
    """Additive ``(length, length)`` mask: 0 where key <= query, a large negative number elsewhere."""
    return np.triu(np.full((length, length), NEG_INF, dtype=np.float32), k=1)


def build(T: ModuleType, src_vocab: int = 64, tgt_vocab: int = 16, d_model: int = 128, heads: int = 4,
          encoder_layers: int = 2, decoder_layers: int = 2, ff: int = 256, dropout: float = 0.1, max_len: int = 64,
          pad_id: int = 0):
    """Build the encoder-decoder transformer.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes (set by the runner from the data).
        d_model, heads, ff: width, attention heads (dividing d_model) and feed-forward width.
        encoder_layers, decoder_layers: number of blocks on each side.
        dropout: drop probability on embeddings and residual branches.
        max_len: longest source or target sequence.
        pad_id: source id that is padding (masked out of attention).
    """
    if d_model % heads or min(src_vocab, tgt_vocab, d_model, heads, ff, max_len) < 1:
        raise ValueError(f"seq2seq_transformer needs positive sizes and d_model divisible by heads; got {d_model}, {heads}")
    F = T.nn.functional
    head_dim = d_model // heads

    class Attention(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.out = (T.nn.Linear(d_model, d_model) for _ in range(4))
            self.keep = False
            self.weights = None

        def forward(self, x, memory, mask=None):
            n, lq, _ = x.shape
            lk = memory.shape[1]
            q = self.q(x).reshape(n, lq, heads, head_dim).transpose(1, 2)  # (N, H, Lq, dh)
            k = self.k(memory).reshape(n, lk, heads, head_dim).transpose(1, 2)
            v = self.v(memory).reshape(n, lk, heads, head_dim).transpose(1, 2)
            scores = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(head_dim))
            if mask is not None:
                scores = scores + mask
            weights = F.softmax(scores, dim=-1)
            if self.keep:
                self.weights = weights.detach()
            return self.out((weights @ v).transpose(1, 2).reshape(n, lq, d_model))

    def feed_forward():
        return T.nn.Sequential(T.nn.Linear(d_model, ff), T.nn.ReLU(), T.nn.Linear(ff, d_model))

    class EncoderBlock(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = T.nn.LayerNorm(d_model), T.nn.LayerNorm(d_model)
            self.attn, self.ff, self.drop = Attention(), feed_forward(), T.nn.Dropout(dropout)

        def forward(self, x, pad_mask):
            h = self.ln1(x)
            x = x + self.drop(self.attn(h, h, pad_mask))
            return x + self.drop(self.ff(self.ln2(x)))

    class DecoderBlock(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2, self.ln3 = (T.nn.LayerNorm(d_model) for _ in range(3))
            self.self_attn, self.cross_attn, self.ff = Attention(), Attention(), feed_forward()
            self.drop = T.nn.Dropout(dropout)

        def forward(self, y, memory, self_mask, memory_mask):
            h = self.ln1(y)
            y = y + self.drop(self.self_attn(h, h, self_mask))
            y = y + self.drop(self.cross_attn(self.ln2(y), memory, memory_mask))
            return y + self.drop(self.ff(self.ln3(y)))

    class Seq2SeqTransformer(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.src_embedding = T.nn.Embedding(src_vocab, d_model)
            self.tgt_embedding = T.nn.Embedding(tgt_vocab, d_model)
            self.register_buffer("positions", T.from_numpy(sinusoidal_positions(max_len, d_model)), persistent=False)
            self.drop = T.nn.Dropout(dropout)
            self.encoder = T.nn.ModuleList([EncoderBlock() for _ in range(encoder_layers)])
            self.encoder_norm = T.nn.LayerNorm(d_model)
            self.decoder = T.nn.ModuleList([DecoderBlock() for _ in range(decoder_layers)])
            self.decoder_norm = T.nn.LayerNorm(d_model)
            self.head = T.nn.Linear(d_model, tgt_vocab)
            # Unit-scale embeddings after the sqrt(d) factor, so positions are not drowned out.
            for table in (self.src_embedding, self.tgt_embedding):
                T.nn.init.normal_(table.weight, mean=0.0, std=d_model ** -0.5)

        def _embed(self, table, ids):
            length = ids.shape[1]
            if length > max_len:
                raise ValueError(f"seq2seq_transformer got a sequence of {length} tokens; max_len is {max_len}")
            return self.drop(table(ids) * math.sqrt(d_model) + self.positions[:length])

        def padding_mask(self, src):
            """Additive (N, 1, 1, S) mask hiding padded source positions."""
            return (src == pad_id).to(self.positions.dtype).reshape(src.shape[0], 1, 1, src.shape[1]) * NEG_INF

        def encode(self, src):
            """``(memory (N, S, d), padding mask)``."""
            mask = self.padding_mask(src)
            x = self._embed(self.src_embedding, src)
            for block in self.encoder:
                x = block(x, mask)
            return self.encoder_norm(x), mask

        def decode(self, tgt, memory, memory_mask):
            """Logits ``(N, L, tgt_vocab)``; position t sees ``tgt[:, :t+1]`` only."""
            self_mask = T.from_numpy(causal_mask(tgt.shape[1])).to(memory.device)
            y = self._embed(self.tgt_embedding, tgt)
            for block in self.decoder:
                y = block(y, memory, self_mask, memory_mask)
            return self.head(self.decoder_norm(y))

        def forward(self, src, tgt):
            memory, mask = self.encode(src)
            return self.decode(tgt, memory, mask)

        def keep_attention(self, keep: bool = True):
            """Keep (or stop keeping) every attention module's last weights."""
            for module in self.modules():
                if isinstance(module, Attention):
                    module.keep, module.weights = keep, None

        def attention_maps(self):
            """``{"encoder": [...], "decoder_self": [...], "cross": [...]}``: per layer (N, H, Lq, Lk)."""
            return {"encoder": [b.attn.weights for b in self.encoder],
                    "decoder_self": [b.self_attn.weights for b in self.decoder],
                    "cross": [b.cross_attn.weights for b in self.decoder]}

    return Seq2SeqTransformer()
