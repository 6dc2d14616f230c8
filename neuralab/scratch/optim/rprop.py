"""Rprop (resilient backpropagation, Riedmiller & Braun 1993), as torch's single-tensor implementation.

Only the sign of the gradient is used; each weight has its own step size:

    s = sign(g * g_prev):  step_size *= etaplus (s > 0), etaminus (s < 0), 1 (s == 0)
    step_size = clamp(step_size, step_size_min, step_size_max)
    where s < 0 the gradient is set to 0 (no move, and no sign comparison next step)
    p -= sign(g) * step_size;   g_prev = g
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer, check_options, descent_grad, scalar_step


class Rprop(Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_options(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes), "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Rprop update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group, p, g, st in self._with_grads():
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            data = p._data
            if not st:
                st["step"] = scalar_step()
                st["prev"] = _wrap(np.zeros_like(data))
                st["step_size"] = _wrap(np.full_like(g, group["lr"]))
            st["step"]._data += 1
            g = np.array(descent_grad(g, data, group["maximize"], 0), copy=True)
            prev, step_size = st["prev"]._data, st["step_size"]._data
            sign = np.sign(g * prev)
            factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0)).astype(data.dtype)
            step_size *= factor
            np.clip(step_size, step_size_min, step_size_max, out=step_size)
            g[sign < 0] = 0
            data -= np.sign(g) * step_size
            np.copyto(prev, g)
        return loss
