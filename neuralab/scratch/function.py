"""The autograd building block: :class:`Function`, its graph node, grad mode, ``sum_to``.

An op is a ``Function`` subclass with two static methods that work on raw NumPy arrays::

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):               # arrays in, array out
            out = np.exp(x)
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad):           # dL/d(out) in, dL/d(input) out
            (out,) = ctx.saved_tensors
            return grad * out

``Exp.apply(tensor)`` unwraps the Tensor arguments, runs ``forward`` and, when grad
mode is on and some input requires grad, records a :class:`Node` (the ``ctx``) that
``Tensor.backward`` later visits.  ``backward`` returns one gradient per positional
argument of ``forward`` (``None`` for constants or inputs that need none; check
``ctx.needs_input_grad[i]`` to skip work).  A forward may return a tuple of arrays: the
op then has several outputs and ``backward(ctx, *grads)`` receives one gradient per
output (zeros for outputs that did not take part in the loss).

Higher-order gradients (``create_graph=True``): the same ``backward`` runs on Tensor
gradients, with grad mode on, so the gradient it returns has a graph of its own.  For that
a rule reads what it saved through the ctx accessors, which give the saved array in a
plain backward and a graph-connected Tensor under ``create_graph``:

    ``ctx.input(i, array)``  input ``i`` (saved as ``array``), wired to its producer
    ``ctx.output(array)``    this op's output, produced by this node
    ``ctx.const(array)``     a constant (no gradient flows into it)
    ``ctx.ufuncs``           ``np``, or the engine's elementwise ops (``ctx.ufuncs.exp(x)``)

A rule built from these, Python operators and :func:`sum_to` is written once and serves
both walks.  A Function whose array rule cannot run on Tensors (``np.where`` masks, a
saved value the Tensor rule must recompute, ``out=`` or memory-order tricks) defines
``graph_backward(ctx, *grads)`` beside it, the same rule in Tensor ops; an op with neither
a Tensor-safe ``backward`` (``tensor_safe = True``) nor a ``graph_backward`` raises
``NotImplementedError`` naming it under ``create_graph=True``.
"""

from __future__ import annotations

import functools
import inspect
import threading

import numpy as np

from .errors import not_in_subset

Tensor = None  # bound by tensor.py once the Tensor class exists (avoids an import cycle)

class _GradMode(threading.local):
    """Grad mode, one per thread as in torch: each thread starts recording, and a
    ``no_grad`` in one thread (a playground session) leaves the others' backward alone."""

    enabled = True


_mode = _GradMode()
_new = object.__new__

_FREED = ("freed",)
_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """One recorded op in the graph: the ``ctx`` handed to ``forward``/``backward``.

    ``parents`` holds one edge per positional argument: the producing Node (or
    ``(node, output_index)`` for multi-output ops), the leaf Tensor itself, or ``None``
    when that argument needs no gradient.  ``buf`` accumulates the incoming gradient
    during a backward pass.  Functions may set any other attribute (shapes, axes) on it.
    """

    __slots__ = ("fn", "parents", "saved", "needs_input_grad", "buf", "deps", "mark", "__dict__", "__weakref__")
    nout = 1          # number of outputs (class default; multi-output ops override per node)
    retained = None   # Tensor whose .grad was requested with retain_grad()
    extras = False    # True once hooks / retain_grad / autograd.grad capture apply to this node
    graph = False     # True while the walk runs this node's rule on Tensors (create_graph=True)
    materialize = True  # user Functions: zeros (not None) for outputs outside the loss

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for backward; they are freed after backward unless retain_graph=True."""
        self.saved = arrays

    def mark_non_differentiable(self, *tensors) -> None:
        """User Functions: these outputs get no gradient (indices, masks)."""
        self.__dict__.setdefault("non_differentiable", set()).update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """User Functions: ``False`` hands ``None`` (not zeros) for outputs outside the loss."""
        self.materialize = bool(value)

    def mark_dirty(self, *tensors) -> None:
        raise not_in_subset("ctx.mark_dirty (in-place custom Functions)", "return a new tensor from forward")

    @property
    def saved_tensors(self) -> tuple:
        if self.saved is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        return self.saved if self.saved is not None else ()

    def name(self) -> str:
        return f"{self.fn.__name__}Backward0"

    # -- saved values for a rule written once: arrays in a plain backward, Tensors under create_graph
    def input(self, i: int, array):
        """Input ``i`` (saved as ``array``): the array itself, or under create_graph a Tensor
        connected to the node that produced it (see :meth:`input_tensor`)."""
        return self.input_tensor(i, array) if self.graph else array

    def output(self, array):
        """This op's (single) output, saved as ``array``: the array, or a Tensor of this node."""
        return _tensor(array, True, self) if self.graph else array

    def const(self, array):
        """A constant of the rule (a mask, a scale): the array, or a Tensor outside autograd."""
        return _tensor(array, False, None) if self.graph and type(array) is np.ndarray else array

    @property
    def ufuncs(self):
        """The elementwise functions of the rule's mode: NumPy in a plain backward, the
        engine's own ops (``exp``, ``log``, ``sin``, ``cos``, ``tanh``... by the same names, on
        Tensors) under create_graph, so a rule that calls them is also written once."""
        if not self.graph:
            return np
        from .ops import elementwise  # imported here: ops import this module
        return elementwise

    def input_tensor(self, i: int, array):
        """Input ``i`` (its saved ``array``) as a Tensor connected to the node that produced it.

        A leaf input comes back as the leaf itself (its gradient must reach it); a constant
        input as a plain Tensor (a Python scalar stays a scalar).
        """
        p = self.parents[i]
        if p is None:
            return constant(array) if type(array) is np.ndarray else array
        tp = type(p)
        if tp is Node:
            return _tensor(array, True, p)
        if tp is tuple:
            return _tensor(array, True, p[0], p[1])
        return p

    def output_tensor(self, array):
        """This op's (single) output, saved as ``array``, as a Tensor produced by this node."""
        return _tensor(array, True, self)

    @property
    def next_functions(self) -> tuple:
        """(node, output index) per input, like torch's ``grad_fn.next_functions``."""
        out = []
        for p in self.parents:
            if p is None:
                out.append((None, 0))
            elif type(p) is Node:
                out.append((p, 0))
            elif type(p) is tuple:
                out.append(p)
            else:
                out.append((AccumulateGrad(p), 0))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


def constant(array: np.ndarray):
    """A Tensor around ``array`` that takes no part in autograd."""
    return _tensor(array, False, None)


def _tensor(array: np.ndarray, requires_grad: bool = False, ctx=None, oidx=None, cls=None):
    """The one Tensor constructor: a Tensor around ``array`` (no copy, no checks) produced by
    output ``oidx`` of ``ctx`` (``ctx`` None: a leaf; ``oidx`` None: a single-output node)."""
    t = _new(cls or Tensor)
    t._data = array
    t._grad = None
    t._rg = requires_grad
    t._ctx = ctx
    if oidx is not None:
        t._oidx = oidx
    return t


class AccumulateGrad:
    """Stand-in for torch's leaf node in ``next_functions`` (holds the leaf as ``variable``)."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class Function:
    """Base class of every differentiable op: subclass, define forward/backward, call ``apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    # create_graph=True runs ``backward`` itself on Tensors when it is written with the ctx
    # accessors and operators only (tensor_safe); otherwise ``graph_backward``, if defined
    tensor_safe = False
    graph_backward = None

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the arrays behind ``args`` and record the op if needed."""
        T = Tensor
        ctx = Node()
        ctx.saved = None
        track = False
        if _mode.enabled:
            parents = []
            needs = []
            arrays = []
            for a in args:
                if isinstance(a, T):
                    arrays.append(a._data)
                    if a._rg:
                        track = True
                        c = a._ctx
                        # edges point at the producing node (or the leaf itself), not at the
                        # Tensor object, so later in-place rebinding cannot rewrite history
                        parents.append(a if c is None else (c if c.nout == 1 else (c, a._oidx)))
                        needs.append(True)
                        continue
                else:
                    arrays.append(a)
                parents.append(None)
                needs.append(False)
            if track:
                ctx.fn = cls
                ctx.parents = parents
                ctx.needs_input_grad = needs
                ctx.buf = None
                ctx.mark = 0
        else:
            arrays = [a._data if isinstance(a, T) else a for a in args]
        out = cls.forward(ctx, *arrays, **kwargs)
        if type(out) is not np.ndarray:
            if type(out) is tuple:
                return _wrap_outputs(ctx, out, track)
            out = np.asarray(out)
        return _tensor(out, track, ctx if track else None)


def _wrap_outputs(ctx, outs, track):
    result = []
    for i, out in enumerate(outs):
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        differentiable = track and out.dtype.kind == "f"
        result.append(_tensor(out, differentiable, ctx if differentiable else None, i))
    if track:
        ctx.nout = len(outs)
        ctx.out_meta = [(o.shape, o.dtype) for o in outs]
    return tuple(result)


# ------------------------------------------------------------------ broadcasting

def sum_to(grad, shape: tuple):
    """Undo broadcasting: sum ``grad`` down to ``shape`` (the one un-broadcast helper).

    ``grad`` is an ndarray, or a Tensor inside ``graph_backward`` (then the sum is
    recorded, so the un-broadcast is itself differentiable).
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    gshape = grad.shape
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if axes:
        if type(grad) is np.ndarray:
            grad = grad.sum(axis=axes, keepdims=True)
        else:
            grad = grad.sum(axes, keepdim=True)
    return grad.reshape(shape)


def sum_keepdim(grad, axis):
    """``grad`` summed over ``axis`` keeping the reduced dims, on an ndarray or (recorded) a Tensor."""
    if isinstance(grad, Tensor):
        return grad.sum(axis, keepdim=True)
    return grad.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------ grad mode

def is_grad_enabled() -> bool:
    """Whether ops are being recorded for autograd."""
    return _mode.enabled


def _set_enabled(mode: bool) -> None:
    _mode.enabled = bool(mode)


class _GradModeContext:
    """Shared machinery: works as ``with ctx():`` and as a decorator ``@ctx()`` / ``@ctx``."""

    _mode = True

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        self._prev = []

    def __enter__(self):
        self._prev.append(_mode.enabled)
        _set_enabled(self._mode)
        return None

    def __exit__(self, *exc):
        _set_enabled(self._prev.pop())
        return False

    def __call__(self, func):
        cls = type(self)
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with cls():
                    value = next(gen)
                while True:
                    try:
                        sent = yield value
                    except GeneratorExit:
                        gen.close()
                        raise
                    with cls():
                        try:
                            value = gen.send(sent)
                        except StopIteration as stop:
                            return stop.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with cls():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return type(self)()


class no_grad(_GradModeContext):
    """Disable graph recording: ``with scratch.no_grad(): ...`` or ``@scratch.no_grad()``."""

    _mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a ``no_grad`` block."""

    _mode = True


class inference_mode(no_grad):
    """Alias of :class:`no_grad` (the scratch engine has no separate inference tensors)."""

    def __new__(cls, mode=True):
        self = object.__new__(cls)
        if callable(mode):
            self.__init__()
            return self(mode)
        return self

    def __init__(self, mode=True):
        super().__init__()
        self._mode = not (mode if isinstance(mode, bool) else True)


class set_grad_enabled:
    """Set grad mode now (``set_grad_enabled(False)``) or for a block (``with set_grad_enabled(m):``)."""

    def __init__(self, mode: bool):
        self._prev = _mode.enabled
        self._mode = bool(mode)
        _set_enabled(self._mode)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _set_enabled(self._prev)
        return False

    def __call__(self, func):
        mode = self._mode
        _set_enabled(self._prev)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper
