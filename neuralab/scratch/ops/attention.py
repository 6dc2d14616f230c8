"""Attention: F.scaled_dot_product_attention as one fused Function (batched matmuls).

    S = q @ k^T * scale + bias          (..., L, S)   bias: causal / mask, -inf where masked
    P = softmax(S)                      rows fully masked give P = 0 (as torch's SDPA)
    P_d = P * dropout_mask / (1 - p)
    out = P_d @ v                       (..., L, Ev)

Backward (the softmax Jacobian applied row-wise, no (S x S) matrices):

    dv = P_d^T @ dout,   dP = (dout @ v^T) * dropout_mask / (1 - p)
    dS = P * (dP - rowsum(dP * P)),   dq = dS @ k * scale,   dk = dS^T @ q * scale

A float ``attn_mask`` is added to S and receives ``dS`` as its gradient; a bool mask
(True = take part) and ``is_causal`` become constant ``-inf`` biases.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import not_in_subset
from ..function import Function, sum_to
from ..random import rng
from ..tensor import Tensor


def _swap(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def softmax_rows(scores: np.ndarray) -> np.ndarray:
    """Stable softmax over the last axis, in place; rows that are all -inf become zeros."""
    top = scores.max(axis=-1, keepdims=True)
    dead = ~np.isfinite(top)
    if dead.any():
        top[dead] = 0
    scores -= top
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    if dead.any():
        total[dead] = 1
    scores /= total
    return scores


def attend(q, k, v, bias, scale, dropout_p, generator=None):
    """Forward on arrays: returns (out, P, keep) with ``keep`` the scaled dropout mask or None."""
    scores = np.matmul(q, _swap(k))
    scores *= scale
    if bias is not None:
        scores += bias
    p = softmax_rows(scores)
    keep = None
    p_used = p
    if dropout_p > 0:
        keep = (rng(generator).random(p.shape, dtype=p.dtype) >= dropout_p).astype(p.dtype)
        keep *= 0 if dropout_p >= 1 else 1.0 / (1.0 - dropout_p)
        p_used = p * keep
    return np.matmul(p_used, v), p, keep


def attend_backward(grad, q, k, v, p, keep, scale, grad_weights=None):
    """Backward on arrays: (dq, dk, dv, dS) with dS the gradient of the additive bias."""
    p_used = p if keep is None else p * keep
    dv = np.matmul(_swap(p_used), grad)
    dp = np.matmul(grad, _swap(v))
    if grad_weights is not None:
        dp += grad_weights
    if keep is not None:
        dp *= keep
    row = np.multiply(dp, p).sum(axis=-1, keepdims=True)
    dp -= row
    dp *= p                               # dS (gradient of the pre-softmax scores incl. bias)
    d_bias = dp
    ds = dp * scale
    dq = np.matmul(ds, k)
    dk = np.matmul(_swap(ds), q)
    return dq, dk, dv, d_bias


class ScaledDotProductAttention(Function):
    """Fused attention; returns ``out`` or, with ``return_weights``, ``(out, P_d)``."""

    @staticmethod
    def forward(ctx, q, k, v, mask_bias, const_bias, scale, dropout_p, return_weights):
        bias = const_bias
        if mask_bias is not None:
            bias = mask_bias if bias is None else bias + mask_bias
        out, p, keep = attend(q, k, v, bias, scale, dropout_p)
        ctx.save_for_backward(q, k, v, p, keep)
        ctx.scale, ctx.bias_shape = scale, None if mask_bias is None else mask_bias.shape
        if return_weights:
            return out, (p if keep is None else p * keep)
        return out

    @staticmethod
    def backward(ctx, grad, grad_weights=None):
        q, k, v, p, keep = ctx.saved
        scale, bias_shape = ctx.scale, ctx.bias_shape
        dq, dk, dv, d_bias = attend_backward(grad, q, k, v, p, keep, scale, grad_weights)
        need = ctx.needs_input_grad
        return (
            sum_to(dq, q.shape) if need[0] else None,
            sum_to(dk, k.shape) if need[1] else None,
            sum_to(dv, v.shape) if need[2] else None,
            sum_to(d_bias, bias_shape) if need[3] else None,
            None,
        )


def causal_bias(length: int, source: int, dtype) -> np.ndarray:
    """(L, S) additive mask: 0 on and below the diagonal, -inf above (torch's ``tril`` rule)."""
    return np.where(np.tri(length, source, dtype=bool), 0, -np.inf).astype(dtype)


def bool_bias(mask: np.ndarray, dtype, masked_value: bool = False) -> np.ndarray:
    """Additive mask from a bool one: -inf where ``mask == masked_value``."""
    return np.where(mask == masked_value, -np.inf, 0).astype(dtype)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(q k^T * scale + mask) v over ``(..., L, E)`` / ``(..., S, E)`` / ``(..., S, Ev)``.

    ``attn_mask``: bool (True = may attend) or float (added to the scores); ``is_causal``
    masks keys after each query (no ``attn_mask`` allowed with it); ``scale`` defaults to
    ``1/sqrt(E)``; ``dropout_p`` drops attention probabilities (always, as torch's functional).
    """
    if enable_gqa:
        raise not_in_subset("scaled_dot_product_attention(enable_gqa=True)")
    q = query._data
    if q.ndim < 2 or key._data.ndim < 2 or value._data.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention expects query, key, value of shape (..., L, E)")
    if q.shape[-1] != key._data.shape[-1]:
        raise RuntimeError(f"query and key must share the embedding size; got {q.shape[-1]} and "
                           f"{key._data.shape[-1]}")
    dtype = q.dtype
    length, source = q.shape[-2], key._data.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    const = None
    mask_bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        const = causal_bias(length, source, dtype)
    if attn_mask is not None:
        m = attn_mask._data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if m.dtype == np.bool_:
            const = bool_bias(m, dtype)
        elif isinstance(attn_mask, Tensor) and attn_mask._rg:
            mask_bias = attn_mask if m.dtype == dtype else attn_mask.to(query.dtype)
        else:
            const = m.astype(dtype, copy=False)
    return ScaledDotProductAttention.apply(query, key, value, mask_bias, const, scale=scale,
                                           dropout_p=float(dropout_p), return_weights=False)
