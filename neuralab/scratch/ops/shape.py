"""Shape ops: reshape/view, transpose/permute, squeeze/unsqueeze, expand/repeat,
cat/stack, split/chunk/unbind, flip/roll, narrow/select.

Forward results are NumPy views where NumPy allows (like torch's views); backward maps
the gradient back to the input's layout.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..function import Function, sum_to
from ..tensor import Size, Tensor, _wrap
from ._util import norm_dim, promote_many


def _dims(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        return tuple(args[0])
    return tuple(args)


# ---------------------------------------------------------------- reshape family

class Reshape(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


def _infer_shape(shape, size) -> tuple:
    shape = tuple(builtins.int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


def reshape(input, *shape):
    """A tensor with the same data and ``shape`` (one dim may be -1)."""
    shape = _infer_shape(_dims(shape), input._data.size)
    if shape == input._data.shape:
        return Reshape.apply(input, shape) if input._rg else _wrap(input._data.view())
    return Reshape.apply(input, shape)


view = reshape


def view_as(input, other):
    return reshape(input, other._data.shape)


reshape_as = view_as


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims ``start_dim..end_dim`` into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    n = len(shape)
    s, e = norm_dim(start_dim, n), norm_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = 1
    for d in shape[s:e + 1]:
        merged *= d
    return reshape(input, shape[:s] + (merged,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one may be -1)."""
    shape = input._data.shape
    d = norm_dim(dim, len(shape))
    sizes = list(sizes)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = shape[d] // known
    if math.prod(sizes) != shape[d]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({shape[d]}) in the input tensor"
        )
    return reshape(input, shape[:d] + tuple(sizes) + shape[d + 1:])


def squeeze(input, dim=None):
    """Remove dims of length 1 (only ``dim`` if given; a no-op if that dim is not 1)."""
    shape = input._data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = {norm_dim(d, len(shape)) for d in dims} if shape else set()
        new = tuple(s for i, s in enumerate(shape) if not (i in axes and s == 1))
    return reshape(input, new)


def unsqueeze(input, dim):
    """Insert a dim of length 1 at ``dim``."""
    shape = input._data.shape
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    d = dim % n
    return reshape(input, shape[:d] + (1,) + shape[d:])


# ---------------------------------------------------------------- transpose / permute

class Permute(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims)), None

    @staticmethod
    def graph_backward(ctx, grad):
        return grad.permute(*np.argsort(ctx.dims).tolist()), None


def permute(input, *dims):
    """Reorder dims: ``x.permute(2, 0, 1)``."""
    dims = _dims(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(norm_dim(d, n) for d in dims)
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    """Swap two dims."""
    n = input._data.ndim
    if n == 0:
        return input
    d0, d1 = norm_dim(dim0, n), norm_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = swapdims = transpose


def t(input):
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else input


def T(input):
    n = input._data.ndim
    return Permute.apply(input, tuple(range(n - 1, -1, -1))) if n > 1 else input


def mT(input):
    if input._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(input, -2, -1)


def movedim(input, source, destination):
    n = input._data.ndim
    src = [norm_dim(s, n) for s in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [norm_dim(d, n) for d in (destination if isinstance(destination, (tuple, list)) else [destination])]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


moveaxis = movedim


# ---------------------------------------------------------------- expand / repeat

class Expand(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return sum_to(grad, ctx.shape), None


def expand(input, *sizes):
    """Broadcast to ``sizes`` without copying (-1 keeps a dim)."""
    sizes = _dims(sizes)
    shape = input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(shape)}}}, size=[{', '.join(map(str, sizes))}]): the number of sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}")
            target.append(s)
            continue
        cur = shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(shape)}"
            )
        target.append(s)
    target = tuple(target)
    if target == shape:
        return input
    return Expand.apply(input, target)


def expand_as(input, other):
    return expand(input, other._data.shape)


def broadcast_to(input, shape):
    return expand(input, tuple(shape))


class Repeat(Function):
    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape = x.shape
        return np.tile(x.reshape((1,) * (len(reps) - x.ndim) + x.shape), reps)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.shape
        full = (1,) * (grad.ndim - len(shape)) + shape
        inter = []
        for r, s in zip(np.divide(grad.shape, full).astype(int), full):
            inter += [r, s]
        g = grad.reshape(inter).sum(axis=tuple(range(0, len(inter), 2)))
        return g.reshape(shape), None


def repeat(input, *sizes):
    """Tile the tensor ``sizes[i]`` times along each dim (like ``torch.Tensor.repeat``)."""
    sizes = _dims(sizes)
    if len(sizes) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    return Repeat.apply(input, tuple(builtins.int(s) for s in sizes))


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def repeat_interleave(input, repeats, dim=None):
    from .indexing import index_select
    if dim is None:
        input, dim = reshape(input, -1), 0
    n = input._data.shape[dim]
    reps = repeats._data if isinstance(repeats, Tensor) else repeats
    idx = np.repeat(np.arange(n), reps)
    return index_select(input, dim, _wrap(idx))


# ---------------------------------------------------------------- cat / stack

class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))

    @staticmethod
    def graph_backward(ctx, grad):  # the same split, recorded (Jacobians of Jacobians stack rows)
        bounds = [0, *(int(b) for b in ctx.splits), grad.shape[ctx.axis]]
        return tuple(narrow(grad, ctx.axis, a, b - a) for a, b in zip(bounds, bounds[1:]))


def cat(tensors, dim=0, *, out=None, axis=None):
    """Concatenate tensors along an existing dim."""
    dim = axis if axis is not None else dim
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    tensors = promote_many(tensors)
    ref = tensors[0]._data
    axis = norm_dim(dim, ref.ndim)
    for i, t in enumerate(tensors):
        s = t._data.shape
        if len(s) != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {len(s)}"
            )
        for d in range(ref.ndim):
            if d != axis and s[d] != ref.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {ref.shape[d]} but got size {s[d]} for tensor number {i} in the list."
                )
    return Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))

    @staticmethod
    def graph_backward(ctx, grad):
        return tuple(select(grad, ctx.axis, i) for i in range(grad.shape[ctx.axis]))


def stack(tensors, dim=0, *, out=None, axis=None):
    """Stack equally-shaped tensors along a new dim."""
    dim = axis if axis is not None else dim
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    tensors = promote_many(tensors)
    ref = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and {list(t._data.shape)} at entry {i}"
            )
    n = len(ref) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return Stack.apply(*tensors, axis=dim % n)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t._data.ndim > 1 else reshape(t, (1, -1)) for t in tensors], 0)


# ---------------------------------------------------------------- split / chunk / unbind

class Split(Function):
    """One input, several outputs (views); backward concatenates the output gradients."""

    @staticmethod
    def forward(ctx, x, bounds, axis):
        ctx.axis = axis
        index = [slice(None)] * x.ndim
        outs = []
        for lo, hi in bounds:
            index[axis] = slice(lo, hi)
            outs.append(x[tuple(index)])
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return np.concatenate(grads, axis=ctx.axis), None, None


def _split_bounds(sizes):
    bounds, lo = [], 0
    for s in sizes:
        bounds.append((lo, lo + s))
        lo += s
    return bounds


def split(tensor, split_size_or_sections, dim=0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the given sizes."""
    n = tensor._data.shape[dim]
    axis = norm_dim(dim, tensor._data.ndim)
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [builtins.int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {dim}), but got split_sizes={sizes}"
            )
    else:
        size = builtins.int(split_size_or_sections)
        if size <= 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        if not sizes:
            sizes = [0]
    return Split.apply(tensor, _split_bounds(sizes), axis)


def tensor_split(input, indices_or_sections, dim=0):
    n = input._data.shape[dim]
    if isinstance(indices_or_sections, builtins.int):
        k = indices_or_sections
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
    else:
        cuts = [0] + list(indices_or_sections) + [n]
        sizes = [cuts[i + 1] - cuts[i] for i in range(len(cuts) - 1)]
    return Split.apply(input, _split_bounds(sizes), norm_dim(dim, input._data.ndim))


def chunk(input, chunks, dim=0):
    """Split into ``chunks`` pieces of size ceil(n / chunks) (possibly fewer pieces)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[dim]
    size = -(-n // chunks) if n else 1
    return split(input, size, dim)


class Unbind(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return tuple(np.moveaxis(x, axis, 0))

    @staticmethod
    def backward(ctx, *grads):
        return np.stack(grads, axis=ctx.axis), None


def unbind(input, dim=0):
    """Tuple of slices along ``dim`` (that dim removed)."""
    return Unbind.apply(input, norm_dim(dim, input._data.ndim))


def select(input, dim, index):
    """``input`` indexed at ``index`` along ``dim`` (that dim removed)."""
    key = (slice(None),) * norm_dim(dim, input._data.ndim) + (builtins.int(index),)
    return input[key]


def narrow(input, dim, start, length):
    """The slice ``start:start+length`` along ``dim``."""
    start = builtins.int(start)
    if start < 0:
        start += input._data.shape[dim]
    key = (slice(None),) * norm_dim(dim, input._data.ndim) + (slice(start, start + builtins.int(length)),)
    return input[key]


# ---------------------------------------------------------------- flip / roll

class Flip(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes)

    @staticmethod
    def backward(ctx, grad):
        return np.flip(grad, ctx.axes), None


def flip(input, dims):
    """Reverse the order along ``dims``."""
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    return Flip.apply(input, tuple(norm_dim(d, input._data.ndim) for d in dims))


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, grad):
        shifts, axes = ctx.shifts, ctx.axes
        neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return np.roll(grad, neg, axes), None, None


def roll(input, shifts, dims=None):
    if dims is None:
        return reshape(Roll.apply(reshape(input, -1), shifts, 0), input._data.shape)
    if isinstance(shifts, (list, tuple)):
        shifts = tuple(shifts)
        dims = tuple(dims)
    return Roll.apply(input, shifts, dims)


def atleast_1d(input):
    return reshape(input, (1,)) if input._data.ndim == 0 else input


def atleast_2d(input):
    n = input._data.ndim
    return reshape(input, (1,) * (2 - n) + input._data.shape) if n < 2 else input
