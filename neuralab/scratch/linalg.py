"""``torch.linalg``: norms, inv, solve, det, slogdet, svd, svdvals, qr, eigh, eigvalsh, cholesky.

Argument checks and results (named tuples, dtypes, shapes) follow PyTorch; the
decompositions and their backward rules live in ``ops/decomp.py``, the norms are written
with the engine's differentiable reductions.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from .errors import not_in_subset
from .ops import decomp as _d
from .ops.elementwise import abs as _abs, pow as _pow, sign as _sign
from .ops.reduce import VectorNorm2, amax, amin, sum as _sum
from .ops._util import norm_dim, to_float
from .ops.shape import movedim

LinAlgError = _d.LinAlgError


def _result(name: str, fields: list):
    cls = namedtuple(name, fields)
    cls.__module__ = "scratch.return_types"
    return cls


_svd_t = _result("linalg_svd", ["U", "S", "Vh"])
_qr_t = _result("linalg_qr", ["Q", "R"])
_eigh_t = _result("linalg_eigh", ["eigenvalues", "eigenvectors"])
_slogdet_t = _result("linalg_slogdet", ["sign", "logabsdet"])


# ---------------------------------------------------------------- norms

def _check_ord(ord) -> None:
    if isinstance(ord, str) or not isinstance(ord, (builtins.int, builtins.float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """``(sum_i |x_i|^ord)^(1/ord)`` over ``dim`` (all elements by default); ``ord`` inf/-inf: max/min |x|,
    0: the number of non-zeros."""
    _check_ord(ord)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_d._type_name(x._data.dtype)}")
    x = to_float(x)
    dims = () if dim is None else dim
    if ord == 2:
        return VectorNorm2.apply(x, norm_dim(dim, x._data.ndim), keepdim)
    if ord == math.inf:
        return amax(_abs(x), dims, keepdim)
    if ord == -math.inf:
        return amin(_abs(x), dims, keepdim)
    if ord == 0:  # the count of non-zeros; sign(|x|) keeps the (zero) derivative torch reports
        return _sum(_sign(_abs(x)), dim, keepdim)
    if ord == 1:
        return _sum(_abs(x), dim, keepdim)
    return _pow(_sum(_pow(_abs(x), ord), dim, keepdim), 1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """Matrix norms over the two dims ``dim``: 'fro', 'nuc' (sum of singular values), 2 / -2
    (largest / smallest singular value), 1 / -1 (max / min column sum of |a|), inf / -inf (rows)."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    nd = A._data.ndim
    r, c = (norm_dim(d, nd) for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (r, c), keepdim)
    if ord in ("nuc", 2, -2):
        moved = movedim(A, (r, c), (-2, -1))
        s = svdvals(moved)
        out = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            for d in sorted((r, c)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, red_dim = (r, c) if ord in (1, -1) else (c, r)
        sums = _sum(_abs(A), sum_dim, keepdim=True)
        out = amax(sums, red_dim, keepdim=True) if ord > 0 else amin(sums, red_dim, keepdim=True)
        return out if keepdim else out.squeeze(builtins.max(r, c)).squeeze(builtins.min(r, c))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """``vector_norm`` or ``matrix_norm`` as PyTorch picks: by ``dim`` (an int: vector, two: matrix),
    else by ``A``'s rank when ``ord`` is given (1-D or 2-D only), else the 2-norm of all elements."""
    if isinstance(dim, builtins.int):
        dim = (dim,)
    if dim is not None:
        if len(dim) == 1:
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    nd = A._data.ndim
    if nd not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {nd}D.")
    if nd == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


# ---------------------------------------------------------------- inverse, solve, determinants

def inv(A, *, out=None):
    """The inverse of each square matrix of ``A (*, n, n)``; singular input raises LinAlgError."""
    _no_out(out)
    _d.check_square("inv", A._data)
    return _d.Inv.apply(A)


def solve(A, B, *, left=True, out=None):
    """X with ``A X = B`` (``A (*, n, n)``; ``B (*, n, k)``, or ``(*, n)`` as a batch of vectors)."""
    _no_out(out)
    if not left:
        raise not_in_subset("linalg.solve(left=False)", "solve A^T X^T = B^T with left=True")
    a, b = A._data, B._data
    _d.check_square("solve", a)
    if a.dtype != b.dtype:
        raise RuntimeError("linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_tname(a.dtype)} and B of type {_tname(b.dtype)} instead")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows = b.shape[0] if b.ndim == 1 else (b.shape[-1] if vector else b.shape[-2])
    if rows != a.shape[-1]:
        cols = 1 if vector else b.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {rows}x{cols})")
    return _d.Solve.apply(A, B, vector)


def det(A, *, out=None):
    """The determinant of each square matrix of ``A (*, n, n)``.  Its gradient at a singular
    matrix is the cofactor matrix (the true derivative; torch 2.13 returns zeros there)."""
    _no_out(out)
    _d.check_square("det", A._data)
    return _d.Det.apply(A)


def slogdet(A, *, out=None):
    """(sign, log|det|) of each square matrix; the log stays finite where det underflows."""
    _no_out(out)
    _d.check_square("slogdet", A._data)
    return _slogdet_t(*_d.SlogDet.apply(A))


# ---------------------------------------------------------------- decompositions

def svd(A, full_matrices=True, *, driver=None, out=None):
    """``A = U diag(S) Vh`` with ``S`` descending; as in PyTorch, the extra columns of
    ``full_matrices=True`` carry no gradient."""
    _no_out(out)
    _d.check_square("svd", A._data, square=False)
    return _svd_t(*_d.Svd.apply(A, bool(full_matrices)))


def svdvals(A, *, driver=None, out=None):
    """The singular values of ``A (*, m, n)``, descending."""
    _no_out(out)
    _d.check_square("svdvals", A._data, square=False)
    return _d.SvdVals.apply(A)


def qr(A, mode="reduced", *, out=None):
    """``A = Q R`` (Q orthonormal columns, R upper triangular); mode 'reduced', 'complete' or 'r'."""
    _no_out(out)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    _d.check_square("qr", A._data, square=False)
    return _qr_t(*_d.Qr.apply(A, mode))


def _check_uplo(UPLO: str) -> None:
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric ``A``, read from the
    ``UPLO`` triangle."""
    _no_out(out)
    _d.check_square("eigh", A._data)
    _check_uplo(UPLO)
    return _eigh_t(*_d.Eigh.apply(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) of symmetric ``A``."""
    _no_out(out)
    _d.check_square("eigvalsh", A._data)
    _check_uplo(UPLO)
    return _d.EigvalsH.apply(A, UPLO)


def cholesky(A, *, upper=False, out=None):
    """The lower-triangular ``L`` with ``A = L L^T`` (``upper``: ``U = L^T``) of symmetric positive-definite ``A``."""
    _no_out(out)
    _d.check_square("cholesky", A._data)
    return _d.Cholesky.apply(A, bool(upper))


def _no_out(out) -> None:
    if out is not None:
        raise not_in_subset("torch.linalg functions with out=", "use the returned tensor")


def _tname(dtype) -> str:
    return {"float64": "Double", "float32": "Float"}.get(np.dtype(dtype).name, _d._type_name(dtype))


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.linalg.{name}")


def _bind_methods() -> None:
    """``A.inverse()``, ``A.det()``, ``A.slogdet()`` (ops/__init__ binds the rest; this package imports ops)."""
    from .tensor import Tensor
    Tensor.inverse, Tensor.det, Tensor.slogdet = inv, det, slogdet


_bind_methods()
