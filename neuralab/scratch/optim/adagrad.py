"""Adagrad, as torch's single-tensor implementation:

    clr = lr / (1 + (step - 1) * lr_decay);  sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer, scalar_step


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state[p]
                st["step"] = scalar_step()
                st["sum"] = _wrap(np.full_like(p._data, initial_accumulator_value))

    def step(self, closure=None):
        """One Adagrad update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                data = p._data
                st = state[p]
                if not st:  # a parameter added later with add_param_group: torch fills from the defaults
                    st["step"] = scalar_step()
                    st["sum"] = _wrap(np.full_like(data, self.defaults["initial_accumulator_value"]))
                step_t = st["step"]._data
                step_t += 1
                step = float(step_t)
                w1, w2, w3 = self._workspace(data, 3)
                if maximize:
                    g = np.negative(g, out=w3)
                if weight_decay != 0:
                    g = np.add(g, np.multiply(data, weight_decay, out=w1), out=w3)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = st["sum"]._data
                s += np.multiply(g, g, out=w1)
                std = np.sqrt(s, out=w1)
                std += eps
                update = np.multiply(g, -clr, out=w2)
                update /= std
                data += update
        return loss
