"""torch.unique / unique_consecutive: the distinct values (or slices along ``dim``), with the
inverse indices and the counts on request.  Not differentiable, as in PyTorch: the result
records a node whose backward raises."""

from __future__ import annotations

import numpy as np

from ..function import Function
from ..tensor import _wrap
from ._util import norm_dim


class Unique(Function):
    @staticmethod
    def forward(ctx, x, values):
        return values

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for '_unique2' is not implemented.")


def _result(input, values, inverse, counts, return_inverse, return_counts):
    out = Unique.apply(input, values) if input._rg else _wrap(values)
    extras = []
    if return_inverse:
        extras.append(_wrap(np.asarray(inverse, dtype=np.int64)))
    if return_counts:
        extras.append(_wrap(np.asarray(counts, dtype=np.int64)))
    return (out, *extras) if extras else out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The sorted distinct elements of ``input`` (flattened), or its distinct slices along ``dim``.

    ``return_inverse``: for each element (or slice) the index of its value in the result, so
    ``result[inverse]`` rebuilds the input; ``return_counts``: how often each value occurs.
    NaNs count as distinct from each other, as in PyTorch.  (PyTorch on CPU sorts whatever
    ``sorted`` says; so does this.)
    """
    x = input._data
    if dim is None:
        values, inverse, counts = np.unique(x.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False)
        inverse = inverse.reshape(x.shape)
    else:
        axis = norm_dim(dim, x.ndim)
        if x.shape[axis] == 0:
            values, inverse, counts = x, np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=axis)
            inverse = inverse.reshape(-1)
    return _result(input, values, inverse, counts, return_inverse, return_counts)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along ``dim``) to one."""
    x = input._data
    axis = None if dim is None else norm_dim(dim, x.ndim)
    flat = x.reshape(-1) if axis is None else np.moveaxis(x, axis, 0)
    n = flat.shape[0]
    if n == 0:
        starts = np.zeros(0, np.int64)
    else:
        change = np.any((flat[1:] != flat[:-1]).reshape(n - 1, -1), axis=1)
        starts = np.concatenate([[0], np.nonzero(change)[0] + 1])
    values = flat[starts] if axis is None else np.moveaxis(flat[starts], 0, axis)
    inverse = np.cumsum(np.isin(np.arange(n), starts)) - 1
    counts = np.diff(np.append(starts, n))
    if axis is None:
        inverse = inverse.reshape(x.shape)
    return _result(input, values, inverse, counts, return_inverse, return_counts)
