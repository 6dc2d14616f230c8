"""``Tensor``: a NumPy array plus the autograd bookkeeping, and the backward graph walk.

Internally a tensor is four slots: ``_data`` (the ndarray), ``_rg`` (requires grad),
``_grad`` (the gradient as a plain ndarray, wrapped lazily by ``.grad``) and ``_ctx``
(the :class:`~neuralab.scratch.function.Node` that produced it; ``None`` for leaves).
Ops are attached as methods by ``ops/__init__.py``; ``backward`` hands the graph walk
(``autograd.run_backward``) its roots.
"""

from __future__ import annotations

import builtins
import weakref

import numpy as np

from . import dtypes as _dt
from . import function as _fn
from .errors import not_in_subset
from .function import _tensor


class Size(tuple):
    """Tensor shape (a tuple, like ``torch.Size``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"scratch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hpu", "mtia", "xla", "ipu", "privateuseone")


class device:
    """A device name, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``, ``"cuda:1"``.

    Any of torch's device types can be *named* (``device("cuda" if cuda.is_available() else
    "cpu")`` is ordinary script code), but the scratch engine computes on the CPU only:
    putting a tensor or module on another device raises an error saying so.
    """

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):  # noqa: A002 - mirrors torch.device
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, builtins.int) and not isinstance(type, builtins.bool):
            type, index = "cuda", type  # torch.device(0) is the first GPU
        kind, _, number = str(type).partition(":")
        if kind not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start of "
                               f"device string: {type}")
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = builtins.int(number)
        self.type = kind
        self.index = index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        if isinstance(other, device):
            return other.type == self.type and (self.type == "cpu" or other.index == self.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


CPU = device("cpu")


def _check_device(dev) -> None:
    """Refuse any device but the CPU, naming it (a device, a string or a GPU index)."""
    if dev is None:
        return
    kind = dev.type if isinstance(dev, device) else (
        "cuda" if isinstance(dev, builtins.int) else str(dev).split(":")[0])
    if kind != "cpu":
        raise not_in_subset(f"device {str(dev)!r}",
                            "CUDA is not available in the scratch engine: it computes on the CPU only; use 'cpu'")


_wrap = _tensor  # a leaf around ``data`` (no copy, no checks): ``_wrap(data, requires_grad=False)``


_TORCH_NAMES = {
    "float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
    "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
}


def _torch_name(np_dtype) -> str:
    return _TORCH_NAMES.get(np.dtype(np_dtype).name, str(np_dtype))


class Tensor:
    """An n-dimensional array that records the ops applied to it for autograd.

    Create tensors with :func:`scratch.tensor`, :func:`scratch.from_numpy`, ``zeros``,
    ``randn``...  ``Tensor(data)`` follows ``torch.Tensor(data)`` (default float dtype).
    """

    __slots__ = ("_data", "_rg", "_grad", "_ctx", "_oidx", "_gradt", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        _check_device(device)
        np_dtype = _dt.to_np(dtype) if dtype is not None else _dt.default_np()
        if not args:
            arr = np.zeros((0,), dtype=np_dtype)
        elif len(args) == 1 and not isinstance(args[0], (builtins.int, np.integer)):
            data = args[0]
            data = data._data if isinstance(data, Tensor) else data
            arr = np.array(data, dtype=np_dtype)
        else:
            shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
            arr = np.zeros(tuple(builtins.int(s) for s in shape), dtype=np_dtype)
        self._data = arr
        self._rg = False
        self._grad = None
        self._ctx = None
        if requires_grad:
            self.requires_grad = True

    # ------------------------------------------------------------ attributes
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim=None):
        """Shape as a :class:`Size`, or one dimension's length."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[dim]

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def is_contiguous(self, memory_format=None) -> bool:
        return self._data.flags.c_contiguous

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def get_device(self) -> int:
        return -1

    # ------------------------------------------------------------ autograd attributes
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = builtins.bool(value)
        if self._ctx is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        if self._ctx is None:
            self._rg = value

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def grad(self):
        g = self._grad
        if g is None:
            return None
        t = getattr(self, "_gradt", None)
        if t is None or t._data is not g:
            t = _wrap(g)
            self._gradt = t
        return t

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._grad = None
            self._gradt = None
            return
        if not isinstance(value, Tensor):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
        if value._data.shape != self._data.shape:
            raise RuntimeError(
                f"assigned grad has data of a different size: {value.shape} vs {self.shape}"
            )
        self._grad = value._data
        self._gradt = value

    @property
    def data(self) -> "Tensor":
        """A detached Tensor sharing this tensor's storage."""
        return _wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def detach(self) -> "Tensor":
        """A new leaf sharing storage, cut from the graph."""
        return _wrap(self._data)

    def detach_(self) -> "Tensor":
        self._ctx = None
        self._rg = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._ctx is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        self._ctx.retained = self
        self._ctx.extras = True

    @property
    def retains_grad(self) -> bool:
        return self._ctx is not None and self._ctx.retained is self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is None:
            entry = _LEAF_HOOKS.get(id(self))
            if entry is None:
                key = id(self)
                entry = _LEAF_HOOKS[key] = (weakref.ref(self, lambda _ref, k=key: _LEAF_HOOKS.pop(k, None)), [])
            hooks = entry[1]
        else:
            node = self._ctx
            if node.__dict__.get("hooks") is None:
                node.hooks = []
            hooks = node.hooks
            node.extras = True
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see torch.Tensor.backward)."""
        if not self._rg:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = np.array(1, dtype=self._data.dtype)
            if self._data.ndim:
                g = g.reshape(self._data.shape)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=self._data.dtype)
            if g.shape != self._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {Size(g.shape)} and output[0] "
                    f"has a shape of {self.shape}."
                )
        only = None
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            only = {id(t) for t in inputs}
        if create_graph and isinstance(gradient, Tensor):
            g = gradient  # the gradients are then differentiable w.r.t. ``gradient`` too
        run_backward([self], [g], builtins.bool(retain_graph), create_graph, only=only)

    # ------------------------------------------------------------ conversion
    def item(self):
        """The single value as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The ndarray behind this tensor (shared memory)."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def tolist(self):
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return builtins.int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self._data.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        if not (self._rg and _fn._mode.enabled):
            for row in self._data:
                yield _wrap(np.asarray(row))
            return
        for i in range(self._data.shape[0]):
            yield self[i]

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._rg, type(self)))

    def __deepcopy__(self, memo):
        if self._ctx is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment."
            )
        # keep the memory order (nn.Linear weights are column-major)
        t = _tensor(self._data.copy(order="K"), self._rg, cls=type(self))
        t._grad = None if self._grad is None else self._grad.copy(order="K")
        memo[id(self)] = t
        return t

    def to(self, *args, **kwargs) -> "Tensor":
        """Cast dtype (``x.to(scratch.float64)``, ``x.to(other)``); the only device is "cpu"."""
        target = None
        for a in list(args) + [kwargs.get("dtype"), kwargs.get("device")]:
            if a is None:
                continue
            if isinstance(a, Tensor):
                target = a._data.dtype
            elif isinstance(a, (str, device, builtins.int)) and not isinstance(a, builtins.bool):
                _check_device(a)
            else:
                target = _dt.to_np(a)
        copy = kwargs.get("copy", False)
        if target is None or target == self._data.dtype:
            return self.clone() if copy else self
        return _cast(self, target)

    def cpu(self, memory_format=None) -> "Tensor":
        return self

    def cuda(self, *args, **kwargs):
        raise not_in_subset("Tensor.cuda()", "CUDA is not available in the scratch engine")

    def pin_memory(self, *args, **kwargs) -> "Tensor":
        # pinned memory only speeds up copies to a GPU; CPU-only torch refuses the same way
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device=None) -> bool:
        return False

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            return f"scratch.{_torch_name(self._data.dtype)}Tensor"
        return self.to(dtype)

    def type_as(self, other: "Tensor") -> "Tensor":
        return self.to(other._data.dtype)

    def float(self) -> "Tensor":
        return self.to(np.float32)

    def double(self) -> "Tensor":
        return self.to(np.float64)

    def long(self) -> "Tensor":
        return self.to(np.int64)

    def int(self) -> "Tensor":
        return self.to(np.int32)

    def bool(self) -> "Tensor":
        return self.to(np.bool_)

    def byte(self) -> "Tensor":
        return self.to(np.uint8)

    def half(self):
        raise not_in_subset("Tensor.half() (float16 compute)", "use float32 or float64")

    def bfloat16(self):
        raise not_in_subset("Tensor.bfloat16()", "use float32 or float64")

    def contiguous(self, memory_format=None) -> "Tensor":
        return self

    # ------------------------------------------------------------ new tensors
    def new_tensor(self, data, dtype=None, device=None, requires_grad=False) -> "Tensor":
        from .creation import tensor
        return tensor(data, dtype=dtype or self._data.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _wrap(np.zeros(_size(size), _dt.to_np(dtype) if dtype else self._data.dtype), requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _wrap(np.ones(_size(size), _dt.to_np(dtype) if dtype else self._data.dtype), requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return _wrap(np.full(_size((size,)), fill_value, _dt.to_np(dtype) if dtype else self._data.dtype), requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False) -> "Tensor":
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    # ------------------------------------------------------------ repr
    def __repr__(self) -> str:
        return _format(self, "tensor(")

    def __str__(self) -> str:
        return self.__repr__()

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return self.__repr__().__format__(spec)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in Tensor.__slots__:
            raise AttributeError(name)
        raise not_in_subset(f"Tensor.{name}")


def _rebuild(data, requires_grad, cls=None):
    return _tensor(data, requires_grad, cls=cls)


def _size(size) -> tuple:
    """Normalise ``*size`` arguments: f(2, 3), f((2, 3)), f([2, 3]), f(Size)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(builtins.int(s) for s in size)


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# id(leaf) -> (weakref to the leaf, hooks); keyed by id because Tensor.__eq__ is elementwise
_LEAF_HOOKS: dict = {}


def _format(t: Tensor, prefix: str) -> str:
    a = t._data
    kind = a.dtype.kind
    opts = {"separator": ", ", "prefix": prefix, "threshold": 1000, "edgeitems": 3, "max_line_width": 80}
    if kind == "f":
        finite = a[np.isfinite(a)]
        if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
            body = np.array2string(a, **opts, formatter={"float_kind": lambda v: f"{v:.0f}."})
        else:
            body = np.array2string(a, **opts, precision=4, floatmode="fixed", suppress_small=False)
    else:
        body = np.array2string(a, **opts)
    extras = []
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        extras.append(f"size={tuple(a.shape)}")
    if (kind == "f" and a.dtype != _dt.default_np()) or (kind in "iu" and a.dtype != np.int64):
        extras.append(f"dtype=scratch.{a.dtype.name}")
    if t._ctx is not None:
        extras.append(f"grad_fn=<{t._ctx.name()}>")
    elif t._rg:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


# ---------------------------------------------------------------- dtype cast (differentiable)

class Cast(_fn.Function):
    """Change dtype; the gradient is cast back to the source dtype."""

    @staticmethod
    def forward(ctx, x, np_dtype):
        ctx.src = x.dtype
        return x.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.src), None

    @staticmethod
    def graph_backward(ctx, grad):
        return _cast(grad, ctx.src), None


def _cast(t: Tensor, np_dtype) -> Tensor:
    if np.dtype(np_dtype).kind != "f" or t._data.dtype.kind != "f":
        return _wrap(t._data.astype(np_dtype))  # integer results carry no gradient
    return Cast.apply(t, np_dtype)


_fn.Tensor = Tensor
run_backward = None  # the graph walk, bound by autograd.py (it imports this module)
