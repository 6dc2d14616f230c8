"""Losses and distances composed from primitives (autograd through the primitives).

With ``d_p(a, b) = || a - b + eps ||_p`` along the last dim (``pairwise_distance``, torch's eps):

    margin_ranking(x1, x2, y)   = max(0, -y (x1 - x2) + margin)
    hinge_embedding(x, y)       = x  where y = 1,   max(0, margin - x)  where y = -1
    cosine_embedding(x1, x2, y) = 1 - cos(x1, x2)  where y = 1,   max(0, cos - margin)  where y = -1
                                  cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))  (over dim 1)
    triplet_margin(a, p, n)     = max(0, margin + d(a, p) - d(a, n))   (swap: d(a, n) -> min(d(a, n), d(p, n)))
    multilabel_soft_margin(x, y)= -mean_c [ y log s(x) + (1 - y) log s(-x) ]   (s = sigmoid; weight per class)
    multi_margin(x, y)          = sum_{i != y} max(0, margin - x_y + x_i)^p / C   (weight[y] scales it)
    gaussian_nll(mu, y, var)    = 1/2 (log v + (mu - y)^2 / v) [+ 1/2 log 2 pi],  v = max(var, eps)
                                  (the clamp passes the gradient through, as torch's no_grad clamp does)

Every loss then applies ``reduction`` ('mean' | 'sum' | 'none').
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, _wrap
from .activation import logsigmoid
from .elementwise import clamp, log, sqrt, where
from .loss import _reduction


def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``|| x1 - x2 + eps ||_p`` over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """All pairwise p-norm distances: ``(*, P, M)`` and ``(*, R, M)`` -> ``(*, P, R)``."""
    if x1.dim() < 2 or x2.dim() < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, -1)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    loss = clamp(-target * (input1 - input2) + margin, min=0.0)
    return _apply_reduction(loss, _reduction(reduction, size_average, reduce))


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    margin_part = where(target != 1, clamp(margin - input, min=0.0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return _apply_reduction(margin_part + self_part, _reduction(reduction, size_average, reduce))


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    dim = input1.dim() - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    cos = prod / sqrt(((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps))
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, clamp(cos - margin, min=0.0), 0.0)
    return _apply_reduction(loss, _reduction(reduction, size_average, reduce))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = where(d_swap < d_neg, d_swap, d_neg)
    loss = clamp(margin + d_pos - d_neg, min=0.0)
    return _apply_reduction(loss, _reduction(reduction, size_average, reduce))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.dim() - 1) / input.shape[-1]
    return _apply_reduction(loss, _reduction(reduction, size_average, reduce))


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target._data.reshape(-1).astype(np.int64)
    n, c = x.shape
    onehot = np.zeros((n, c), dtype=bool)
    onehot[np.arange(n), t] = True
    picked = (x * _wrap(onehot.astype(x._data.dtype))).sum(1, keepdim=True)
    terms = clamp(margin - picked + x, min=0.0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        terms = terms * _wrap(weight._data[t].reshape(n, 1))
    loss = where(_wrap(onehot), 0.0, terms).sum(1) / c
    if input.dim() != 2:
        loss = loss.reshape(())
    return _apply_reduction(loss, _reduction(reduction, size_average, reduce))


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        var = _wrap(np.full(input.shape, var, dtype=input._data.dtype))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    if np.any(var._data < 0):
        raise ValueError("var has negative entry/entries")
    v = var + _wrap(np.maximum(var._data, eps) - var._data)  # clamped value, identity gradient
    loss = 0.5 * (log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


