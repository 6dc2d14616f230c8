"""``Optimizer`` base: param_groups with per-group options, state, state_dict round trip.

State layout and ``state_dict()`` structure follow torch exactly:
``{"state": {index: {"step": Tensor, "exp_avg": Tensor, ...}}, "param_groups":
[{..options.., "params": [indices]}]}``.  Updates are written in place into each
parameter's ndarray by the subclasses' ``step``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .. import dtypes as _dt
from ..errors import not_in_subset
from ..function import enable_grad
from ..tensor import Tensor, _wrap


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()
_NO_WORKSPACE = [None, None, None, None]
WORKSPACE_FROM = 4096  # elements: below this, NumPy's own small-array allocation is cheaper than a kept buffer


def scalar_step(value: float = 0.0) -> Tensor:
    """A 0-dim float state tensor (``step``, NAdam's ``mu_product``, ASGD's ``eta``/``mu``), like torch's.

    Its dtype is float32 unless the default dtype is float64, whatever the parameters'
    dtype: torch rounds these scalars to that dtype, and trajectories only match if we do too.
    """
    dt = np.float64 if _dt.default_np() == np.float64 else np.float32
    return _wrap(np.array(value, dtype=dt))


class Optimizer:
    """Base class: holds ``param_groups`` and per-parameter ``state``."""

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        # foreach / fused / capturable only choose how torch runs the same update (kernel fusion,
        # CUDA-graph capture): accepted, and the one NumPy update runs.  differentiable=True
        # changes what step() means (a graph through the update), which the engine does not build.
        if defaults.get("differentiable"):
            raise not_in_subset("optimizer option differentiable=True",
                                "the scratch engine updates parameters in place with NumPy, outside the graph")
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + type(params).__name__
            )
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\nParameter Group {}".format(i)
            for key in sorted(group.keys()):
                if key not in ("params", "param_names"):
                    text += "\n    {}: {}".format(key, group[key])
        return text + "\n)"

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing ones come from the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        if params and isinstance(params[0], tuple):  # named parameters
            param_group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + type(p).__name__)
            if p._ctx is not None:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients of all optimised parameters (to ``None`` by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p._grad = None
                elif p._grad is not None:
                    p._grad.fill(0)

    def _workspace(self, like: np.ndarray, count: int) -> list:
        """``count`` scratch arrays shaped like ``like``, kept between steps.

        Optimizers write every temporary into these (``out=``) instead of allocating:
        on large parameters, fresh multi-megabyte temporaries each step cost more in
        page faults than the arithmetic itself.
        """
        if like.size < WORKSPACE_FROM:
            return _NO_WORKSPACE[:count]
        cache = self.__dict__.setdefault("_buffers", {})
        key = (like.shape, like.dtype.str, like.flags.c_contiguous)
        bufs = cache.get(key)
        if bufs is None or len(bufs) < count:
            bufs = cache[key] = [np.empty_like(like) for _ in range(count)]  # same memory order
        return bufs

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_buffers", None)
        return state

    def _closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def step(self, closure=None):
        raise NotImplementedError

    def _with_grads(self):
        """(group, parameter, its gradient, its state) for every parameter that has a gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    yield group, p, p._grad, self.state[p]

    # ------------------------------------------------------------ state_dict
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}`` (torch's layout)."""
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict` (values copied and cast to each parameter's dtype)."""
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for old, p in zip(s["params"], g["params"]):
                id_map[old] = p
        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            k = int(key) if isinstance(key, str) and key.lstrip("-").isdigit() else key
            if k in id_map:
                p = id_map[k]
                state[p] = {name: self._cast_state(p, name, v) for name, v in value.items()}
            else:
                state[k] = value
        new_groups = []
        for g, s in zip(groups, saved_groups):
            new = {k: (tuple(v) if k == "betas" and isinstance(v, list) else v) for k, v in s.items() if k != "params"}
            new["params"] = g["params"]
            if "param_names" in g and "param_names" not in new:
                new["param_names"] = g["param_names"]
            new_groups.append(new)
        self.state = state
        self.param_groups = new_groups

    @staticmethod
    def _cast_state(param: Tensor, name: str, value):
        if name == "step":
            arr = value._data if isinstance(value, Tensor) else np.asarray(value)
            return _wrap(np.array(arr, dtype=scalar_step()._data.dtype).reshape(()))
        if value is None:
            return None
        if isinstance(value, Tensor) or isinstance(value, np.ndarray) or hasattr(value, "detach"):
            from ..nn.module import _array_of
            arr = _array_of(value)
            dtype = param._data.dtype if arr.dtype.kind == "f" else arr.dtype
            if arr.shape == param._data.shape:
                out = np.empty_like(param._data, dtype=dtype)  # the parameter's memory order
                np.copyto(out, arr, casting="unsafe")
                return _wrap(out)
            return _wrap(np.array(arr, dtype=dtype, copy=True))
        if isinstance(value, list):
            return _wrap(np.array(value, dtype=param._data.dtype))
        return value


def check_options(lr=None, eps=None, betas=None, weight_decay=None) -> None:
    """torch's checks of the common options, in torch's order (lr, eps, betas, weight_decay)."""
    if lr is not None and not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if betas is not None:
        for index in (0, 1):
            if not 0.0 <= betas[index] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {betas[index]}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def descent_grad(grad: np.ndarray, data: np.ndarray, maximize: bool, weight_decay: float) -> np.ndarray:
    """The gradient torch's updates start from: negated when maximizing, plus ``weight_decay * p`` (L2)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * data
    return grad
