"""``torch.autograd.functional``: Jacobians, Hessians and vector-Jacobian products of a function.

For ``f: R^n -> R^m`` (inputs and outputs of any shape, flattened here):

    jacobian(f, x)[i..., j...] = d f(x)[i...] / d x[j...]        shape  out.shape + x.shape
    hessian(f, x)[i..., j...]  = d^2 f(x) / d x[i...] d x[j...]   shape  x.shape + x.shape  (scalar f)
    vjp(f, x, v)               = (f(x), v^T J)                   shape of x

Reverse mode, one backward per output element: row ``k`` of J is the gradient of
``<e_k, f(x)>`` (``autograd.grad`` with the one-hot ``e_k`` as ``grad_outputs``).  The Hessian
is the Jacobian of the gradient, the inner gradient taken with ``create_graph=True``, so it
needs ops whose backward is itself differentiable (docs/scratch-engine.md lists them).
Tuples of inputs give tuples of blocks (``J[out][in]``), as in torch; an output that does
not depend on an input gives a zero block (``strict=False``).
"""

from __future__ import annotations

import numpy as np

from .autograd import grad
from .errors import not_in_subset
from .function import _tensor, enable_grad
from .tensor import Tensor


def _as_tuple(x, what: str) -> tuple:
    items = (x,) if isinstance(x, Tensor) else tuple(x)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"The {what} given to jacobian/hessian must be either a Tensor or a tuple "
                            f"of Tensors but the given {what} is {type(t).__name__}.")
    return items


def _prepare(inputs, create_graph: bool) -> tuple:
    """Inputs the function is differentiated at: kept in their graph when ``create_graph``
    (so a Hessian's outer Jacobian reaches them), otherwise fresh leaves."""
    return tuple(t if create_graph and t.requires_grad else _tensor(t._data, True) for t in inputs)


def _check_options(strict, vectorize, strategy) -> None:
    if strict:
        raise not_in_subset("jacobian(strict=True)", "unused inputs get zero blocks (strict=False)")
    if strategy != "reverse-mode":
        raise not_in_subset(f"jacobian(strategy={strategy!r})", "the scratch engine has reverse mode only")
    # vectorize only batches the same backward passes in torch; one pass per row gives the same J


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs`` (see the module docstring for shapes)."""
    _check_options(strict, vectorize, strategy)
    single_in = isinstance(inputs, Tensor)
    xs = _prepare(_as_tuple(inputs, "inputs"), create_graph)
    with enable_grad():
        outputs = func(*xs)
    single_out = isinstance(outputs, Tensor)
    outs = _as_tuple(outputs, "outputs")
    blocks = []
    for out in outs:
        rows = [[] for _ in xs]
        n = out._data.size
        for k in range(n):
            if out.requires_grad:
                seed = np.zeros(n, dtype=out._data.dtype)
                seed[k] = 1
                grads = grad(out, xs, grad_outputs=_tensor(seed.reshape(out._data.shape)),
                             retain_graph=True, create_graph=create_graph, allow_unused=True)
            else:
                grads = (None,) * len(xs)
            for i, (x, g) in enumerate(zip(xs, grads)):
                rows[i].append(g if g is not None else _tensor(np.zeros_like(x._data)))
        per_input = []
        for x, r in zip(xs, rows):
            shape = tuple(out._data.shape) + tuple(x._data.shape)
            if create_graph:
                from .ops.shape import stack
                block = stack(r).reshape(shape) if r else _tensor(np.zeros(shape, x._data.dtype))
            else:
                block = _tensor(np.stack([g._data for g in r]).reshape(shape) if r
                                else np.zeros(shape, x._data.dtype))
            per_input.append(block)
        blocks.append(per_input[0] if single_in else tuple(per_input))
    return blocks[0] if single_out else tuple(blocks)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``: ``x.shape + x.shape``
    (for a tuple of inputs, a tuple of tuples of blocks ``H[i][j]``)."""
    _check_options(strict, vectorize, outer_jacobian_strategy)
    single_in = isinstance(inputs, Tensor)
    xs = _as_tuple(inputs, "inputs")

    def scalar(*args):
        out = func(*args)
        if not isinstance(out, Tensor) or out._data.size != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain "
                               "a single element")
        return out.reshape(())

    def gradient(*args):
        g = jacobian(scalar, args, create_graph=True)
        return g[0] if single_in else g

    return jacobian(gradient, xs[0] if single_in else xs, create_graph=create_graph)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: one backward pass with ``v`` as the output gradient."""
    if strict:
        raise not_in_subset("vjp(strict=True)")
    single_in = isinstance(inputs, Tensor)
    xs = _prepare(_as_tuple(inputs, "inputs"), create_graph)
    with enable_grad():
        out = func(*xs)
    if v is None and out._data.size != 1:
        raise RuntimeError("The vector v can only be None if the user-provided function returns a "
                           "single Tensor with a single element.")
    grads = grad(out, xs, grad_outputs=v, create_graph=create_graph, allow_unused=True)
    grads = tuple(g if g is not None else _tensor(np.zeros_like(x._data)) for x, g in zip(xs, grads))
    result = out if create_graph else out.detach()
    return result, (grads[0] if single_in else grads)
