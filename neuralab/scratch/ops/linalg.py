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


class Linear(Function):
    """y = x @ W.T + b for x of shape (..., in); one GEMM forward, at most two backward."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        try:
            out = np.matmul(x, weight.T)
        except ValueError:
            raise _linear_error(x, weight) from None
        if bias is not None:
            out += bias
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        need = ctx.needs_input_grad
        gx = grad @ weight if need[0] else None
        gw = gb = None
        if need[1] or need[2]:
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            if need[1]:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                # produce the weight gradient in the weight's memory order (see nn.Linear)
                gw = (x2.T @ g2).T if weight.flags.f_contiguous and weight.ndim == 2 and not weight.flags.c_contiguous else g2.T @ x2
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
    """Einstein summation; differentiable for equations where no operand repeats an index."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum.apply(equation, *operands)


class Einsum(Function):
    @staticmethod
    def forward(ctx, equation, *arrays):
        eq = equation.replace(" ", "")
        if "->" not in eq:
            from ..errors import not_in_subset
            raise not_in_subset("einsum without an explicit '->' output", "write the output subscripts")
        if "." in eq:
            from ..errors import not_in_subset
            raise not_in_subset("einsum with '...'")
        ins, out = eq.split("->")
        ctx.subs, ctx.out = ins.split(","), out
        ctx.save_for_backward(*arrays)
        return np.einsum(eq, *arrays, optimize=True)

    @staticmethod
    def backward(ctx, grad):
        subs, out = ctx.subs, ctx.out
        arrays = ctx.saved
        grads = [None]
        for i, (s, a) in enumerate(zip(subs, arrays)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            if len(set(s)) != len(s):
                from ..errors import not_in_subset
                raise not_in_subset("einsum backward with a repeated index in one operand")
            others = [subs[j] for j in range(len(subs)) if j != i]
            other_arrays = [arrays[j] for j in range(len(arrays)) if j != i]
            present = set(out).union(*others) if others else set(out)
            missing = [c for c in s if c not in present]  # summed-out indices only in this operand
            eq = ",".join([out] + others) + "->" + "".join(c for c in s if c in present)
            g = np.einsum(eq, grad, *other_arrays, optimize=True)
            if missing:
                kept = "".join(c for c in s if c in present)
                g = _broadcast_missing(g, kept, s, a.shape)
            grads.append(g)
        return tuple(grads)


def _broadcast_missing(g, kept, full, shape):
    """Re-insert indices that were summed away in forward (gradient is constant along them)."""
    expanded = g
    for pos, c in enumerate(full):
        if c not in kept:
            expanded = np.expand_dims(expanded, pos)
    return np.broadcast_to(expanded, shape)
