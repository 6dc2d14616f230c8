"""Embedding lookup (F.embedding): rows of a weight matrix selected by integer indices.

Forward is a gather ``weight[indices]``.  Backward scatters the output gradient back to
the selected rows, summing repeats: the indices are sorted once and each run of equal
indices is summed with ``np.add.reduceat`` (no Python loop, no ``np.add.at``).  The row
at ``padding_idx`` never receives a gradient.
"""

from __future__ import annotations

import numpy as np

from ..function import Function


def scatter_rows(indices: np.ndarray, grad_rows: np.ndarray, num_rows: int, scale_by_freq=False) -> np.ndarray:
    """``out[i] = sum of grad_rows[k] with indices[k] == i`` for a 1-D index array."""
    out = np.zeros((num_rows,) + grad_rows.shape[1:], dtype=grad_rows.dtype)
    if indices.size == 0:
        return out
    order = np.argsort(indices, kind="stable")
    ordered = indices[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sums = np.add.reduceat(grad_rows[order], starts, axis=0)
    rows = ordered[starts]
    if scale_by_freq:
        counts = np.diff(np.r_[starts, ordered.size])
        sums /= counts.reshape((-1,) + (1,) * (sums.ndim - 1))
    out[rows] = sums
    return out


class Embedding(Function):
    @staticmethod
    def forward(ctx, indices, weight, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(indices)
        ctx.w_shape = weight.shape
        ctx.padding_idx = padding_idx
        ctx.scale_by_freq = scale_grad_by_freq
        return np.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved
        w_shape, padding_idx, scale_by_freq = ctx.w_shape, ctx.padding_idx, ctx.scale_by_freq
        gw = scatter_rows(indices.reshape(-1), grad.reshape(-1, w_shape[1]), w_shape[0], scale_by_freq)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return None, gw


def _renorm_rows(weight: np.ndarray, indices: np.ndarray, max_norm: float, norm_type: float) -> None:
    """In place, no gradient: rescale the looked-up rows whose norm exceeds ``max_norm`` (as torch)."""
    rows = np.unique(indices)
    norms = np.linalg.norm(weight[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    scale = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)
    weight[rows[big]] *= scale[:, None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Look up rows of ``weight (num_embeddings, dim)`` for the integer tensor ``input (*)`` -> ``(*, dim)``."""
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
            f"but got {input.dtype} instead (while checking arguments for embedding)"
        )
    if weight._data.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D; got weight of size {list(weight._data.shape)}")
    num = weight._data.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"index out of range in self (indices must lie in [0, {num}); got "
                         f"[{int(idx.min())}, {int(idx.max())}])")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = int(padding_idx) % num
    if max_norm is not None:
        _renorm_rows(weight._data, idx, float(max_norm), float(norm_type))
    return Embedding.apply(input, weight, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))
