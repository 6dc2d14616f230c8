"""MultiheadAttention with torch's parameters, masks and return values.

Parameters (``kdim == vdim == embed_dim``): ``in_proj_weight (3E, E)``, ``in_proj_bias (3E,)``
(rows: q, k, v), ``out_proj`` a Linear(E, E); otherwise ``q_proj_weight``, ``k_proj_weight``,
``v_proj_weight``.  Init as torch: xavier_uniform for the projections, zero biases.

Masks: ``key_padding_mask (B, S)`` and ``attn_mask (L, S)`` / ``(B * num_heads, L, S)``,
bool (True = NOT allowed to attend) or float (added to the scores).  The heads run as one
fused :class:`~neuralab.scratch.ops.attention.ScaledDotProductAttention` node.

Difference from torch: a query whose keys are all masked gets a zero output (as torch's
``scaled_dot_product_attention``) where torch's ``need_weights=True`` path gives NaN.
"""

from __future__ import annotations

import math

import numpy as np

from ...creation import empty
from ...errors import not_in_subset
from ...ops.attention import ScaledDotProductAttention, bool_bias
from ...ops.linalg import linear
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import Linear


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear (torch uses this name for ``MultiheadAttention.out_proj``)."""


def _mask_bias(mask, dtype, shape_label):
    """(constant ndarray or None, differentiable Tensor or None) for one torch-style mask."""
    if mask is None:
        return None, None
    data = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if data.dtype == np.bool_:
        return bool_bias(data, dtype, masked_value=True), None
    if data.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {shape_label} are supported")
    if isinstance(mask, Tensor) and mask._rg:
        return None, mask
    return data.astype(dtype, copy=False), None


class MultiheadAttention(Module):
    """``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, ..., batch_first=False)``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` -> ``(attn_output, attn_weights or None)``.
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if add_bias_kv or add_zero_attn:
            raise not_in_subset("MultiheadAttention(add_bias_kv / add_zero_attn)")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    # ------------------------------------------------------------ projections
    def _project(self, query, key, value):
        """q, k, v = the three input projections (one GEMM for self-attention)."""
        E = self.embed_dim
        b = self.in_proj_bias
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:
                return linear(query, w, b).chunk(3, -1)
            if key is value:
                q = linear(query, w[:E], None if b is None else b[:E])
                k, v = linear(key, w[E:], None if b is None else b[E:]).chunk(2, -1)
                return q, k, v
            ws = (w[:E], w[E:2 * E], w[2 * E:])
        else:
            ws = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        return tuple(linear(x, wi, bi) for x, wi, bi in zip((query, key, value), ws, bs))

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.dim() == 3
        if query.dim() not in (2, 3):
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                                 "query tensor")
        if query.shape[-1] != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {query.shape[-1]}")
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                               "module method `generate_square_subsequent_mask` to create this mask.")
        same_kv, same_qk = key is value, query is key
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if same_kv:
            value = key
            if same_qk:
                key = value = query
        n, length, _ = query.shape
        source = key.shape[1]
        heads, hd = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        q = q.reshape(n, length, heads, hd).transpose(1, 2)
        k = k.reshape(n, source, heads, hd).transpose(1, 2)
        v = v.reshape(n, source, heads, hd).transpose(1, 2)
        const, grad_bias = self._masks(attn_mask, key_padding_mask, n, length, source, query._data.dtype)
        dropout_p = self.dropout if self.training else 0.0
        result = ScaledDotProductAttention.apply(q, k, v, grad_bias, const, scale=1.0 / math.sqrt(hd),
                                                 dropout_p=float(dropout_p), return_weights=bool(need_weights))
        out, weights = result if need_weights else (result, None)
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out = out.squeeze(0)
            weights = None if weights is None else weights.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        return out, weights

    def _masks(self, attn_mask, key_padding_mask, n, length, source, dtype):
        """Merge both masks into one additive bias broadcastable to (N, heads, L, S)."""
        const, grad = None, None
        a_const, a_grad = _mask_bias(attn_mask, dtype, "attn_mask")
        k_const, k_grad = _mask_bias(key_padding_mask, dtype, "key_padding_mask")
        if attn_mask is not None:
            shape = tuple(attn_mask.shape)
            if shape == (length, source):
                view = (1, 1, length, source)
            elif shape == (n * self.num_heads, length, source):
                view = (n, self.num_heads, length, source)
            else:
                raise RuntimeError(f"The shape of the attn_mask is {shape}, but should be {(length, source)} or "
                                   f"{(n * self.num_heads, length, source)}.")
            if a_const is not None:
                const = a_const.reshape(view)
            else:
                grad = a_grad.reshape(view)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (n, source):
                raise AssertionError(f"expecting key_padding_mask shape of {(n, source)}, but got "
                                     f"{tuple(key_padding_mask.shape)}")
            if k_const is not None:
                k_const = k_const.reshape(n, 1, 1, source)
                const = k_const if const is None else const + k_const
            else:
                k_grad = k_grad.reshape(n, 1, 1, source)
                grad = k_grad if grad is None else grad + k_grad
        return const, grad

    def extra_repr(self) -> str:
        return ""
