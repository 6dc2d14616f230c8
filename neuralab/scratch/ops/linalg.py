"""Matrix products: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, dot, outer,
and the fused affine map behind ``F.linear`` / ``nn.Linear``."""

from __future__ import annotations

import numpy as np

from ..function import Function, sum_to
from ._util import promote


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


def _matmul_error(a, b) -> RuntimeError:
    if a.ndim == 1 and b.ndim == 1:
        return RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same "
            f"number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    if a.ndim <= 2 and b.ndim <= 2:
        sa = a.shape if a.ndim == 2 else (1,) + a.shape
        sb = b.shape if b.ndim == 2 else b.shape + (1,)
        if a.ndim == 2 and b.ndim == 1:
            return RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({_shape_str(a.shape)}), vec ({b.shape[0]})")
        return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")
    return RuntimeError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0] if a.ndim > 2 else 1}, "
        f"{a.shape[-1]}] but got: [{b.shape[0] if b.ndim > 2 else 1}, {b.shape[-2] if b.ndim > 1 else b.shape[0]}]."
        f" (matmul of shapes {list(a.shape)} and {list(b.shape)})"
    )


class MatMul(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise _matmul_error(a, b) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved
        need = ctx.needs_input_grad
        at, bt = ctx.input(0, a), ctx.input(1, b)
        if a.ndim == 2 and b.ndim == 2:  # the common case, no reshaping
            return (grad @ bt.mT if need[0] else None, at.mT @ grad if need[1] else None)
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is 0-dim
            return (grad * bt if need[0] else None, grad * at if need[1] else None)
        # a vector operand becomes a matrix (a row for a, a column for b), and so does grad
        a2 = at.reshape((1,) + a.shape) if a.ndim == 1 else at
        b2 = bt.reshape(b.shape + (1,)) if b.ndim == 1 else bt
        g = grad
        if a.ndim == 1:
            g = g.reshape(tuple(g.shape[:-1]) + (1, g.shape[-1]))
        if b.ndim == 1:
            g = g.reshape(tuple(g.shape) + (1,))
        ga = sum_to(g @ b2.mT, tuple(a2.shape)).reshape(a.shape) if need[0] else None
        gb = sum_to(a2.mT @ g, tuple(b2.shape)).reshape(b.shape) if need[1] else None
        return ga, gb


def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {input._data.ndim}D and {other._data.ndim}D"
        )
    a, b = promote(input, other)
    return MatMul.apply(a, b)


def mm(input, mat2):
    """2-D matrix product."""
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix" if input._data.ndim != 2 else "mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched (3-D) matrix product."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor" if input._data.ndim != 3 else "batch2 must be a 3D tensor")
    return matmul(input, mat2)


def mv(input, vec):
    return matmul(input, vec)


def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return matmul(input, other)


inner = dot


def outer(input, vec2):
    """Outer product of two vectors."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# np.dot's C function without the __array_function__ dispatch in front of it (a Python
# call that returns the operands to check; 0.27 us of the 0.86 a 4x2 @ 2x4 product takes):
# the operands here are always ndarrays, which need no dispatch
_dot = getattr(np.dot, "_implementation", np.dot)


def _gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for a 2-D ``a`` and ``b``: ``np.dot`` where BLAS computes it (float32, float64).

    ``np.dot`` calls the same GEMM (or GEMV) as ``np.matmul`` and gives the same bits
    (tests/scratch/test_linalg_gemm.py), but skips the gufunc set-up, about 0.5 us a call:
    a third of a small layer's forward (XOR's 4x2 @ 2x4).  Anything else goes to ``matmul``.
    """
    if a.ndim == 2 and a.dtype in _BLAS_FLOATS:
        return _dot(a, b)
    return np.matmul(a, b)


class Linear(Function):
    """y = x @ W.T + b for x of shape (..., in); one GEMM forward, at most two backward."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        try:
            out = _gemm(x, weight.T)
        except ValueError:
            raise _linear_error(x, weight) from None
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        need = ctx.needs_input_grad
        gx = _gemm(grad, weight) if need[0] else None
        gw = gb = None
        if need[1] or need[2]:
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            if need[1]:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                # produce the weight gradient in the weight's memory order (see nn.Linear)
                gw = _gemm(x2.T, g2).T if weight.ndim == 2 and not weight.flags.c_contiguous and weight.flags.f_contiguous else _gemm(g2.T, x2)
            if need[2]:
                gb = np.add.reduce(g2, axis=0)
        return gx, gw, gb

    @staticmethod
    def graph_backward(ctx, grad):
        x, weight = ctx.saved
        need = ctx.needs_input_grad
        gx = grad @ ctx.input_tensor(1, weight) if need[0] else None
        gw = gb = None
        if need[1] or need[2]:
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            if need[1]:
                xt = ctx.input_tensor(0, x)
                gw = g2.mT @ (xt if x.ndim == 2 else xt.reshape(-1, x.shape[-1]))
            if need[2]:
                gb = g2.sum(0)
        return gx, gw, gb


def _linear_error(x, weight) -> RuntimeError:
    rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
    out_f, in_f = weight.shape
    message = (
        f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and {in_f}x{out_f}): "
        f"Linear({in_f} -> {out_f}) got input of shape {tuple(x.shape)}"
    )
    if x.ndim > 2 and int(np.prod(x.shape[1:])) == in_f:
        message += "; flatten it first (x.flatten(1) or nn.Flatten())"
    else:
        message += f"; the last dim must be {in_f}"
    return RuntimeError(message)


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` (F.linear)."""
    x = input
    if x._data.dtype != weight._data.dtype:
        if x._data.dtype.kind != "f" or weight._data.dtype.kind != "f":
            raise RuntimeError(
                f"mat1 and mat2 must have the same dtype, but got {x.dtype.name.capitalize()} and {weight.dtype.name.capitalize()}"
            )
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {_tname(x)} and {_tname(weight)}"
        )
    return Linear.apply(x, weight, bias)


def _tname(t):
    from ..tensor import _torch_name
    return _torch_name(t._data.dtype)


def einsum(equation, *operands):
    """Einstein summation over subscripted operands: ``einsum("bij,bjk->bik", a, b)``.

    ``...`` stands for broadcast batch dims (aligned from the right, size 1 broadcasts);
    without ``->`` the output is ``...`` then the letters used once, sorted.  A repeated
    letter in one operand takes a diagonal (``"ii->i"``, ``"ii"`` the trace).
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    from .shape import reshape
    eq, shapes = parse_einsum(equation, [t._data.shape for t in operands])
    operands = [t if shape is None else reshape(t, shape) for t, shape in zip(operands, shapes)]
    return Einsum.apply(eq, *operands)


def _einsum_error(message: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {message}")


def parse_einsum(equation: str, shapes: list) -> tuple:
    """An equation with explicit letters only, and per operand the shape to reshape it to
    first (its size-1 broadcast dims dropped) or None.

    The dims under each ``...`` get fresh letters, aligned from the right across operands.
    """
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(shapes):
        raise _einsum_error("fewer operands were provided than specified in the equation")
    if len(terms) < len(shapes):
        raise _einsum_error("more operands were provided than specified in the equation")
    for i, term in enumerate(terms):
        if term.replace("...", "").count(".") or term.count("...") > 1:
            raise _einsum_error(f"found '.' for operand {i} that is not part of any ellipsis")
        letters = len(term.replace("...", ""))
        if "..." not in term and letters != len(shapes[i]):
            raise _einsum_error(f"the number of subscripts in the equation ({letters}) does not match the number "
                                f"of dimensions ({len(shapes[i])}) for operand {i} and no ellipsis was given")
        if "..." in term and letters > len(shapes[i]):
            raise _einsum_error(f"the number of subscripts in the equation ({letters}) is more than the number "
                                f"of dimensions ({len(shapes[i])}) for operand {i}")
    used = set(eq) - set(".,->")
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    n_ell = max((len(shape) - len(term.replace("...", "")) for term, shape in zip(terms, shapes) if "..." in term),
                default=0)
    ell = free[:n_ell]
    batch = [1] * n_ell  # the broadcast size of each ellipsis dim
    out_terms, new_shapes = [], []
    for term, shape in zip(terms, shapes):
        if "..." not in term:
            out_terms.append(term)
            continue
        head, tail = term.split("...")
        k = len(shape) - len(head) - len(tail)
        for j, size in enumerate(shape[len(head):len(head) + k]):
            slot = n_ell - k + j
            if size != 1:
                if batch[slot] not in (1, size):
                    raise _einsum_error(f"operands do not broadcast with remapped shapes (original->remapped): "
                                        f"{list(shape)}")
                batch[slot] = size
        out_terms.append((head, ell[n_ell - k:], tail, shape))
    letters_size: dict = {}
    final_terms = []
    for item, shape in zip(out_terms, shapes):
        if isinstance(item, str):
            final_terms.append(item)
            new_shapes.append(None)
            continue
        head, mine, tail, shape = item
        k = len(mine)
        dims = shape[len(head):len(head) + k]
        keep = [c for c, size in zip(mine, dims) if size != 1 or batch[ell.index(c)] == 1]
        final_terms.append(head + "".join(keep) + tail)
        squeezed = tuple(shape[:len(head)]) + tuple(size for c, size in zip(mine, dims) if c in keep) + \
            tuple(shape[len(head) + k:])
        new_shapes.append(None if squeezed == tuple(shape) else squeezed)
    for i, (term, shape) in enumerate(zip(final_terms, [s if n is None else n for s, n in zip(shapes, new_shapes)])):
        for c, size in zip(term, shape):
            seen = letters_size.setdefault(c, size)
            if seen != size and 1 not in (size, seen):
                raise _einsum_error(f"subscript {c} has size {size} for operand {i} which does not broadcast with "
                                    f"previously seen size {seen}")
            if seen != size:
                from ..errors import not_in_subset
                raise not_in_subset("einsum broadcasting a size-1 dim under a letter", "put the dim under '...'")
    if arrow:
        if rhs.replace("...", "").count("."):
            raise _einsum_error("found '.' for output but an ellipsis (...) was already found")
        out = rhs.replace("...", "".join(ell))
        for c in out:
            if c not in letters_size:
                raise _einsum_error(f"output subscript {c} does not appear in the equation for any input operand")
    else:
        counts = {c: "".join(final_terms).count(c) for c in letters_size}
        out = "".join(ell) + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return ",".join(final_terms) + "->" + out, new_shapes


class Einsum(Function):
    @staticmethod
    def forward(ctx, equation, *arrays):
        ins, out = equation.split("->")
        ctx.subs, ctx.out = ins.split(","), out
        ctx.save_for_backward(*arrays)
        return np.einsum(equation, *arrays, optimize=True)

    @staticmethod
    def backward(ctx, grad):
        """d/d(operand i): the output gradient contracted with the other operands, onto
        operand i's subscripts (re-broadcast along letters it alone summed away, written onto
        the diagonal where it repeats a letter)."""
        subs, out = ctx.subs, ctx.out
        arrays = ctx.saved
        grads = [None]
        for i, (s, a) in enumerate(zip(subs, arrays)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            unique = "".join(dict.fromkeys(s))
            others = [subs[j] for j in range(len(subs)) if j != i]
            other_arrays = [arrays[j] for j in range(len(arrays)) if j != i]
            present = set(out).union(*others) if others else set(out)
            kept = "".join(c for c in unique if c in present)
            g = np.einsum(",".join([out] + others) + "->" + kept, grad, *other_arrays, optimize=True)
            sizes = dict(zip(s, a.shape))
            g = _broadcast_missing(g, kept, unique, tuple(sizes[c] for c in unique))
            if unique != s:
                full = np.zeros(a.shape, dtype=a.dtype)
                np.einsum(s + "->" + unique, full)[...] = g  # a writeable view of the diagonal
                g = full
            grads.append(g)
        return tuple(grads)


def _broadcast_missing(g, kept, full, shape):
    """Re-insert indices that were summed away in forward (gradient is constant along them)."""
    expanded = g
    for pos, c in enumerate(full):
        if c not in kept:
            expanded = np.expand_dims(expanded, pos)
    return np.broadcast_to(expanded, shape)


def tensordot(a, b, dims=2, out=None):
    """Contract ``a``'s dims ``dims[0]`` with ``b``'s ``dims[1]`` (an int ``n``: a's last ``n`` with
    b's first ``n``); the free dims of ``a`` then of ``b`` remain.  A permute, a reshape and one matmul."""
    from .shape import permute, reshape
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.dim() - dims, a.dim())), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [d % a.dim() for d in da]
    db = [d % b.dim() for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} "
                               f"and second has size {b.shape[j]} in dim {j}")
    free_a = [d for d in range(a.dim()) if d not in da]
    free_b = [d for d in range(b.dim()) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    left = reshape(permute(a, free_a + da), (-1, k))
    right = reshape(permute(b, db + free_b), (k, -1))
    return reshape(matmul(left, right), tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))


def kron(input, other):
    """Kronecker product: ``out[i * m + k] = input[i] * other[k]`` along every dim (ranks padded with 1s)."""
    from .shape import reshape
    n = max(input.dim(), other.dim())
    sa = (1,) * (n - input.dim()) + tuple(input.shape)
    sb = (1,) * (n - other.dim()) + tuple(other.shape)
    a = reshape(input, tuple(v for s in sa for v in (s, 1)))
    b = reshape(other, tuple(v for s in sb for v in (1, s)))
    return reshape(a * b, tuple(x * y for x, y in zip(sa, sb)))
