"""RAdam (Liu et al. 2019: Adam with a rectified adaptive step), as torch's single-tensor implementation.

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                p -= lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
    else:       p -= lr * m / (1 - beta1^t)        (the variance estimate is not yet reliable)
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .adam import lerp_
from .optimizer import Optimizer, check_options, descent_grad, scalar_step


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
            "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RAdam update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group, p, g, st in self._with_grads():
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            data = p._data
            if not st:
                st["step"] = scalar_step()
                st["exp_avg"] = _wrap(np.zeros_like(data))
                st["exp_avg_sq"] = _wrap(np.zeros_like(data))
            step_t = st["step"]._data
            step_t += 1
            step = float(step_t)
            if group["decoupled_weight_decay"]:
                data *= 1 - lr * weight_decay
                weight_decay = 0
            g = descent_grad(g, data, group["maximize"], weight_decay)
            m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
            lerp_(m, g, 1 - beta1, np.empty_like(m))
            v *= beta2
            v += (1 - beta2) * g * g
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            corrected_m = m / bias_correction1
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                adaptive = bias_correction2 ** 0.5 / (np.sqrt(v) + eps)
                data -= corrected_m * lr * adaptive * rect
            else:
                data -= corrected_m * lr
        return loss
