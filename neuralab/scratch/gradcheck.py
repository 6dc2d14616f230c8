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

from .errors import not_in_subset
from .function import no_grad
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


def gradgradcheck(*args, **kwargs):
    raise not_in_subset("gradgradcheck (higher-order gradients)")
