"""Adamax (Adam with the infinity norm), as torch's single-tensor implementation:

    m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
    p -= lr / (1 - beta1^step) * m / u
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .adam import lerp_
from .optimizer import Optimizer, check_options, descent_grad, scalar_step


class Adamax(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adamax update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group, p, g, st in self._with_grads():
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            data = p._data
            if not st:
                st["step"] = scalar_step()
                st["exp_avg"] = _wrap(np.zeros_like(data))
                st["exp_inf"] = _wrap(np.zeros_like(data))
            step_t = st["step"]._data
            step_t += 1
            g = descent_grad(g, data, group["maximize"], group["weight_decay"])
            m, u = st["exp_avg"]._data, st["exp_inf"]._data
            lerp_(m, g, 1 - beta1, np.empty_like(m))
            u *= beta2
            np.maximum(u, np.abs(g) + eps, out=u)
            clr = lr / (1 - beta1 ** float(step_t))
            data += -clr * (m / u)
        return loss
