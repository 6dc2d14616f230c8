"""``nn.utils``: gradient clipping and parameter/vector conversion; ``nn.utils.rnn`` (padding, packing)."""

from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor, _wrap


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p._grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None):
    """Scale all gradients so their joint ``norm_type``-norm is at most ``max_norm``.

    Same arithmetic as torch: :func:`get_total_norm` of the gradients, then
    :func:`clip_grads_with_norm_`. Returns the total norm (before clipping) as a 0-dim Tensor.
    """
    params = _grads(parameters)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None):
    """The ``norm_type``-norm of the per-tensor norms of ``tensors`` (the norm of them all
    concatenated), as a 0-dim Tensor in the first tensor's dtype (float32 when there are none)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return _wrap(np.zeros((), np.float32))
    dtype = tensors[0]._data.dtype
    if norm_type == math.inf:
        norms = [np.abs(t._data).max() if t._data.size else dtype.type(0) for t in tensors]
        total = np.asarray(max(norms), dtype=dtype)
    else:
        norms = np.array([_vector_norm(t._data, norm_type) for t in tensors], dtype=dtype)
        total = np.asarray(_vector_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm: float, total_norm, foreach=None) -> None:
    """Multiply every gradient in place by min(1, max_norm / (total_norm + 1e-6))."""
    params = _grads(parameters)
    if not params:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dtype = total.dtype
    coef = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
    for p in params:
        np.multiply(p._grad, coef.astype(p._grad.dtype), out=p._grad)


def _vector_norm(x: np.ndarray, p: float):
    if p == 2.0:
        flat = x.ravel(order="K")  # a view for C- and F-ordered arrays alike
        return np.sqrt(np.dot(flat, flat))
    if p == 1.0:
        return np.abs(x).sum()
    return (np.abs(x) ** p).sum() ** (1.0 / p)


clip_grad_norm = clip_grad_norm_


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _grads(parameters):
        np.clip(p._grad, -clip_value, clip_value, out=p._grad)


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate parameters into one 1-D tensor (a copy, detached)."""
    return _wrap(np.concatenate([p._data.reshape(-1) for p in parameters]))


def vector_to_parameters(vec, parameters) -> None:
    """Copy slices of ``vec`` into the parameters, in order."""
    offset = 0
    data = vec._data
    for p in parameters:
        n = p._data.size
        p._data[...] = data[offset:offset + n].reshape(p._data.shape)
        offset += n


from . import rnn  # noqa: E402,F401 - torch.nn.utils.rnn


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    from ...errors import not_in_subset
    raise not_in_subset(f"torch.nn.utils.{name}")
