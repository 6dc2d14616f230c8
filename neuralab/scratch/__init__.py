"""neuralab.scratch: a from-scratch NumPy autograd engine whose public API is a subset of PyTorch's.

    import neuralab.scratch as T
    x = T.randn(32, 784)
    model = T.nn.Sequential(T.nn.Linear(784, 128), T.nn.ReLU(), T.nn.Linear(128, 10))
    loss = T.nn.functional.cross_entropy(model(x), T.randint(0, 10, (32,)))
    loss.backward()

Names, signatures, defaults, shapes, dtypes and ``state_dict`` keys follow PyTorch;
anything outside the subset raises ``NotImplementedError`` naming the feature.
This package imports NumPy only.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as _np

from . import dtypes as _dtypes
from .dtypes import (
    bool_ as bool,  # noqa: A001 - torch.bool
    double,
    dtype,
    float,  # noqa: A001 - torch.float
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,  # noqa: A001 - torch.int
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from .errors import NotInSubsetError, not_in_subset
from .function import Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Size, Tensor, device
from . import ops as _ops  # binds Tensor methods
from .ops.activation import erf, log_softmax, relu, softmax
from .ops.elementwise import (
    abs, absolute, add, addcdiv, addcmul, allclose, bitwise_and, bitwise_not, bitwise_or, bitwise_xor,
    ceil, clamp, clamp_max, clamp_min, clip, cos, div, divide, eq, equal, exp, expm1, float_power,
    floor, floor_divide, fmod, frac, ge, greater, greater_equal, gt, isclose, isfinite, isinf, isnan,
    le, lerp, less, less_equal, log, log1p, log2, log10, logical_and, logical_not, logical_or,
    logical_xor, lt, maximum, minimum, mul, multiply, nan_to_num, ne, neg, negative, not_equal, pow,
    reciprocal, remainder, round, rsqrt, sgn, sigmoid, sign, sin, sqrt, square, sub, subtract, tanh,
    true_divide, trunc, where,
)
from .ops.indexing import (
    argsort, argwhere, diag, diagonal, gather, index_select, masked_fill, masked_select, nonzero,
    scatter, scatter_add, sort, take_along_dim, topk, trace, tril, triu,
)
from .ops.unique import unique, unique_consecutive
from .ops.linalg import bmm, dot, einsum, inner, kron, matmul, mm, mv, outer, tensordot
from .ops.counting import bincount, histc, searchsorted
from .ops.reduce import (
    all, amax, amin, aminmax, any, argmax, argmin, count_nonzero, cumprod, cumsum, logsumexp, max,
    diff, mean, median, min, nansum, norm, prod, std, std_mean, sum, var, var_mean,
)
from .ops.shape import (
    atleast_1d, atleast_2d, broadcast_to, cat, chunk, concat, concatenate, flatten, flip, fliplr,
    flipud, hstack, movedim, moveaxis, narrow, permute, repeat_interleave, reshape, roll, select,
    split, squeeze, stack, swapaxes, swapdims, t, tensor_split, tile, transpose, unbind, unflatten,
    unsqueeze, vstack,
)
from .creation import (
    arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_numpy, full, full_like,
    linspace, logspace, meshgrid, multinomial, normal, ones, ones_like, poisson, rand, rand_like,
    randint, randint_like, randn, randn_like, randperm, zeros, zeros_like,
)
from .creation import tensor as _tensor_factory
from .random import (
    Generator, default_generator, fork_rng, get_rng_state, initial_seed, manual_seed, seed,
    set_rng_state,
)
from . import autograd, nn, optim, utils
from .gradcheck import gradcheck as _gradcheck_fn, gradgradcheck as _gradgradcheck_fn
from . import accelerator, backends, cuda, jit
from .legacy import (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor,
    ShortTensor,
)
from .ops.loss import cosine_similarity
from .ops.loss_more import cdist, pairwise_distance
from . import serialization
from . import linalg
from .linalg import det, slogdet

cholesky = linalg.cholesky

inverse = linalg.inv
from .serialization import load, save

# Submodules named like functions would shadow them on the package: bind the functions last.
tensor = _tensor_factory
gradcheck = _gradcheck_fn
gradgradcheck = _gradgradcheck_fn
pi = 3.141592653589793
e = 2.718281828459045
inf = _np.inf
nan = _np.nan

__version__ = "0.1.0"


def is_tensor(obj) -> "builtins.bool":
    """True for scratch Tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input) -> "builtins.bool":
    return input._data.dtype.kind == "f"


def numel(input) -> "builtins.int":
    """Number of elements."""
    return input._data.size


def set_num_threads(n) -> None:
    """Limit NumPy's BLAS threads to ``n`` (global), through threadpoolctl when it is installed.

    threadpoolctl is imported lazily (the package imports only NumPy and the standard
    library).  Without it this is a no-op apart from :func:`get_num_threads` reporting
    ``n``: the BLAS thread count can then only be set before start-up, with
    ``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``.
    """
    global _threads, _limiter
    n = _builtins.int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: expected a positive number of threads, got {n}")
    _threads = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _limiter = threadpool_limits(limits=n, user_api="blas")   # kept: the limit stays applied


def get_num_threads() -> "builtins.int":
    """The BLAS thread count (as threadpoolctl reports it), else the last value set, else the CPU count."""
    if thread_control_available():
        from threadpoolctl import threadpool_info
        counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
        if counts:
            return _builtins.max(counts)
    if _threads is not None:
        return _threads
    import os
    return os.cpu_count() or 1


def thread_control_available() -> "builtins.bool":
    """Whether :func:`set_num_threads` really limits BLAS threads (threadpoolctl importable)."""
    import importlib.util
    return importlib.util.find_spec("threadpoolctl") is not None


_threads = None
_limiter = None


def set_num_interop_threads(n) -> None:
    return None


def get_num_interop_threads() -> "builtins.int":
    return 1


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable=False):
    """``torch.compile`` as the identity: it returns ``model`` itself (or, called without a
    model, a decorator that does).  In torch compiling only changes speed, not results; the
    scratch engine runs every op eagerly in NumPy, which is what a learner reads."""
    if model is None:
        return lambda m: m
    return model


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    return None  # NumPy on CPU is deterministic already


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.{name}")
