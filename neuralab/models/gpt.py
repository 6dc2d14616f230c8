"""A decoder-only transformer language model (GPT), after nanoGPT's ``model.py``.

    idx: (N, L) token ids, L <= context
    x = TokenEmbedding(idx) + PositionEmbedding(0..L-1)        (N, L, d)
    block (x layers), pre-LayerNorm:
        x = x + Dropout(W_o CausalSelfAttention(LN(x)))         heads of size d / heads
        x = x + Dropout(MLP(LN(x)))                             d -> 4d -> GELU -> d
    logits = LN(x) @ TokenEmbedding.weight^T                    (N, L, vocab)  (weight tying)

Causal: position t attends to positions <= t only, so the logits at t depend on
``idx[:, :t+1]`` alone (``tests/sequence`` checks it).
"""

from __future__ import annotations

import math
from types import ModuleType


def build(T: ModuleType, vocab_size: int = 65, context: int = 256, d_model: int = 192, layers: int = 4,
          heads: int = 6, dropout: float = 0.1, tie_weights: bool = True):
    """Build the GPT.

    Args:
        vocab_size: number of distinct tokens (set by the runner from the tokenizer).
        context: longest input the position table covers.
        d_model: width of the residual stream (divisible by ``heads``).
        layers: number of transformer blocks.
        heads: attention heads per block.
        dropout: drop probability on embeddings, attention weights and residual branches.
        tie_weights: share the token embedding with the output projection.
    """
    if min(vocab_size, context, d_model, layers, heads) < 1 or d_model % heads:
        raise ValueError(f"gpt needs positive sizes and d_model divisible by heads; got d_model={d_model}, heads={heads}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"gpt dropout must be in [0, 1); got {dropout}")
    F = T.nn.functional

    class CausalSelfAttention(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = T.nn.Linear(d_model, 3 * d_model)
            self.proj = T.nn.Linear(d_model, d_model)
            self.drop = T.nn.Dropout(dropout)

        def forward(self, x):
            n, length, _ = x.shape
            # (N, L, 3d) -> three (N, heads, L, d/heads)
            q, k, v = self.qkv(x).reshape(n, length, 3, heads, d_model // heads).permute(2, 0, 3, 1, 4).unbind(0)
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout if self.training else 0.0, is_causal=True)
            return self.drop(self.proj(y.transpose(1, 2).reshape(n, length, d_model)))

    class Block(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = T.nn.LayerNorm(d_model)
            self.attn = CausalSelfAttention()
            self.ln2 = T.nn.LayerNorm(d_model)
            self.mlp = T.nn.Sequential(T.nn.Linear(d_model, 4 * d_model), T.nn.GELU(),
                                       T.nn.Linear(4 * d_model, d_model), T.nn.Dropout(dropout))

        def forward(self, x):
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))

    class GPT(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.context = context
            self.token_embedding = T.nn.Embedding(vocab_size, d_model)
            self.position_embedding = T.nn.Embedding(context, d_model)
            self.drop = T.nn.Dropout(dropout)
            self.blocks = T.nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = T.nn.LayerNorm(d_model)
            self.head = T.nn.Linear(d_model, vocab_size, bias=False)
            if tie_weights:
                self.head.weight = self.token_embedding.weight
            self._init_weights()

        def _init_weights(self):
            # GPT-2: N(0, 0.02) weights, residual projections scaled by 1/sqrt(2 * layers).
            for name, p in self.named_parameters():
                if p.dim() >= 2:
                    std = 0.02 / math.sqrt(2 * layers) if name.endswith(("proj.weight", "mlp.2.weight")) else 0.02
                    T.nn.init.normal_(p, mean=0.0, std=std)
                elif name.endswith("bias"):
                    T.nn.init.zeros_(p)

        def forward(self, idx):
            n, length = idx.shape
            if length > context:
                raise ValueError(f"gpt got a sequence of {length} tokens; its context is {context}: crop the input")
            positions = T.arange(length, device=idx.device)
            x = self.drop(self.token_embedding(idx) + self.position_embedding(positions))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))

    return GPT()
