"""``Module.register_full_backward_hook``: ``hook(module, grad_input, grad_output)``.

Two identity ops bracket the module's forward, as torch's ``BackwardHook`` does:

    inputs --InputGrads--> forward --OutputGrads--> outputs

Backward reaches ``OutputGrads`` first, which keeps ``grad_output`` (dL/d output, one per
output Tensor), then ``InputGrads``, which holds ``grad_input`` (dL/d input, one per input
Tensor, ``None`` where an input needs no gradient) and calls the hooks; a hook may return
a replacement ``grad_input``.  When no input needs a gradient (the first layer, fed data)
there is no ``InputGrads`` node, so ``OutputGrads`` calls the hooks with ``grad_input`` all
``None``.  Both rules only pass gradients through, so they serve ``create_graph`` as is.
"""

from __future__ import annotations

from ..function import Function, _mode
from ..tensor import Tensor, _wrap


class _State:
    """One forward call's bookkeeping, shared by its two identity nodes."""

    __slots__ = ("module", "hooks", "n_inputs", "inputs_tracked", "grad_output")

    def __init__(self, module, hooks, n_inputs, inputs_tracked):
        self.module, self.hooks = module, hooks
        self.n_inputs, self.inputs_tracked = n_inputs, inputs_tracked
        self.grad_output = None


def _as_tensors(grads) -> tuple:
    return tuple(g if g is None or isinstance(g, Tensor) else _wrap(g) for g in grads)


def _call_hooks(state, grad_input) -> tuple:
    for hook in list(state.hooks):
        result = hook(state.module, grad_input, state.grad_output)
        if result is not None:
            result = result if isinstance(result, tuple) else (result,)
            if len(result) != len(grad_input):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got "
                                   f"{len(result)}, but expected {len(grad_input)}")
            grad_input = result
    return grad_input


class InputGrads(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, *xs, state):
        ctx.state = state
        return xs

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        array_mode = not ctx.graph
        grad_input = _as_tensors(g if need else None for g, need in zip(grads, ctx.needs_input_grad))
        grad_input = _call_hooks(state, grad_input)
        if array_mode:
            return tuple(None if g is None else g._data for g in grad_input)
        return grad_input


class OutputGrads(Function):
    tensor_safe = True

    @staticmethod
    def forward(ctx, *ys, state):
        ctx.state = state
        return ys

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        state.grad_output = _as_tensors(grads)
        if not state.inputs_tracked:
            _call_hooks(state, (None,) * state.n_inputs)
        return grads


def with_backward_hooks(module, hooks, args, run):
    """Run ``run(args)`` (the forward and its forward hooks) between the two identity ops."""
    if not _mode.enabled:
        return run(args)
    where = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tracked = any(args[i]._rg for i in where)
    state = _State(module, hooks, len(where), tracked)
    if tracked:
        wrapped = InputGrads.apply(*(args[i] for i in where), state=state)
        args = list(args)
        for i, t in zip(where, wrapped):
            args[i] = t
        args = tuple(args)
    out = run(args)
    single = isinstance(out, Tensor)
    outs = (out,) if single else out
    if not isinstance(outs, (tuple, list)):
        return out
    at = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o._rg]
    if not at:
        return out
    wrapped = OutputGrads.apply(*(outs[i] for i in at), state=state)
    outs = list(outs)
    for i, t in zip(at, wrapped):
        outs[i] = t
    return outs[0] if single else type(out)(outs) if isinstance(out, list) else tuple(outs)
