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
from ..ops.activation_more import (  # noqa: F401
    celu, glu, hardshrink, hardsigmoid, hardswish, prelu, rrelu, selu, softshrink, tanhshrink, threshold,
)
from ..ops.elementwise import sigmoid, tanh  # noqa: F401
from ..ops.loss_more import (  # noqa: F401
    cosine_embedding_loss, gaussian_nll_loss, hinge_embedding_loss, margin_ranking_loss,
    multi_margin_loss, multilabel_soft_margin_loss, pairwise_distance, triplet_margin_loss,
)
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


# ---------------------------------------------------------------- layers (ops/conv, pool, norm, ...)
from ..ops.attention import scaled_dot_product_attention  # noqa: E402,F401
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: E402,F401
from ..ops.dropout_nd import dropout1d, dropout2d, dropout3d, feature_dropout  # noqa: E402,F401
from ..ops.embedding import embedding  # noqa: E402,F401
from ..ops.patches import fold, pixel_shuffle, pixel_unshuffle, unfold  # noqa: E402,F401
from ..ops.norm import batch_norm, group_norm, instance_norm, layer_norm  # noqa: E402,F401
from ..ops.embedding_bag import embedding_bag  # noqa: E402,F401
from ..ops.pool import (  # noqa: E402,F401
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d,
)
from ..ops.resize import interpolate, pad, upsample  # noqa: E402,F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.nn.functional.{name}")
