"""Numerical gradient checking: compare autograd's Jacobian with central differences.

    x = T.randn(3, 4, dtype=T.float64, requires_grad=True)
    T.gradcheck(lambda x: (x.tanh() ** 2).sum(1), (x,))   # True, or raises GradcheckError

For every differentiable output o and input x, the analytical Jacobian comes from one
backward pass per output element and the numerical one from
(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) per input element; they must agree within
``atol + rtol * |numerical|`` elementwise.
"""

from __future__ import annotations

import warnings

import numpy as np

from .function import enable_grad, no_grad
from .tensor import Tensor, _wrap


class GradcheckError(RuntimeError):
    """Autograd's gradient disagrees with the finite-difference estimate."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _float_outputs(outputs):
    return [o for o in _as_tuple(outputs) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **unused):
    """True if analytical and numerical Jacobians of ``func`` at ``inputs`` agree (else raise)."""
    from .autograd import grad as autograd_grad

    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in diff:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision floating point.",
                stacklevel=2,
            )
    outputs = _float_outputs(func(*inputs))
    if not outputs:
        raise ValueError("gradcheck expects the function to return at least one floating-point Tensor")

    # analytical: one vector-Jacobian product per output element
    analytical = []
    for o in outputs:
        per_input = [np.zeros((inputs[i]._data.size, o._data.size)) for i in diff]
        if o._rg:
            for j in range(o._data.size):
                seed = np.zeros(o._data.size, dtype=o._data.dtype)
                seed[j] = 1.0
                grads = autograd_grad(
                    o, [inputs[i] for i in diff], grad_outputs=_wrap(seed.reshape(o._data.shape)),
                    retain_graph=True, allow_unused=True,
                )
                for k, g in enumerate(grads):
                    if g is not None:
                        per_input[k][:, j] = g._data.reshape(-1)
        analytical.append(per_input)

    # numerical: central differences, one input element at a time
    numerical = [[np.zeros((inputs[i]._data.size, o._data.size)) for i in diff] for o in outputs]
    with no_grad():
        for k, i in enumerate(diff):
            arr = inputs[i]._data  # perturbed in place, element by element (any memory order)
            for e in range(arr.size):
                idx = np.unravel_index(e, arr.shape)
                orig = arr[idx]
                arr[idx] = orig + eps
                plus = [o._data.astype(np.float64).reshape(-1) for o in _float_outputs(func(*inputs))]
                arr[idx] = orig - eps
                minus = [o._data.astype(np.float64).reshape(-1) for o in _float_outputs(func(*inputs))]
                arr[idx] = orig
                for oi in range(len(outputs)):
                    numerical[oi][k][e, :] = (plus[oi] - minus[oi]) / (2 * eps)

    for oi in range(len(outputs)):
        for k, i in enumerate(diff):
            a, n = analytical[oi][k], numerical[oi][k]
            bad = np.abs(a - n) > atol + rtol * np.abs(n)
            if bad.any():
                excess = np.abs(a - n) - (atol + rtol * np.abs(n))
                e, j = np.unravel_index(np.argmax(excess), a.shape)
                message = (
                    f"Jacobian mismatch for output {oi} with respect to input {i}: "
                    f"{int(bad.sum())} of {bad.size} entries differ; worst at input element {e}, "
                    f"output element {j}: numerical={n[e, j]:.6g} analytical={a[e, j]:.6g} "
                    f"|diff|={abs(a[e, j] - n[e, j]):.3g} (atol={atol}, rtol={rtol})"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **unused):
    """True if the second derivatives of ``func`` at ``inputs`` agree with finite differences.

    Runs :func:`gradcheck` on ``(inputs, grad_outputs) -> autograd.grad(func(inputs), inputs,
    grad_outputs, create_graph=True)``: the graph-building backward (``create_graph=True``) is
    checked numerically, w.r.t. the inputs and the output gradients.  ``grad_outputs`` default
    to fixed random values (they require grad, as in torch).
    """
    from .autograd import grad as autograd_grad

    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._rg]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outputs = [o for o in _float_outputs(func(*inputs)) if o._rg]
        grad_outputs = tuple(
            _wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype), requires_grad=True) for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def first_derivatives(*args):
        ins, seeds = args[:n], args[n:]
        with enable_grad():  # gradcheck's finite differences run under no_grad
            outs = [o for o in _float_outputs(func(*ins)) if o._rg]
            grads = autograd_grad(outs, [ins[i] for i in diff], grad_outputs=list(seeds),
                                  create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    # the graph-building backward is a second implementation of each rule: its values must
    # equal the plain backward's (which gradcheck verifies) before its own derivatives are checked
    built = first_derivatives(*inputs, *grad_outputs)
    with enable_grad():
        outs = [o for o in _float_outputs(func(*inputs)) if o._rg]
        plain = [g for g in autograd_grad(outs, [inputs[i] for i in diff], grad_outputs=list(grad_outputs),
                                          allow_unused=True) if g is not None]
    for k, (b, p) in enumerate(zip(built, plain)):
        if not np.allclose(b._data, p._data, rtol=rtol, atol=atol):
            message = (f"gradient {k} with create_graph=True differs from the plain backward's: "
                       f"max |diff| {np.abs(b._data - p._data).max():.3g}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
