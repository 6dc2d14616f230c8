"""Adadelta (Zeiler 2012), as torch's single-tensor implementation:

    v = rho * v + (1 - rho) * g * g
    delta = sqrt(u + eps) / sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta * delta
    p -= lr * delta
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer, check_options, descent_grad, scalar_step


class Adadelta(Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_options(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_options(eps=eps, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "capturable": capturable, "foreach": foreach, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adadelta update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group, p, g, st in self._with_grads():
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            data = p._data
            if not st:
                st["step"] = scalar_step()
                st["square_avg"] = _wrap(np.zeros_like(data))
                st["acc_delta"] = _wrap(np.zeros_like(data))
            st["step"]._data += 1
            g = descent_grad(g, data, group["maximize"], group["weight_decay"])
            v, u = st["square_avg"]._data, st["acc_delta"]._data
            v *= rho
            v += (1 - rho) * g * g
            delta = np.sqrt(u + eps)
            delta /= np.sqrt(v + eps)
            delta *= g
            u *= rho
            u += (1 - rho) * delta * delta
            data -= lr * delta
        return loss
