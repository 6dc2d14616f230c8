"""Adam (and, with decoupled weight decay, AdamW), as torch's single-tensor implementation:

    step += 1;  g = grad (+ wd * p, or p *= 1 - lr * wd when decoupled)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v or max_v) / sqrt(1 - beta2^step) + eps
    p += -(lr / (1 - beta1^step)) * m / denom
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer, check_options, scalar_step


def lerp_(target: np.ndarray, end: np.ndarray, weight: float, work: np.ndarray) -> None:
    """In-place ``target = lerp(target, end, weight)`` with torch's two-branch formula."""
    diff = np.subtract(end, target, out=work)
    if weight < 0.5:
        diff *= weight
        target += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=target)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_options(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
            "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One Adam update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                data = p._data
                st = state[p]
                if not st:
                    st["step"] = scalar_step()
                    st["exp_avg"] = _wrap(np.zeros_like(data))
                    st["exp_avg_sq"] = _wrap(np.zeros_like(data))
                    if amsgrad:
                        st["max_exp_avg_sq"] = _wrap(np.zeros_like(data))
                w1, w2, w3 = self._workspace(data, 3)
                if maximize:
                    g = np.negative(g, out=w3)
                step_t = st["step"]._data
                step_t += 1
                if weight_decay != 0:
                    if decoupled:
                        data *= 1 - lr * weight_decay
                    else:
                        g = np.add(g, np.multiply(data, weight_decay, out=w1), out=w3)
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                lerp_(m, g, 1 - beta1, w1)
                v *= beta2
                sq = np.multiply(g, 1 - beta2, out=w1)
                sq *= g
                v += sq
                step = float(step_t)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    vmax = st["max_exp_avg_sq"]._data
                    np.maximum(vmax, v, out=vmax)
                    denom = np.sqrt(vmax, out=w1)
                else:
                    denom = np.sqrt(v, out=w1)
                denom /= bias_correction2_sqrt
                denom += eps
                update = np.multiply(m, -step_size, out=w2)
                update /= denom
                data += update
        return loss
