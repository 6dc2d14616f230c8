"""Indexing: ``x[...]`` (ints, slices, None, Ellipsis, integer and boolean arrays) and its
backward, ``x[...] = v``, masked_fill, gather/scatter, index_select, tril/triu, one_hot,
sort/argsort/topk."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import function as _fn
from ..function import Function, sum_to
from ..tensor import Tensor, _wrap
from ._util import check_leaf_inplace, inplace, is_tracked, norm_dim, promote, rebind


def _convert_key(key):
    """Turn Tensors / lists inside an index into NumPy arrays; report whether any is advanced."""
    if type(key) is not tuple:
        key = (key,)
    out = []
    advanced = False
    for k in key:
        if isinstance(k, Tensor):
            k = k._data
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(k, (list, np.ndarray)):
            k = np.asarray(k)
            if k.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(k, (builtins.bool, np.bool_)):
            advanced = True
        out.append(k)
    return tuple(out), advanced


class Index(Function):
    @staticmethod
    def forward(ctx, x, key, advanced):
        ctx.shape, ctx.dtype, ctx.key, ctx.advanced = x.shape, x.dtype, key, advanced
        try:
            return x[key]
        except IndexError as error:
            raise IndexError(_index_message(error, x.shape)) from None

    @staticmethod
    def backward(ctx, grad):
        g = np.zeros(ctx.shape, ctx.dtype)
        if ctx.advanced:
            np.add.at(g, ctx.key, grad)  # accumulates over repeated indices
        else:
            g[ctx.key] = grad
        return g, None, None

    @staticmethod
    def graph_backward(ctx, grad):
        return IndexGrad.apply(grad, ctx.shape, ctx.key, ctx.advanced), None, None


class IndexGrad(Function):
    """Index's backward as an op (for create_graph=True): ``grad`` scattered into zeros of
    ``shape`` at ``key``; its own backward is indexing again."""

    @staticmethod
    def forward(ctx, grad, shape, key, advanced):
        ctx.key, ctx.advanced = key, advanced
        g = np.zeros(shape, grad.dtype)
        if advanced:
            np.add.at(g, key, grad)
        else:
            g[key] = grad
        return g

    @staticmethod
    def backward(ctx, gg):
        key, advanced = ctx.key, ctx.advanced
        return gg[key], None, None, None

    @staticmethod
    def graph_backward(ctx, gg):
        key, advanced = ctx.key, ctx.advanced
        return Index.apply(gg, key, advanced), None, None, None


def _index_message(error, shape) -> str:
    text = str(error)
    if "out of bounds" in text:
        # NumPy: "index 5 is out of bounds for axis 0 with size 3"
        parts = text.split()
        try:
            idx, axis, size = parts[1], parts[8], parts[-1]
            return f"index {idx} is out of bounds for dimension {axis} with size {size}"
        except IndexError:
            return text
    return text


def getitem(self, key):
    """``self[key]`` with torch/NumPy semantics; views for basic indexing."""
    if type(key) is builtins.int or type(key) is slice:
        if self._rg and _fn._mode.enabled:
            return Index.apply(self, (key,), False)
        try:
            return _wrap(np.asarray(self._data[key]) if type(key) is builtins.int else self._data[key])
        except IndexError as error:
            raise IndexError(_index_message(error, self._data.shape)) from None
    key, advanced = _convert_key(key)
    if self._rg and _fn._mode.enabled:
        return Index.apply(self, key, advanced)
    try:
        out = self._data[key]
    except IndexError as error:
        raise IndexError(_index_message(error, self._data.shape)) from None
    return _wrap(out if type(out) is np.ndarray else np.asarray(out))


class IndexPut(Function):
    """Out-of-place ``x[key] = value`` used when autograd tracks the assignment."""

    @staticmethod
    def forward(ctx, x, value, key):
        out = x.copy()
        out[key] = value
        ctx.key, ctx.vshape = key, np.shape(value)
        return out

    @staticmethod
    def backward(ctx, grad):
        key, vshape = ctx.key, ctx.vshape
        gx = grad.copy()
        gx[key] = 0
        gv = sum_to(grad[key], vshape) if ctx.needs_input_grad[1] else None
        return gx, gv, None


def setitem(self, key, value):
    """``self[key] = value`` (in place; autograd-tracked when needed)."""
    key, _ = _convert_key(key)
    if is_tracked(self, value):
        check_leaf_inplace(self)
        if isinstance(value, Tensor) and value._data.dtype != self._data.dtype:
            value = value.to(self._data.dtype)
        rebind(self, IndexPut.apply(self, value, key))
        return
    v = value._data if isinstance(value, Tensor) else value
    self._data[key] = v


class MaskedFill(Function):
    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask, ctx.shape = mask, x.shape
        out = np.where(mask, np.asarray(value, dtype=x.dtype), x)
        return out

    @staticmethod
    def backward(ctx, grad):
        mask, shape = ctx.mask, ctx.shape
        return sum_to(np.where(mask, 0, grad), shape), None, None


def masked_fill(input, mask, value):
    """Replace entries where ``mask`` (broadcastable bool tensor) is True by ``value``."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {m.dtype}")
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with {value._data.ndim} dimension(s)."
            )
        if value._rg:
            from .elementwise import where
            return where(mask, value, input)
        value = value._data.item()
    if isinstance(value, builtins.float) and input._data.dtype.kind != "f":
        value = builtins.int(value) if input._data.dtype.kind != "b" else builtins.bool(value)
    return MaskedFill.apply(input, m, value)


def masked_fill_(self, mask, value):
    return inplace(self, lambda t: masked_fill(t, mask, value))


def masked_select(input, mask):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    shape = np.broadcast_shapes(input._data.shape, m.shape)
    x = input.expand(*shape) if input._data.shape != shape else input
    return getitem(x, _wrap(np.broadcast_to(m, shape)))


def index_select(input, dim, index):
    """Rows of ``input`` along ``dim`` picked by the 1-D integer ``index``."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    key = (slice(None),) * norm_dim(dim, input._data.ndim) + (idx.reshape(-1),)
    return getitem(input, key)


# ---------------------------------------------------------------- gather / scatter

def _grid(index: np.ndarray, axis: int):
    """Open-mesh index tuple addressing ``input`` at (i, ..., index[i...], ...)."""
    grids = list(np.ogrid[tuple(slice(0, s) for s in index.shape)])
    grids[axis] = index
    return tuple(grids)


class Gather(Function):
    @staticmethod
    def forward(ctx, x, index, axis):
        key = _grid(index, axis)
        ctx.shape, ctx.dtype, ctx.key = x.shape, x.dtype, key
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        shape, dtype, key = ctx.shape, ctx.dtype, ctx.key
        g = np.zeros(shape, dtype)
        np.add.at(g, key, grad)
        return g, None, None


def gather(input, dim, index, *, sparse_grad=False):
    """``out[i][j][k] = input[i][index[i][j][k]][k]`` for dim=1 (index may be smaller)."""
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int64 for index")
    axis = norm_dim(dim, input._data.ndim)
    if idx.ndim != input._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(idx.ndim):
        if d != axis and idx.shape[d] > input._data.shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(idx.shape)} to be smaller than self {list(input._data.shape)} apart from dimension {axis}"
            )
    return Gather.apply(input, idx, axis)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    return gather(input, dim, indices)


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, x, index, src, axis):
        key = _grid(index, axis)
        ctx.key, ctx.ishape = key, index.shape
        out = x.copy()
        np.add.at(out, key, src[tuple(slice(0, s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, grad):
        key, ishape = ctx.key, ctx.ishape
        need = ctx.needs_input_grad
        gsrc = None
        if need[2]:
            gsrc = grad[key]
        return grad, None, gsrc, None


def scatter_add(input, dim, index, src):
    """Add ``src`` into ``input`` at ``index`` along ``dim`` (accumulating repeats)."""
    a, s = promote(input, src)
    return ScatterAdd.apply(a, index._data, s, norm_dim(dim, input._data.ndim))


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """Write ``src`` (or ``value``) into ``input`` at ``index`` along ``dim`` (no repeats)."""
    if reduce is not None:
        from ..errors import not_in_subset
        raise not_in_subset("scatter(reduce=...)", "use scatter_add")
    if src is None:
        src = value
    axis = norm_dim(dim, input._data.ndim)
    key = _grid(index._data, axis)
    if not isinstance(src, Tensor):
        out = input._data.copy()
        out[key] = src
        if is_tracked(input):
            from .elementwise import where
            mask = np.zeros(input._data.shape, bool)
            mask[key] = True
            return where(_wrap(mask), _wrap(out), input)
        return _wrap(out)
    sub = tuple(slice(0, s) for s in index._data.shape)
    return IndexPut.apply(input, src[sub] if src._data.shape != index._data.shape else src, key)


# ---------------------------------------------------------------- triangles

class Tri(Function):
    @staticmethod
    def forward(ctx, x, k, lower):
        ctx.k, ctx.lower = k, lower
        return np.tril(x, k) if lower else np.triu(x, k)

    @staticmethod
    def backward(ctx, grad):
        k, lower = ctx.k, ctx.lower
        return (np.tril(grad, k) if lower else np.triu(grad, k)), None, None


def tril(input, diagonal=0):
    """Lower triangle of the last two dims (entries above ``diagonal`` zeroed)."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tri.apply(input, diagonal, True)


def triu(input, diagonal=0):
    """Upper triangle of the last two dims."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tri.apply(input, diagonal, False)


def diag(input, diagonal=0):
    x = input._data
    if x.ndim == 1:
        n = x.shape[0] + builtins.abs(diagonal)
        eye_idx = np.arange(x.shape[0])
        rows = eye_idx + builtins.max(-diagonal, 0)
        cols = eye_idx + builtins.max(diagonal, 0)
        from ..creation import zeros
        out = zeros(n, n, dtype=input.dtype)
        return IndexPut.apply(out, input, (rows, cols))
    n = builtins.min(x.shape[0] - builtins.max(-diagonal, 0), x.shape[1] - builtins.max(diagonal, 0))
    idx = np.arange(builtins.max(n, 0))
    return getitem(input, (_wrap(idx + builtins.max(-diagonal, 0)), _wrap(idx + builtins.max(diagonal, 0))))


def diagonal(input, offset=0, dim1=0, dim2=1):
    if input._data.ndim == 2 and (dim1, dim2) == (0, 1):
        return diag(input, offset)
    moved = input.movedim((dim1, dim2), (-2, -1))
    n = builtins.min(moved._data.shape[-2] - builtins.max(-offset, 0), moved._data.shape[-1] - builtins.max(offset, 0))
    idx = np.arange(builtins.max(n, 0))
    return getitem(moved, (Ellipsis, idx + builtins.max(-offset, 0), idx + builtins.max(offset, 0)))


def trace(input):
    return diag(input).sum()


# ---------------------------------------------------------------- one_hot / sort / topk

def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding with a new last dim of ``num_classes``."""
    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = builtins.int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes." if idx.min() >= 0 else "Class values must be non-negative.")
    return _wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64))


_sort_type = namedtuple("sort", ["values", "indices"])
_sort_type.__module__ = "scratch.return_types"
_topk_type = namedtuple("topk", ["values", "indices"])
_topk_type.__module__ = "scratch.return_types"


def sort(input, dim=-1, descending=False, stable=False):
    """Sorted values and the indices that sort them (stable)."""
    axis = norm_dim(dim, input._data.ndim)
    x = input._data
    if descending:
        key = -(x.astype(np.float64) if x.dtype.kind in "biu" else x)
        idx = np.argsort(key, axis=axis, kind="stable")
    else:
        idx = np.argsort(x, axis=axis, kind="stable")
    idx = idx.astype(np.int64)
    if x.ndim == 0:
        return _sort_type(input, _wrap(np.zeros((), np.int64)))
    values = gather(input, axis, _wrap(idx)) if input._rg else _wrap(np.take_along_axis(x, idx, axis))
    return _sort_type(values, _wrap(idx))


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices."""
    values, indices = sort(input, dim, descending=largest)
    axis = norm_dim(dim, input._data.ndim)
    key = (slice(None),) * axis + (slice(0, k),)
    return _topk_type(getitem(values, key), getitem(indices, key))


def nonzero(input, *, as_tuple=False):
    idx = np.nonzero(input._data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64)) for i in idx)
    return _wrap(np.stack(idx, axis=1).astype(np.int64) if idx else np.zeros((0, 0), np.int64))


def argwhere(input):
    return nonzero(input)
