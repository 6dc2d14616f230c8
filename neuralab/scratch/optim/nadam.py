"""NAdam (Dozat 2016: Adam with Nesterov momentum), as torch's single-tensor implementation.

The momentum coefficient warms up with ``momentum_decay`` (psi):

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi));   prod_t = mu_1 * ... * mu_t
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v / (1 - beta2^t)) + eps
    p -= lr * (1 - mu_t) / (1 - prod_t) * g / denom + lr * mu_{t+1} / (1 - prod_t * mu_{t+1}) * m / denom

``mu_product`` is a 0-dim state tensor of the scalar dtype (float32 by default), as in torch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .adam import lerp_
from .optimizer import Optimizer, check_options, descent_grad, scalar_step


class NAdam(Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One NAdam update of every parameter that has a gradient."""
        loss = self._closure(closure)
        for group, p, g, st in self._with_grads():
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, psi = group["weight_decay"], group["momentum_decay"]
            data = p._data
            if not st:
                st["step"] = scalar_step()
                st["mu_product"] = scalar_step(1.0)
                st["exp_avg"] = _wrap(np.zeros_like(data))
                st["exp_avg_sq"] = _wrap(np.zeros_like(data))
            step_t = st["step"]._data
            step_t += 1
            step = float(step_t)
            bias_correction2 = 1 - beta2 ** step
            if group["decoupled_weight_decay"]:
                data *= 1 - lr * weight_decay
                weight_decay = 0
            g = descent_grad(g, data, group["maximize"], weight_decay)
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * psi))
            mu_product = st["mu_product"]._data
            mu_product *= mu  # rounded to the state's dtype, as torch's tensor is
            prod = float(mu_product)
            m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
            lerp_(m, g, 1 - beta1, np.empty_like(m))
            v *= beta2
            v += (1 - beta2) * g * g
            denom = np.sqrt(v / bias_correction2)
            denom += eps
            data += (-lr * (1.0 - mu) / (1.0 - prod)) * (g / denom)
            data += ((-lr * mu_next) / (1.0 - prod * mu_next)) * (m / denom)
        return loss
