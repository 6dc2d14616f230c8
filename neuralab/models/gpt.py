"""A decoder-only transformer language model (GPT), after nanoGPT's ``model.py``.

    idx: (N, L) token ids, L <= context
    x = TokenEmbedding(idx) + PositionEmbedding(0..L-1)        (N, L, d)
    block (x layers), pre-LayerNorm:
        x = x + Dropout(W_o CausalSelfAttention(LN(x)))         heads of size d / heads
        x = x + Dropout(MLP(LN(x)))                             d -> 4d -> GELU -> d
    logits = LN(x) @ TokenEmbedding.weight^T                    (N, L, vocab)  (weight tying)

Causal: position t attends to positions <= t only, so the logits at t depend on
``idx[:, :t+1]`` alone (``tests/sequence`` checks it).

KV cache (sampling): since earlier positions never see later ones, their keys and values
do not change when tokens are appended. ``forward_with_cache(idx, cache)`` reads ``idx`` as
the positions after the ``P`` cached ones (position embeddings P..P+L-1), attends over
cached plus new keys, and returns the logits with the cache grown by L:

    cache: one (K, V) per block, each (N, heads, P, d/heads)   (None: empty, P = 0)
    query i (position P+i) attends to keys 0..P+i

so feeding a window token by token gives the logits ``forward`` gives on the whole window,
at the cost of one position per token instead of the window's length.
"""

from __future__ import annotations

import math
from types import ModuleType


def build(T: ModuleType, vocab_size: int = 65, context: int = 256, d_model: int = 192, layers: int = 4,
          heads: int = 6, dropout: float = 0.1, tie_weights: bool = True, bias: bool = True):
    """Build the GPT.

    Args:
        vocab_size: number of distinct tokens (set by the runner from the tokenizer).
        context: longest input the position table covers.
        d_model: width of the residual stream (divisible by ``heads``).
        layers: number of transformer blocks.
        heads: attention heads per block.
        dropout: drop probability on embeddings, attention weights and residual branches.
        tie_weights: share the token embedding with the output projection.
        bias: additive biases in the Linear and LayerNorm layers (nanoGPT's ``bias``; its
            default, False, is a little faster and, per its notes, no worse).
    """
    if min(vocab_size, context, d_model, layers, heads) < 1 or d_model % heads:
        raise ValueError(f"gpt needs positive sizes and d_model divisible by heads; got d_model={d_model}, heads={heads}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"gpt dropout must be in [0, 1); got {dropout}")
    F = T.nn.functional

    class CausalSelfAttention(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = T.nn.Linear(d_model, 3 * d_model, bias=bias)
            self.proj = T.nn.Linear(d_model, d_model, bias=bias)
            self.drop = T.nn.Dropout(dropout)

        def forward(self, x):
            return self.attend(x, None)[0]

        def attend(self, x, past):
            """``(y, (K, V))``: attention of x's positions over ``past`` keys/values (or none)
            and their own; ``(K, V)`` holds both, ``(N, heads, P + L, d/heads)``."""
            n, length, _ = x.shape
            # (N, L, 3d) -> three (N, heads, L, d/heads)
            q, k, v = self.qkv(x).reshape(n, length, 3, heads, d_model // heads).permute(2, 0, 3, 1, 4).unbind(0)
            mask, causal = None, True
            if past is not None:
                k, v = T.cat([past[0], k], dim=2), T.cat([past[1], v], dim=2)
                causal = False  # one new query sees every key; several need the offset mask below
                if length > 1:  # query i sits at position offset + i: keys 0..offset + i
                    offset = k.shape[2] - length
                    keys = T.arange(k.shape[2], device=x.device)
                    mask = keys[None, :] <= T.arange(offset, offset + length, device=x.device)[:, None]
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout if self.training else 0.0,
                                               is_causal=causal)
            return self.drop(self.proj(y.transpose(1, 2).reshape(n, length, d_model))), (k, v)

    class Block(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = T.nn.LayerNorm(d_model, bias=bias)
            self.attn = CausalSelfAttention()
            self.ln2 = T.nn.LayerNorm(d_model, bias=bias)
            self.mlp = T.nn.Sequential(T.nn.Linear(d_model, 4 * d_model, bias=bias), T.nn.GELU(),
                                       T.nn.Linear(4 * d_model, d_model, bias=bias), T.nn.Dropout(dropout))

        def forward(self, x):
            return self.forward_with_cache(x, None)[0]

        def forward_with_cache(self, x, past):
            y, present = self.attn.attend(self.ln1(x), past)
            x = x + y
            return x + self.mlp(self.ln2(x)), present

    class GPT(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.context = context
            self.token_embedding = T.nn.Embedding(vocab_size, d_model)
            self.position_embedding = T.nn.Embedding(context, d_model)
            self.drop = T.nn.Dropout(dropout)
            self.blocks = T.nn.ModuleList([Block() for _ in range(layers)])
            self.ln_f = T.nn.LayerNorm(d_model, bias=bias)
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
            x = self._embed(idx, 0)
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln_f(x))

        def forward_with_cache(self, idx, cache=None):
            """``(logits, cache)``: ``idx`` (N, L) continues the ``cache``d positions (None:
            none); the returned cache covers them and ``idx``'s (see the module docstring)."""
            x = self._embed(idx, 0 if cache is None else cache[0][0].shape[2])
            present = []
            for i, block in enumerate(self.blocks):
                x, kv = block.forward_with_cache(x, None if cache is None else cache[i])
                present.append(kv)
            return self.head(self.ln_f(x)), present

        def _embed(self, idx, start: int):
            """Token plus position embeddings of ``idx`` (N, L) read as positions start..start+L-1."""
            length = idx.shape[1]
            if start + length > context:
                raise ValueError(f"gpt got a sequence of {start + length} tokens; its context is {context}: crop the input")
            positions = T.arange(start, start + length, device=idx.device)
            return self.drop(self.token_embedding(idx) + self.position_embedding(positions))

    return GPT()
