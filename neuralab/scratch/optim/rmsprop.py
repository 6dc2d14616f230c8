"""RMSprop (plain, centered, with momentum), as torch's single-tensor implementation:

    v = alpha * v + (1 - alpha) * g * g;  avg = sqrt(v - g_avg^2 if centered else v) + eps
    momentum: buf = momentum * buf + g / avg;  p -= lr * buf      else: p -= lr * g / avg
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .adam import lerp_
from .optimizer import Optimizer, scalar_step


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RMSprop update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            centered, maximize = group["centered"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                data = p._data
                st = state[p]
                if not st:
                    st["step"] = scalar_step()
                    st["square_avg"] = _wrap(np.zeros_like(data))
                    if momentum > 0:
                        st["momentum_buffer"] = _wrap(np.zeros_like(data))
                    if centered:
                        st["grad_avg"] = _wrap(np.zeros_like(data))
                w1, w2, w3 = self._workspace(data, 3)
                if maximize:
                    g = np.negative(g, out=w3)
                st["step"]._data += 1
                if weight_decay != 0:
                    g = np.add(g, np.multiply(data, weight_decay, out=w1), out=w3)
                v = st["square_avg"]._data
                v *= alpha
                sq = np.multiply(g, 1 - alpha, out=w1)
                sq *= g
                v += sq
                if centered:
                    ga = st["grad_avg"]._data
                    lerp_(ga, g, 1 - alpha, w1)
                    avg = np.multiply(ga, -1.0, out=w1)
                    avg *= ga
                    avg += v
                    np.sqrt(avg, out=avg)
                else:
                    avg = np.sqrt(v, out=w1)
                avg += eps
                if momentum > 0:
                    buf = st["momentum_buffer"]._data
                    buf *= momentum
                    buf += np.divide(g, avg, out=w2)
                    data += np.multiply(buf, -lr, out=w2)
                else:
                    update = np.multiply(g, -lr, out=w2)
                    update /= avg
                    data += update
        return loss
