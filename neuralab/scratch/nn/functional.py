"""``nn.functional``: stateless layers, activations and losses (``import ... as F``)."""

from __future__ import annotations

import numpy as np

from ..errors import not_in_subset
from ..function import Function
from ..ops._util import inplace as _inplace_op
from ..ops.activation import (  # noqa: F401
    elu, gelu, hardtanh, leaky_relu, log_softmax, logsigmoid, mish, relu, relu6, relu_, silu,
    softmax, softmin, softplus, softsign,
)
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.indexing import one_hot  # noqa: F401
from ..ops.linalg import linear  # noqa: F401
from ..ops.loss import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cosine_similarity, cross_entropy,
    huber_loss, kl_div, l1_loss, mse_loss, nll_loss, normalize, poisson_nll_loss, smooth_l1_loss,
)
from ..random import rng


class Dropout(Function):
    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.saved[0], None


def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, generator=None):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    x = input._data
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    if p == 1.0:
        mask = np.zeros(x.shape, dtype=x.dtype)
    else:
        keep = rng(generator).random(x.shape, dtype=dt) >= p
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    if inplace:
        return _inplace_op(input, lambda t: Dropout.apply(t, mask))
    return Dropout.apply(input, mask)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    if not training or p == 0:
        return input
    raise not_in_subset("F.alpha_dropout in training mode")


class Pad(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        key = tuple(slice(lo, grad.shape[i] - hi) for i, (lo, hi) in enumerate(ctx.widths))
        return grad[key], None, None


def pad(input, pad, mode: str = "constant", value=None):
    """Pad the last dims: ``pad=(left, right, top, bottom, ...)`` (constant mode)."""
    if mode != "constant":
        raise not_in_subset(f"F.pad(mode={mode!r})", "only mode='constant' is available")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = input._data.ndim
    if len(pad) // 2 > nd:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension")
    widths = [(0, 0)] * nd
    for i in range(len(pad) // 2):
        widths[nd - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        raise not_in_subset("F.pad with negative padding (cropping)")
    return Pad.apply(input, tuple(widths), 0 if value is None else value)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.nn.functional.{name}")
