"""``torch.autograd.Function`` for users: forward and backward written on Tensors.

The engine's own ops (:class:`neuralab.scratch.function.Function`) work on raw arrays.
A learner's Function is written the way PyTorch documents it, on Tensors::

    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * (x > 0)

    y = MyReLU.apply(x)

``apply`` runs ``forward`` with grad mode off (what happens inside is not recorded), then
makes the outputs the products of one graph node, the ``ctx``.  The walk in
``autograd.py`` reaches that node like any other; its rule (a per-class adapter, below)
hands the incoming gradients to the user's ``backward`` as Tensors and takes back one
gradient per ``forward`` argument.  In a plain backward the user's rule runs with grad
mode off; under ``create_graph=True`` it runs with grad mode on, on the saved Tensors
themselves (which keep their own graph), so its result is differentiable again, unless
``backward`` is decorated with :func:`once_differentiable` (then its result has no graph).

``ctx`` (the engine's :class:`~neuralab.scratch.function.Node`) offers PyTorch's ``save_for_backward`` / ``saved_tensors`` (freed after backward
unless ``retain_graph``), ``needs_input_grad`` (one bool per forward argument),
``mark_non_differentiable(*outputs)`` and ``set_materialize_grads(value)``; any other
attribute may be set on it.  The newer style, a ``forward`` without ``ctx`` plus
``setup_context(ctx, inputs, output)``, works too.
"""

from __future__ import annotations

import functools

import numpy as np

from . import function as _fn


def once_differentiable(backward):
    """Mark ``backward`` as not differentiable itself: it runs with grad mode off even under
    ``create_graph=True``, so the gradient it gives has no graph and a second backward
    through it fails (torch fails there too, with its own message)."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with _fn.no_grad():
            return backward(ctx, *grads)
    wrapper.once_differentiable = True
    return wrapper


class Function:
    """Base class of user-defined differentiable operations (see the module docstring)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    setup_context = None  # the newer style: forward(*args) plus setup_context(ctx, inputs, output)

    def __init__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. "
            "Please use new-style autograd function with static forward method. "
            "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` unrecorded, then record one node producing its outputs."""
        T = _fn.Tensor
        ctx = _fn.Node()
        ctx.saved = None
        ctx.needs_input_grad = tuple(isinstance(a, T) and a._rg for a in args)
        track = _fn._mode.enabled and any(ctx.needs_input_grad)
        with _fn.no_grad():
            if cls.setup_context is None:
                out = cls.forward(ctx, *args, **kwargs)
            else:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
        if not track:
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        ctx.fn = _adapter(cls)
        ctx.parents = [(a if a._ctx is None else (a._ctx if a._ctx.nout == 1 else (a._ctx, a._oidx)))
                       if isinstance(a, T) and a._rg else None for a in args]
        ctx.buf = None
        ctx.mark = 0
        ctx.nout = len(outs)
        ctx.out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, T) else ((), np.float64) for o in outs]
        ctx.in_shapes = [a._data.shape if isinstance(a, T) else None for a in args]
        skip = ctx.__dict__.get("non_differentiable", ())
        inputs = {id(a) for a in args if isinstance(a, T)}
        result = []
        for i, o in enumerate(outs):
            if not isinstance(o, T) or o._data.dtype.kind != "f" or id(o) in skip:
                result.append(o)
                continue
            if id(o) in inputs:  # an input returned as is: the output is a new tensor (a view in torch)
                o = _fn._tensor(o._data)
            o._rg = True
            o._ctx = ctx
            if not single:
                o._oidx = i
            result.append(o)
        return result[0] if single else tuple(result)


def _adapter(cls):
    """The engine-side rule of user Function ``cls`` (one per class, made once)."""
    adapter = cls.__dict__.get("_engine_rule")
    if adapter is None:
        adapter = type(cls.__name__, (_fn.Function,), {
            "backward": staticmethod(functools.partial(_array_backward, cls)),
            "graph_backward": staticmethod(functools.partial(_graph_backward, cls)),
        })
        cls._engine_rule = adapter
    return adapter


def _array_backward(cls, ctx, *grads):
    """A plain walk: array gradients in, the user's rule on Tensors (grad mode off), arrays out."""
    with _fn.no_grad():
        result = _user_grads(cls, ctx, [_fn.constant(g) for g in grads])
    return tuple(None if g is None else g._data for g in result)


def _graph_backward(cls, ctx, *grads):
    """``create_graph=True``: the user's rule records what it computes (grad mode is on)."""
    return _user_grads(cls, ctx, list(grads))


def _user_grads(cls, ctx, grads) -> tuple:
    """Call ``cls.backward`` with one Tensor per output; check one gradient per input comes back."""
    if not ctx.materialize:  # outputs that took no part in the loss were filled with zeros
        grads = [None if g is not None and not np.any(g._data) else g for g in grads]
    out = cls.backward(ctx, *grads)
    out = out if isinstance(out, tuple) else (out,)
    n = len(ctx.parents)
    if len(out) > n and all(g is None for g in out[n:]):
        out = out[:n]  # torch allows extra trailing Nones
    if len(out) != n:
        raise RuntimeError(
            f"function {cls.__name__}Backward returned an incorrect number of gradients "
            f"(expected {n}, got {len(out)})"
        )
    result = []
    for i, g in enumerate(out):
        if g is not None and not isinstance(g, _fn.Tensor):
            g = _fn.constant(np.asarray(g))
        if g is not None and ctx.parents[i] is not None:
            shape = ctx.in_shapes[i]
            if tuple(g.shape) != shape:
                raise RuntimeError(
                    f"Function {cls.__name__}Backward returned an invalid gradient at index {i} - "
                    f"got {list(g.shape)} but expected shape compatible with {list(shape)}"
                )
        result.append(g if ctx.parents[i] is not None else None)
    return tuple(result)
