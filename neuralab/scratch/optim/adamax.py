"""Adamax (Adam with the infinity norm), as torch's single-tensor implementation:

    m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
    p -= lr / (1 - beta1^step) * m / u
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .adam import lerp_
from .optimizer import Optimizer, scalar_step


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adamax update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                data = p._data
                st = self.state[p]
                if not st:
                    st["step"] = scalar_step()
                    st["exp_avg"] = _wrap(np.zeros_like(data))
                    st["exp_inf"] = _wrap(np.zeros_like(data))
                if maximize:
                    g = -g
                step_t = st["step"]._data
                step_t += 1
                if weight_decay != 0:
                    g = g + weight_decay * data
                m, u = st["exp_avg"]._data, st["exp_inf"]._data
                lerp_(m, g, 1 - beta1, np.empty_like(m))
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** float(step_t))
                data += -clr * (m / u)
        return loss
