"""``scratch.autograd``: Function, grad, gradcheck, and the grad-mode helpers."""

from __future__ import annotations

import numpy as np

from .errors import not_in_subset
from .function import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .tensor import Tensor, _owned, _wrap, run_backward, run_backward_graph


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` without touching any ``.grad``.

    With ``create_graph=True`` the gradients are built from differentiable ops (each op's
    ``graph_backward``) and keep a graph, so a loss of them can be backpropagated (WGAN-GP).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if not out._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            seeds.append(np.ones_like(out._data))
        elif create_graph and isinstance(g, Tensor):
            seeds.append(g)  # the result is differentiable w.r.t. grad_outputs too
        else:
            seeds.append(g._data if isinstance(g, Tensor) else np.asarray(g, dtype=out._data.dtype))
    slots = [None] * len(inputs)
    capture = {}
    for i, t in enumerate(inputs):
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        if t._ctx is None:
            capture[id(t)] = (slots, i)
        else:
            if t._ctx.nout != 1:
                raise not_in_subset("autograd.grad w.r.t. an output of a multi-output op")
            capture[id(t._ctx)] = (slots, i)
            t._ctx.extras = True
    if create_graph:
        seeds = [s if isinstance(s, Tensor) else _wrap(s) for s in seeds]
        run_backward_graph(outputs, seeds, capture=capture)
    else:
        run_backward(outputs, seeds, bool(retain_graph), capture=capture)
    result = []
    for t, g in zip(inputs, slots):
        if g is None:
            if materialize_grads:
                g = np.zeros_like(t._data)
                if create_graph:
                    g = _wrap(g)
            elif not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        if g is None:
            result.append(None)
        elif create_graph:
            result.append(g if g._data.flags.writeable and g._data.base is None else _owned(g))
        else:
            result.append(_wrap(np.array(g, copy=True)))
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``scratch.autograd.backward``: backward from several roots at once."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    seeds = []
    for t, g in zip(tensors, grad_tensors):
        seeds.append(np.ones_like(t._data) if g is None else (g._data if isinstance(g, Tensor) else np.asarray(g)))
    only = None if inputs is None else {id(t) for t in ([inputs] if isinstance(inputs, Tensor) else inputs)}
    if create_graph:
        seeds = [g if isinstance(g, Tensor) else _wrap(s) for g, s in zip(grad_tensors, seeds)]
        run_backward_graph(tensors, seeds, only=only)
        return
    run_backward(tensors, seeds, bool(retain_graph), only=only)


def __getattr__(name):
    if name == "gradcheck":
        from .gradcheck import gradcheck
        return gradcheck
    if name == "gradgradcheck":
        from .gradcheck import gradgradcheck
        return gradgradcheck
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.autograd.{name}")
