"""Tensor factories: tensor, from_numpy, zeros/ones/full/empty (+ _like), arange,
linspace, eye, and the random ones (randn, rand, randint, randperm, normal, bernoulli,
multinomial)."""

from __future__ import annotations

import builtins

import numpy as np

from . import dtypes as _dt
from .random import rng
from .tensor import Tensor, _check_device, _size, _wrap


def _leaf(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad = True  # validates the dtype
    return t


def _infer_array(data, dtype_given: bool = False) -> np.ndarray:
    """NumPy array of Python data with torch's dtype inference (floats -> default dtype).

    With an explicit dtype the floats are kept at full precision until the cast to it
    (torch never rounds ``tensor([0.1], dtype=float64)`` through float32).
    """
    if isinstance(data, Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        if data.dtype == object:
            raise TypeError("can't convert np.ndarray of type numpy.object_.")
        return np.array(data, copy=True)
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype == object:
        raise ValueError(f"could not convert {type(data).__name__} to a tensor: ragged or mixed nested sequences")
    if arr.dtype.kind == "f" and arr.dtype == np.float64 and not dtype_given and not _has_float64_tensors(data):
        arr = arr.astype(_dt.default_np())
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64 and not _has_tensors(data):
        arr = arr.astype(np.int64)
    elif arr.dtype.kind in "US":
        raise TypeError(f"new(): invalid data type '{arr.dtype.kind == 'U' and 'str'}'")
    return arr


def _has_tensors(data) -> bool:
    if isinstance(data, Tensor):
        return True
    if isinstance(data, (list, tuple)) and data:
        return _has_tensors(data[0])
    return False


def _has_float64_tensors(data) -> bool:
    if isinstance(data, Tensor):
        return data._data.dtype == np.float64
    if isinstance(data, np.ndarray):
        return data.dtype == np.float64
    if isinstance(data, (list, tuple)) and data:
        return _has_float64_tensors(data[0])
    return False


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor copying ``data`` (ints -> int64, floats -> default dtype, bools -> bool)."""
    _check_device(device)
    arr = _infer_array(data, dtype_given=dtype is not None)
    if dtype is not None:
        arr = arr.astype(_dt.to_np(dtype), copy=False)
    _dt.from_numpy_dtype(arr.dtype)  # raises for unsupported dtypes
    return _leaf(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with a NumPy array / Tensor when it can."""
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dt.to_np(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A Tensor sharing memory with ``ndarray`` (same dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dt.from_numpy_dtype(ndarray.dtype)
    return _wrap(ndarray)


def _dtype(dtype, default=None):
    if dtype is None:
        return default if default is not None else _dt.default_np()
    return _dt.to_np(dtype)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    _check_device(device)
    return _leaf(np.zeros(_size(size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Tensor of ones."""
    _check_device(device)
    return _leaf(np.ones(_size(size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None) -> Tensor:
    """Tensor of the given size (filled with zeros in this engine)."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Tensor filled with ``fill_value`` (dtype inferred from it: bool, int64 or default float)."""
    _check_device(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        if isinstance(fill_value, (builtins.bool, np.bool_)):
            np_dtype = np.dtype(np.bool_)
        elif isinstance(fill_value, (builtins.int, np.integer)):
            np_dtype = np.dtype(np.int64)
        else:
            np_dtype = _dt.default_np()
    else:
        np_dtype = _dt.to_np(dtype)
    size = _size((size,)) if not isinstance(size, (builtins.int, np.integer)) else (builtins.int(size),)
    return _leaf(np.full(size, fill_value, np_dtype), requires_grad)


def _like_dtype(input, dtype):
    return input._data.dtype if dtype is None else _dt.to_np(dtype)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return _leaf(np.zeros(input._data.shape, _like_dtype(input, dtype)), requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return _leaf(np.ones(input._data.shape, _like_dtype(input, dtype)), requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None) -> Tensor:
    return _leaf(np.full(input._data.shape, fill_value, _like_dtype(input, dtype)), requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Values start, start+step, ... < end (int64 for integer arguments, else default float)."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    vals = [start, end, step]
    vals = [v.item() if isinstance(v, Tensor) else v for v in vals]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (builtins.int, np.integer)) for v in vals)
        np_dtype = np.dtype(np.int64) if is_int else _dt.default_np()
    else:
        np_dtype = _dt.to_np(dtype)
    n = builtins.max(0, int(np.ceil((end - start) / step)))
    values = start + np.arange(n, dtype=np.float64 if np_dtype.kind == "f" else np.int64) * step
    return _leaf(values.astype(np_dtype), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """``steps`` evenly spaced values from start to end (inclusive), torch's symmetric formula."""
    _check_device(device)
    np_dtype = _dtype(dtype)
    steps = builtins.int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if steps == 1:
        return _leaf(np.array([start], dtype=np_dtype), requires_grad)
    i = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    half = steps // 2
    values = np.where(i < half, start + step * i, end - step * (steps - i - 1))
    return _leaf(values.astype(np_dtype), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    lin = linspace(start, end, steps, dtype=np.float64)
    return _leaf(np.power(base, lin._data).astype(_dtype(dtype)), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Identity matrix (n x m)."""
    _check_device(device)
    return _leaf(np.eye(n, n if m is None else m, dtype=_dtype(dtype)), requires_grad)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    shape = tuple(t._data.size for t in tensors)
    if indexing == "xy" and n >= 2:
        shape = (shape[1], shape[0]) + shape[2:]
    out = []
    for i, t in enumerate(tensors):
        view = [1] * n
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view[pos] = t._data.size
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


# ---------------------------------------------------------------- random

def _float_dtype(dtype):
    np_dtype = _dtype(dtype)
    if np_dtype.kind != "f":
        raise RuntimeError(f"expected a floating-point dtype, got {np_dtype}")
    return np_dtype


def _rand_dtype(np_dtype):
    return np_dtype if np_dtype in (np.float32, np.float64) else np.float64


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Standard normal samples."""
    _check_device(device)
    np_dtype = _float_dtype(dtype)
    arr = rng(generator).standard_normal(_size(size), dtype=_rand_dtype(np_dtype)).astype(np_dtype, copy=False)
    return _leaf(arr, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    _check_device(device)
    np_dtype = _float_dtype(dtype)
    arr = rng(generator).random(_size(size), dtype=_rand_dtype(np_dtype)).astype(np_dtype, copy=False)
    return _leaf(arr, requires_grad)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, low=None, high=None) -> Tensor:
    """Integers uniform in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    _check_device(device)
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if high is None:
        high = args.pop() if args else None
    if low is None:
        low = args.pop() if args else 0
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: expected randint(low=0, high, size)")
    arr = rng(generator).integers(low, high, size=_size((size,)), dtype=np.int64)
    return _wrap(arr.astype(_dtype(dtype, np.dtype(np.int64)), copy=False))


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A random permutation of 0..n-1."""
    _check_device(device)
    arr = rng(generator).permutation(builtins.int(n)).astype(_dtype(dtype, np.dtype(np.int64)))
    return _wrap(arr)


def rand_like(input, *, dtype=None, generator=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return rand(input._data.shape, dtype=_like_dtype(input, dtype), generator=generator, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, generator=None, device=None, requires_grad=False, memory_format=None) -> Tensor:
    return randn(input._data.shape, dtype=_like_dtype(input, dtype), generator=generator, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, generator=None, device=None, requires_grad=False) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=_like_dtype(input, dtype), generator=generator)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None, requires_grad=False, out=None) -> Tensor:
    """Normal samples: tensor mean/std elementwise, or scalars with ``size``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        z = rng(generator).standard_normal(shape, dtype=_rand_dtype(ref._data.dtype))
        return _wrap((m + s * z).astype(ref._data.dtype, copy=False))
    if size is None:
        raise TypeError("normal() with scalar mean and std needs a size")
    np_dtype = _float_dtype(dtype)
    z = rng(generator).standard_normal(_size((size,)), dtype=_rand_dtype(np_dtype))
    return _leaf((mean + std * z).astype(np_dtype, copy=False), requires_grad)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or ``p``), in input's dtype."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    u = rng(generator).random(input._data.shape)
    return _wrap((u < probs).astype(input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Sample class indices from rows of (unnormalised) non-negative weights."""
    w = input._data.astype(np.float64)
    one = w.ndim == 1
    w2 = w[None] if one else w
    if (w2 < 0).any() or not np.isfinite(w2).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = w2.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    g = rng(generator)
    rows, n = w2.shape
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if replacement:
        cdf = np.cumsum(w2 / totals, axis=1)
        cdf[:, -1] = 1.0
        u = g.random((rows, num_samples))
        out = np.stack([np.searchsorted(cdf[r], u[r], side="right") for r in range(rows)])
    else:
        # exponential race: the k smallest E_i / w_i are a weighted sample without replacement
        with np.errstate(divide="ignore"):
            keys = g.exponential(size=w2.shape) / w2
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64)
    return _wrap(out[0] if one else out)


def poisson(input, generator=None) -> Tensor:
    return _wrap(rng(generator).poisson(input._data).astype(input._data.dtype))
