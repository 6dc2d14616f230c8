"""Channel-wise ("feature") dropout: dropout1d / dropout2d / dropout3d.

Each channel of each sample is zeroed with probability ``p`` and the survivors are scaled
by ``1 / (1 - p)``: one Bernoulli draw per (N, C), broadcast over the spatial dims, so a
mask of shape ``(N, C, 1, ..., 1)`` multiplies the input (and the incoming gradient).
"""

from __future__ import annotations

import warnings

from ..function import Function
from ..random import rng
from ._util import inplace as _inplace_op


class MaskMultiply(Function):
    """``x * mask`` for a constant (broadcastable) mask; the gradient is ``grad * mask``."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.mask = mask
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask, None


def _check_p(p) -> float:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def feature_dropout(input, p=0.5, training=True, inplace=False, batched=True):
    """Zero whole channels (dim 1, or dim 0 when ``batched`` is False) with probability ``p``."""
    p = _check_p(p)
    if not training or p == 0.0:
        return input
    shape = input._data.shape
    lead = shape[:2] if batched else shape[:1]
    keep = rng().random(lead) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(input._data.dtype).reshape(lead + (1,) * (len(shape) - len(lead)))
    if inplace:
        return _inplace_op(input, lambda t: MaskMultiply.apply(t, mask))
    return MaskMultiply.apply(input, mask)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for ``(N, C, L)`` or unbatched ``(C, L)``."""
    ndim = input._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input.")
    return feature_dropout(input, p, training, inplace, batched=ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for ``(N, C, H, W)`` (a 3-D input is read as ``(N, C, L)``, as torch does)."""
    ndim = input._data.ndim
    if ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated; use dropout",
                      stacklevel=2)
    return feature_dropout(input, p, training, inplace, batched=True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)``."""
    ndim = input._data.ndim
    if ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated; use dropout",
                      stacklevel=2)
    return feature_dropout(input, p, training, inplace, batched=ndim != 4)
