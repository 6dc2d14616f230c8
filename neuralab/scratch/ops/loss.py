"""Loss functions with PyTorch's formulas, arguments and reductions.

The hot ones (mse, cross_entropy, nll, bce, bce_with_logits) are fused Functions: one
node each, with the gradient written in closed form.  ``reduction`` is 'mean' | 'sum' |
'none'.
"""

from __future__ import annotations

import numpy as np

from ..function import Function, sum_to
from ..tensor import Size, Tensor, _wrap
from ._util import promote


def _reduction(reduction, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:  # legacy arguments, as torch maps them
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        return "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: np.ndarray, reduction: str):
    if reduction == "mean":
        # what np.mean computes (pairwise sum / count), minus its Python layer
        return np.add.reduce(loss, axis=None) / loss.dtype.type(loss.size)
    if reduction == "sum":
        return np.add.reduce(loss, axis=None)
    return loss


def _grad_scale(grad: np.ndarray, reduction: str, n: int):
    """dL/d(elementwise loss) for each reduction: a scalar or the incoming array."""
    if reduction == "mean":
        return grad / n
    return grad


def _same_shape_operands(input, target):
    if type(input) is type(target) is Tensor and input._data.dtype is target._data.dtype:
        return input, target
    a, b = promote(input, target)
    if not isinstance(b, Tensor):
        b = _wrap(np.asarray(b, dtype=a._data.dtype))
    return a, b


# ---------------------------------------------------------------- regression losses

class MSELoss(Function):
    @staticmethod
    def forward(ctx, a, b, reduction):
        diff = a - b
        ctx.save_for_backward(diff)
        ctx.sa, ctx.sb, ctx.reduction = a.shape, b.shape, reduction
        return _reduce(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved
        sa, sb, reduction = ctx.sa, ctx.sb, ctx.reduction
        g = (2 * _grad_scale(grad, reduction, diff.size)) * diff
        need = ctx.needs_input_grad
        return (sum_to(g, sa) if need[0] else None, sum_to(-g, sb) if need[1] else None, None)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error."""
    a, b = _same_shape_operands(input, target)
    if size_average is not None or reduce is not None or reduction != "mean":
        reduction = _reduction(reduction, size_average, reduce)
    return MSELoss.apply(a, b, reduction)


class L1Loss(Function):
    @staticmethod
    def forward(ctx, a, b, reduction):
        diff = a - b
        ctx.save_for_backward(diff)
        ctx.sa, ctx.sb, ctx.reduction = a.shape, b.shape, reduction
        return _reduce(np.abs(diff), reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved
        sa, sb, reduction = ctx.sa, ctx.sb, ctx.reduction
        g = _grad_scale(grad, reduction, diff.size) * np.sign(diff)
        need = ctx.needs_input_grad
        return (sum_to(g, sa) if need[0] else None, sum_to(-g, sb) if need[1] else None, None)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error."""
    a, b = _same_shape_operands(input, target)
    return L1Loss.apply(a, b, _reduction(reduction, size_average, reduce))


class SmoothL1Loss(Function):
    """0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta  (huber: scaled by delta)."""

    @staticmethod
    def forward(ctx, a, b, reduction, beta, huber):
        diff = a - b
        ad = np.abs(diff)
        ctx.save_for_backward(diff)
        ctx.sa, ctx.sb, ctx.reduction, ctx.beta = a.shape, b.shape, reduction, beta
        ctx.huber = huber
        if huber:
            loss = np.where(ad < beta, 0.5 * diff * diff, beta * (ad - 0.5 * beta))
        elif beta == 0:
            loss = ad
        else:
            loss = np.where(ad < beta, 0.5 * diff * diff / beta, ad - 0.5 * beta)
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved
        ad = np.abs(diff)
        if ctx.huber:
            local = np.where(ad < ctx.beta, diff, ctx.beta * np.sign(diff))
        elif ctx.beta == 0:
            local = np.sign(diff)
        else:
            local = np.where(ad < ctx.beta, diff / ctx.beta, np.sign(diff))
        g = _grad_scale(grad, ctx.reduction, diff.size) * local
        need = ctx.needs_input_grad
        return (sum_to(g, ctx.sa) if need[0] else None, sum_to(-g, ctx.sb) if need[1] else None, None, None, None)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1: quadratic below ``beta``, linear above."""
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    a, b = _same_shape_operands(input, target)
    return SmoothL1Loss.apply(a, b, _reduction(reduction, size_average, reduce), float(beta), False)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: 0.5 d^2 below ``delta``, delta (|d| - 0.5 delta) above."""
    a, b = _same_shape_operands(input, target)
    return SmoothL1Loss.apply(a, b, _reduction(reduction), float(delta), True)


# ---------------------------------------------------------------- binary classification

def _check_same_size(input, target, legacy: bool):
    if input._data.shape != target._data.shape:
        if legacy:
            raise ValueError(
                f"Using a target size ({Size(target._data.shape)}) that is different to the input size "
                f"({Size(input._data.shape)}) is deprecated. Please ensure they have the same size."
            )
        raise ValueError(
            f"Target size ({Size(target._data.shape)}) must be the same as input size ({Size(input._data.shape)})"
        )


class BCELoss(Function):
    @staticmethod
    def forward(ctx, x, t, w, reduction):
        if x.size and (x.min() < 0 or x.max() > 1):
            raise RuntimeError("all elements of input should be between 0 and 1")
        with np.errstate(divide="ignore"):
            logx = np.maximum(np.log(x), -100)
            log1mx = np.maximum(np.log1p(-x), -100)
        loss = -(t * logx + (1 - t) * log1mx)
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w, logx, log1mx)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, w, logx, log1mx = ctx.saved
        scale = _grad_scale(grad, ctx.reduction, x.size)
        if w is not None:
            scale = scale * w
        need = ctx.needs_input_grad
        gx = scale * (x - t) / np.maximum((1 - x) * x, 1e-12) if need[0] else None
        gt = scale * (log1mx - logx) if need[1] else None
        return gx, gt, None, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log x + (1 - t) log(1 - x)), logs clamped at -100 like torch."""
    a, b = _same_shape_operands(input, target)
    _check_same_size(a, b, legacy=True)
    if weight is not None:
        weight = np.broadcast_to(weight._data if isinstance(weight, Tensor) else np.asarray(weight), a._data.shape)
    return BCELoss.apply(a, b, weight, _reduction(reduction, size_average, reduce))


class BCEWithLogitsLoss(Function):
    @staticmethod
    def forward(ctx, x, t, w, pw, reduction):
        softplus_neg = np.logaddexp(0, -x)  # log(1 + exp(-x)) = -log(sigmoid(x)), stable
        if pw is not None:
            lw = (pw - 1) * t + 1
            loss = (1 - t) * x + lw * softplus_neg
        else:
            lw = None
            loss = (1 - t) * x + softplus_neg
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w, pw, lw, softplus_neg)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, t, w, pw, lw, softplus_neg = ctx.saved
        scale = _grad_scale(grad, ctx.reduction, x.size)
        if w is not None:
            scale = scale * w
        need = ctx.needs_input_grad
        gx = gt = None
        if need[0]:
            s = np.exp(-np.logaddexp(0, -x))
            gx = scale * (s - t if pw is None else lw * s - pw * t)
        if need[1]:
            gt = scale * (-x if pw is None else (pw - 1) * softplus_neg - x)
        return gx, gt, None, None, None


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on logits: (1 - t) x + lw * log(1 + exp(-x)), lw = 1 + (pos_weight - 1) t."""
    a, b = _same_shape_operands(input, target)
    _check_same_size(a, b, legacy=False)
    shape = a._data.shape
    w = None if weight is None else np.broadcast_to(_arr(weight, a), shape)
    pw = None if pos_weight is None else np.broadcast_to(_arr(pos_weight, a), shape)
    return BCEWithLogitsLoss.apply(a, b, w, pw, _reduction(reduction, size_average, reduce))


def _arr(x, like):
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    return arr.astype(like._data.dtype, copy=False)


# ---------------------------------------------------------------- multi-class

def _flatten_classes(x: np.ndarray, t: np.ndarray):
    """(N, C, d1, ...) / (C,) inputs -> (M, C) rows and (M,) targets."""
    if x.ndim == 1:
        return x[None, :], t.reshape(1)
    if x.ndim == 2:
        return x, t
    c = x.shape[1]
    return np.moveaxis(x, 1, -1).reshape(-1, c), t.reshape(-1)


def _unflatten_classes(g2: np.ndarray, shape) -> np.ndarray:
    if len(shape) == 1:
        return g2.reshape(shape)
    if len(shape) == 2:
        return g2
    moved = g2.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return np.moveaxis(moved, -1, 1)


def _targets(t2: np.ndarray, n_classes: int, ignore_index):
    """``(targets, valid mask, all valid)``; ignored targets read as class 0, the rest bounds-checked.
    ``ignore_index`` None (the common path): every target counts, and no mask is built."""
    if ignore_index is None:
        valid, all_valid, safe = None, True, t2
    else:
        valid = t2 != ignore_index
        all_valid = bool(valid.all())
        safe = t2 if all_valid else np.where(valid, t2, 0)
    if safe.size:
        lo, hi = safe.min(), safe.max()
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            raise IndexError(f"Target {bad} is out of bounds.")
    return safe, valid, all_valid


def _check_class_shapes(x: np.ndarray, t: np.ndarray, name: str):
    if x.ndim == 1:
        if t.ndim != 0:
            raise RuntimeError(f"{name}: 1D input expects a 0D target, got target of shape {list(t.shape)}")
        return
    expected = (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        if x.ndim == 2 and t.ndim == 1:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
        raise RuntimeError(f"{name}: expected target of shape {list(expected)} for input of shape {list(x.shape)}, got {list(t.shape)}")


def _log_softmax_rows(x2: np.ndarray) -> np.ndarray:
    """log softmax of each row of ``x2 (M, C)``, shifted by the row maximum (stable)."""
    shifted = x2 - x2.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


class SoftmaxCrossEntropy(Function):
    """Cross-entropy's common path: logits, class indices (none ignored), no weight, no smoothing.

    For rows ``x_i (C,)`` with targets ``t_i``, ``p_i = softmax(x_i)``:

        loss_i = -log p_i[t_i]
        d loss_i / d x_i = p_i - onehot(t_i)

    reduced by ``mean`` (over the M rows), ``sum`` or ``none``.  Everything else
    (class weights, ignore_index present, label smoothing, nll on log-probabilities) runs
    through :class:`CrossEntropy`.
    """

    @staticmethod
    def forward(ctx, x, target, reduction):
        x2, t2 = _flatten_classes(x, target)
        rows, c = x2.shape
        logp = _log_softmax_rows(x2)
        tt = _targets(t2, c, None)[0]
        loss = -logp[np.arange(rows), tt]
        if reduction == "mean":  # an empty batch gives nan, as in torch
            out = loss.sum() / x.dtype.type(rows) if rows else np.array(np.nan, dtype=x.dtype)
        elif reduction == "sum":
            out = loss.sum()
        else:
            out = loss.reshape(target.shape)
        ctx.save_for_backward(logp, tt)
        ctx.shape, ctx.reduction = x.shape, reduction
        return out

    @staticmethod
    def backward(ctx, grad, *_):
        logp, tt = ctx.saved
        rows = logp.shape[0]
        g = np.exp(logp)                         # softmax
        g[np.arange(rows), tt] -= 1.0            # - onehot
        if ctx.reduction == "none":
            g *= grad.reshape(-1)[:, None]
        else:
            g *= grad / rows if ctx.reduction == "mean" and rows else grad
        return _unflatten_classes(g, ctx.shape), None, None


class CrossEntropy(Function):
    """Cross-entropy's general path: fused log_softmax + nll with class weights, ignore_index
    and label smoothing, or nll alone on log-probabilities (``from_logits=False``).

    With ``w_i`` the weight of row i's target (0 where ignored), ``e`` the smoothing and
    ``p = softmax(x)``: ``loss_i = (1 - e) w_i (-log p_i[t_i]) + (e / C) sum_c weight_c (-log p_ic)``,
    and the gradient of a logit row is ``(1 - e) w_i (p_i - onehot(t_i)) + (e / C) (sum(weight) p_i - weight)``.
    """

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, smoothing, from_logits):
        x2, t2 = _flatten_classes(x, target)
        rows, c = x2.shape
        logp = _log_softmax_rows(x2) if from_logits else x2
        tt, valid, all_valid = _targets(t2, c, ignore_index)
        ar = np.arange(rows)
        picked = logp[ar, tt]
        if weight is not None:
            w_t = weight[tt] if all_valid else weight[tt] * valid
        else:
            w_t = None if all_valid else valid.astype(x.dtype)
        loss = -picked if w_t is None else -picked * w_t
        if smoothing:
            smooth = -(logp * weight).sum(axis=1) if weight is not None else -logp.sum(axis=1)
            if not all_valid:
                smooth = smooth * valid
            loss = (1 - smoothing) * loss + (smoothing / c) * smooth
        if reduction == "mean":
            denom = (w_t.sum() if w_t is not None else rows) if (weight is not None or not all_valid) else rows
            with np.errstate(invalid="ignore", divide="ignore"):
                out = loss.sum() / x.dtype.type(denom)
        elif reduction == "sum":
            out = loss.sum()
            denom = 1
        else:
            out = loss.reshape(target.shape)
            denom = 1
        ctx.save_for_backward(logp, tt, w_t, valid)
        ctx.shape, ctx.weight, ctx.reduction, ctx.denom = x.shape, weight, reduction, denom
        ctx.smoothing, ctx.all_valid, ctx.from_logits = smoothing, all_valid, from_logits
        return out

    @staticmethod
    def backward(ctx, grad, *_):
        logp, tt, w_t, valid = ctx.saved
        rows, c = logp.shape
        if ctx.reduction == "none":
            coef = grad.reshape(-1)[:, None]
        elif ctx.reduction == "mean":
            # every target ignored: torch leaves the gradient at zero (the loss itself is nan)
            coef = grad / ctx.denom if ctx.denom or ctx.smoothing else np.zeros_like(grad)
        else:
            coef = grad
        keep = 1 - ctx.smoothing
        ar = np.arange(rows)
        if ctx.from_logits:
            g = np.exp(logp)
            row_w = w_t if w_t is not None else None
            if row_w is not None:
                g *= (keep * row_w)[:, None]
            elif keep != 1:
                g *= keep
            hot = keep * row_w if row_w is not None else keep
            g[ar, tt] -= hot
            if ctx.smoothing:
                p = np.exp(logp)
                if ctx.weight is not None:
                    sm = ctx.weight.sum() * p - ctx.weight
                else:
                    sm = c * p - 1
                if not ctx.all_valid:
                    sm = sm * valid[:, None]
                g += (ctx.smoothing / c) * sm
        else:  # nll: input already holds log-probabilities
            g = np.zeros_like(logp)
            g[ar, tt] = -(keep * w_t if w_t is not None else keep)
            if ctx.smoothing:
                sm = -(ctx.weight if ctx.weight is not None else np.ones(c, logp.dtype))
                g += (ctx.smoothing / c) * (sm * valid[:, None] if not ctx.all_valid else sm)
        g *= coef
        return _unflatten_classes(g, ctx.shape), None, None, None, None, None, None


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C, ...) against class indices or class probabilities."""
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    x = input._data
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    w = None if weight is None else _arr(weight, input)
    if t.dtype.kind == "f":
        return _cross_entropy_probs(input, target, w, reduction, label_smoothing)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {t.dtype}")
    _check_class_shapes(x, t, "cross_entropy")
    if w is not None and w.shape != (x.shape[0 if x.ndim == 1 else 1],):
        raise RuntimeError(f"weight tensor should be defined either for all {x.shape[0 if x.ndim == 1 else 1]} classes or no classes but got weight tensor of shape: {list(w.shape)}")
    if w is None and not label_smoothing and not (t == ignore_index).any():
        return SoftmaxCrossEntropy.apply(input, t, reduction)
    return CrossEntropy.apply(input, t, w, ignore_index, reduction, float(label_smoothing), True)


def _cross_entropy_probs(input, target, w, reduction, smoothing):
    from .activation import log_softmax
    class_dim = 0 if input._data.ndim == 1 else 1
    if target._data.shape != input._data.shape:
        raise RuntimeError(
            f"Expected target size {list(input._data.shape)}, got {list(target._data.shape)}"
        )
    n_classes = input._data.shape[class_dim]
    logp = log_softmax(input, class_dim)
    if smoothing:
        target = target * (1 - smoothing) + smoothing / n_classes
    prod = logp * target
    if w is not None:
        wshape = [1] * input._data.ndim
        wshape[class_dim] = n_classes
        prod = prod * _wrap(w.reshape(wshape))
    loss = -prod.sum(class_dim)
    if reduction == "mean":
        return loss.sum() / (input._data.size / n_classes)
    if reduction == "sum":
        return loss.sum()
    return loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C, ...) at class indices."""
    reduction = _reduction(reduction, size_average, reduce)
    x = input._data
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"expected scalar type Long but found {t.dtype}")
    _check_class_shapes(x, t, "nll_loss")
    w = None if weight is None else _arr(weight, input)
    return CrossEntropy.apply(input, t, w, ignore_index, reduction, 0.0, False)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || exp(input)) pointwise: target * (log target - input); 'batchmean' divides by N."""
    from .elementwise import exp, log, where
    if reduction == "batchmean":
        red = "batchmean"
    else:
        red = _reduction(reduction, size_average, reduce)
        if red == "mean":
            import warnings
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support size."
                "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                stacklevel=2,
            )
    a, b = _same_shape_operands(input, target)
    if log_target:
        loss = exp(b) * (b - a)
    else:
        safe = where(b > 0, b, 1.0)
        loss = b * log(safe) - b * a
    if red == "batchmean":
        return loss.sum() / (a._data.shape[0] if a._data.ndim else 1)
    if red == "mean":
        return loss.mean()
    if red == "sum":
        return loss.sum()
    return loss


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
    from .elementwise import exp, log
    if full:
        from ..errors import not_in_subset
        raise not_in_subset("poisson_nll_loss(full=True)")
    loss = exp(input) - target * input if log_input else input - target * log(input + eps)
    red = _reduction(reduction, size_average, reduce)
    return loss.mean() if red == "mean" else (loss.sum() if red == "sum" else loss)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    from .elementwise import clamp
    num = (x1 * x2).sum(dim)
    den = clamp(x1.norm(dim=dim) * x2.norm(dim=dim), min=eps)
    return num / den


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along ``dim``."""
    from .elementwise import clamp
    return input / clamp(input.norm(p, dim, keepdim=True), min=eps).expand_as(input)
