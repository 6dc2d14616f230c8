"""``scratch.autograd``: the graph walk, ``grad``, ``backward`` and the grad-mode helpers.

:func:`run_backward` is the engine's one graph walk, behind ``Tensor.backward``,
``autograd.backward`` and ``autograd.grad``.  It runs in one of two modes:

* **array mode** (the default): gradients are ndarrays, each node's ``backward`` runs on
  them, leaf gradients land in ``leaf._grad``; saved arrays are freed afterwards unless
  ``retain_graph``.
* **Tensor mode** (``create_graph=True``): gradients are Tensors and grad mode is on, so
  each rule records what it computes and the gradients it returns have a graph of their own
  (a loss of them can be backpropagated again, WGAN-GP); saved arrays are kept.

Both modes share the order (Kahn's algorithm on the consumer counts: a node runs once,
with its full gradient), the one leaf accumulation (:func:`_accumulate_leaf`) and the one
path for hooks, ``retain_grad`` and ``autograd.grad`` capture (:func:`_node_extras`,
:func:`_run_hooks`).  Only three things depend on the mode: the gradient type, the rule
called (``backward`` with ``ctx.graph`` set, or ``graph_backward``) and how a total is kept.
"""

from __future__ import annotations

from sys import getrefcount

import numpy as np

from . import function as _fn
from . import tensor as _tensor_module
from .errors import not_in_subset
from .function import _FREED, _FREED_MESSAGE, Node
from .function import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .tensor import _LEAF_HOOKS, Tensor, _wrap
from . import custom_function as function  # torch.autograd.function (Function, once_differentiable)
from .custom_function import Function, once_differentiable  # noqa: F401 - torch.autograd.Function

_PASS = 0  # backward-pass counter used to mark visited nodes


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, only=None, capture=None) -> None:
    """Propagate ``root_grads`` from ``roots`` to the leaves, iteratively (no recursion).

    roots        -- Tensors to start from; ``root_grads`` one gradient each (ndarray or Tensor)
    create_graph -- Tensor mode (see the module docstring); implies ``retain_graph``
    only         -- ids of the leaves whose ``.grad`` may change (``backward(inputs=...)``)
    capture      -- id(leaf or node) -> (slots, i) for ``autograd.grad``: gradients go to
                    ``slots[i]`` instead of ``.grad``, and only nodes leading there run
    """
    visited = _count_consumers(roots)
    needed = None if capture is None else _nodes_leading_to(visited, capture)
    if create_graph:
        _check_graph_rules(visited, needed)
        gtype, as_grad = Tensor, _as_tensor
        retain_graph = True
    else:
        gtype, as_grad = np.ndarray, np.asarray
    handed = set()  # ids of arrays already owned by some leaf's .grad (array mode)
    for t, g in zip(roots, root_grads):
        if type(g) is not gtype:
            g = as_grad(g)
        handed.add(id(g))
        c = t._ctx
        if c is None:
            _accumulate_leaf(t, g, handed, only, capture)
        elif c.nout == 1:
            c.buf = g if c.buf is None else c.buf + g
        else:
            _add_to_output(c, getattr(t, "_oidx", 0), g)
    ready = [c for c in visited if c.deps == 0]
    previous = _fn._mode.enabled
    if create_graph:
        _fn._mode.enabled = True
    try:
        while ready:
            node = ready.pop()
            g = node.buf
            node.buf = None
            parents = node.parents
            if node.extras and g is not None and node.nout == 1:
                g = _node_extras(node, g, capture)  # hooks, retain_grad, autograd.grad capture
            if needed is not None and node not in needed:
                g = None  # autograd.grad: nothing below this node was asked for
            elif node.saved is _FREED:
                raise RuntimeError(_FREED_MESSAGE)
            grads = None
            if g is not None:
                if node.nout != 1:  # outputs that took no part in the loss get zeros
                    g = [as_grad(np.zeros(shape, dtype)) if gi is None else gi
                         for gi, (shape, dtype) in zip(g, node.out_meta)]
                    grads = _call_rule(node, g, create_graph, needed, capture)
                elif create_graph or needed is not None:
                    grads = _call_rule(node, (g,), create_graph, needed, capture)
                else:
                    grads = node.fn.backward(node, g)  # the hot path
                if type(grads) is not tuple:
                    grads = (grads,) if grads is None or isinstance(grads, (Tensor, np.ndarray, np.generic)) else tuple(grads)
            for p, gi in zip(parents, grads or (None,) * len(parents)):
                if p is None:
                    continue
                if gi is not None and type(gi) is not gtype:
                    gi = as_grad(gi)  # NumPy returns scalars from ops on 0-dim arrays
                tp = type(p)
                if tp is Node:
                    c = p
                    if gi is not None:
                        b = c.buf
                        c.buf = gi if b is None else b + gi
                elif tp is tuple:
                    c = p[0]
                    if gi is not None:
                        _add_to_output(c, p[1], gi)
                else:
                    if gi is not None:
                        _accumulate_leaf(p, gi, handed, only, capture)
                    continue
                n = c.deps - 1
                c.deps = n
                if n == 0:
                    ready.append(c)
            if not retain_graph and node.saved is not None:
                node.saved = _FREED
    finally:
        _fn._mode.enabled = previous


_tensor_module.run_backward = run_backward  # Tensor.backward's walk


def _as_tensor(g) -> Tensor:
    """A Tensor-mode gradient: Tensors pass, arrays and numbers become constants."""
    return g if isinstance(g, Tensor) else _wrap(np.asarray(g))


def _call_rule(node, grads, create_graph, needed, capture):
    """Run ``node``'s rule off the hot path: in Tensor mode, or for ``autograd.grad``, where
    the inputs that lead to nothing asked for are marked as needing no gradient."""
    need = node.needs_input_grad
    if needed is not None:
        node.needs_input_grad = [n and _leads_to(p, needed, capture) for n, p in zip(need, node.parents)]
    try:
        if not create_graph:
            return node.fn.backward(node, *grads)
        if node.fn.tensor_safe:
            node.graph = True
            return node.fn.backward(node, *grads)
        return node.fn.graph_backward(node, *grads)
    finally:
        node.needs_input_grad = need
        node.graph = False


def _check_graph_rules(visited, needed) -> None:
    """Before a Tensor-mode walk: every node that will run has a Tensor rule (and its arrays)."""
    for node in visited:
        if needed is not None and node not in needed:
            continue
        if node.saved is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        if not node.fn.tensor_safe and node.fn.graph_backward is None:
            raise not_in_subset(
                f"create_graph=True (higher-order gradients) through {node.name()}",
                "the ops with a graph-building backward are listed in docs/scratch-engine.md",
            )


def _add_to_output(c, i: int, g) -> None:
    """Sum ``g`` into the buffer of output ``i`` of the multi-output node ``c``."""
    bufs = c.buf
    if bufs is None:
        bufs = c.buf = [None] * c.nout
    bufs[i] = g if bufs[i] is None else bufs[i] + g


def _count_consumers(roots) -> list:
    """Pass 1 of a backward: every node reachable from ``roots``, each with ``deps`` set to
    the number of its consumers that take part in this backward (iterative, no recursion)."""
    global _PASS
    _PASS += 1
    mark = _PASS
    stack = []
    visited = []
    for t in roots:
        c = t._ctx
        if c is not None and c.mark != mark:
            c.mark = mark
            c.deps = 0
            stack.append(c)
    while stack:
        node = stack.pop()
        visited.append(node)
        for p in node.parents:
            tp = type(p)  # inline _edge_node: this loop runs once per edge of every backward
            if tp is Node:
                c = p
            elif tp is tuple:
                c = p[0]
            else:
                continue  # a constant or a leaf
            if c.mark != mark:
                c.mark = mark
                c.deps = 1
                stack.append(c)
            else:
                c.deps += 1
    return visited


def _edge_node(p):
    tp = type(p)
    if tp is Node:
        return p
    if tp is tuple:
        return p[0]
    return None


def _nodes_leading_to(visited: list, capture: dict) -> set:
    """Nodes whose backward must run to reach the tensors captured by ``autograd.grad``."""
    remaining = {c: c.deps for c in visited}
    ready = [c for c, n in remaining.items() if n == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for p in node.parents:
            c = _edge_node(p)
            if c is not None:
                remaining[c] -= 1
                if remaining[c] == 0:
                    ready.append(c)
    wanted, runs = set(), set()
    for node in reversed(order):  # producers before consumers
        go = False
        for p in node.parents:
            if p is None:
                continue
            c = _edge_node(p)
            if (c is not None and c in wanted) or (c is None and id(p) in capture):
                go = True
                break
        if go:
            runs.add(node)
        if go or id(node) in capture:
            wanted.add(node)
    return runs


def _leads_to(p, needed: set, capture: dict) -> bool:
    """Whether the edge ``p`` reaches a tensor that ``autograd.grad`` asked for."""
    c = _edge_node(p)
    if c is None:
        return id(p) in capture
    return c in needed or id(c) in capture


# ---------------------------------------------------------------- hooks, capture, leaves

def _run_hooks(hooks, g):
    """Tensor hooks ``hook(grad) -> new grad or None``, in order; ``g`` keeps its mode's type."""
    array_mode = type(g) is np.ndarray
    for hook in list(hooks):
        out = hook(_wrap(g) if array_mode else g)
        if out is not None:
            if array_mode:
                g = out._data if isinstance(out, Tensor) else np.asarray(out)
            else:
                g = _as_tensor(out)
    return g


def _capture(capture, key, g) -> bool:
    """``autograd.grad``: sum ``g`` into the slot kept for ``key``; whether it was asked for."""
    entry = capture.get(key)
    if entry is None:
        return False
    slots, i = entry
    slots[i] = g if slots[i] is None else slots[i] + g
    return True


def _node_extras(node, g, capture):
    """Rare per-node features: tensor hooks, retain_grad, autograd.grad capture."""
    hooks = node.__dict__.get("hooks")
    if hooks:
        g = _run_hooks(hooks, g)
    kept = node.retained
    if kept is not None:
        if type(g) is not np.ndarray:
            _add_graph_grad(kept, g)
        else:
            kept._grad = np.array(g, copy=True) if kept._grad is None else kept._grad + g
    if capture is not None:
        _capture(capture, id(node), g)
    return g


def _add_graph_grad(t: Tensor, g: Tensor) -> None:
    """Tensor mode: ``t.grad`` becomes (old grad +) ``g``, a Tensor with a graph."""
    total = _owned(g) if t._grad is None else t.grad + g
    t._grad, t._gradt = total._data, total


def _accumulate_leaf(p, g, handed, only, capture) -> None:
    """The one leaf accumulation: hooks, then ``autograd.grad`` capture or ``p.grad += g``.

    Array mode: the leaf must own its gradient, so ``g`` is kept as is only when nothing
    else can see it (no read-only broadcast, no array another leaf or node holds; a view
    only of a temporary nothing else references, e.g. the transpose of a fresh GEMM
    result), later gradients are added in place.  Tensor mode: ``.grad`` becomes
    (old grad +) a graph Tensor.
    """
    if _LEAF_HOOKS:
        entry = _LEAF_HOOKS.get(id(p))
        if entry is not None:
            g = _run_hooks(entry[1], g)
    if capture is not None:  # torch.autograd.grad: hand g to the caller, leave .grad alone
        _capture(capture, id(p), g)
        return
    if only is not None and id(p) not in only:
        return
    data = p._data
    old = p._grad
    if type(g) is not np.ndarray:  # Tensor mode
        _add_graph_grad(p, g if g._data.dtype == data.dtype else g.to(data.dtype))
    elif old is None:
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        elif (id(g) in handed or not g.flags.writeable
              or (g.base is not None and (g.base.base is not None or getrefcount(g.base) != 2))):
            g = g.copy(order="K")
        handed.add(id(g))
        p._grad = g
    else:
        np.add(old, g, out=old, casting="unsafe")


def _owned(g: Tensor) -> Tensor:
    """``g`` with a private, writable copy of its data, still produced by the same node."""
    c = g._ctx
    return _fn._tensor(np.array(g._data, copy=True), g._rg, c, g._oidx if c is not None and c.nout != 1 else None)


# ---------------------------------------------------------------- public API

def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of ``outputs`` w.r.t. ``inputs`` without touching any ``.grad``.

    With ``create_graph=True`` the walk runs in Tensor mode: the gradients are built from
    differentiable ops and keep a graph, so a loss of them can be backpropagated (WGAN-GP).
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
    run_backward(outputs, seeds, bool(retain_graph), create_graph, capture=capture)
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
    if create_graph:  # the gradients are then differentiable w.r.t. the grad_tensors too
        seeds = [g if isinstance(g, Tensor) else s for g, s in zip(grad_tensors, seeds)]
    only = None if inputs is None else {id(t) for t in ([inputs] if isinstance(inputs, Tensor) else inputs)}
    run_backward(tensors, seeds, bool(retain_graph), create_graph, only=only)


def __getattr__(name):
    if name == "gradcheck":
        from .gradcheck import gradcheck
        return gradcheck
    if name == "functional":  # imported late: it calls grad() defined here
        from . import autograd_functional
        return autograd_functional
    if name == "gradgradcheck":
        from .gradcheck import gradgradcheck
        return gradgradcheck
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.autograd.{name}")
