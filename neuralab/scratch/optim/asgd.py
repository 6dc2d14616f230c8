"""Averaged SGD (Polyak & Juditsky 1992), as torch's single-tensor implementation:

    p *= 1 - lambd * eta;  p -= eta * g                 (decayed SGD step)
    ax = p if mu == 1 else ax + mu * (p - ax)           (the running average of the iterates)
    eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)

``eta`` and ``mu`` are 0-dim state tensors of the scalar dtype (float32 by default), as in
torch, so the step sizes are rounded the same way.  The average lives in ``state["ax"]``.
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import Optimizer, check_options, descent_grad, scalar_step


class ASGD(Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_options(lr=lr, weight_decay=weight_decay)
        defaults = {
            "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One ASGD update of every parameter that has a gradient."""
        loss = self._closure(closure)
        scalar_dtype = scalar_step()._data.dtype
        for group, p, g, st in self._with_grads():
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            data = p._data
            if not st:
                st["step"] = scalar_step()
                st["eta"] = scalar_step(lr)
                st["mu"] = scalar_step(1.0)
                st["ax"] = _wrap(np.zeros_like(data))
            step_t = st["step"]._data
            step_t += 1
            g = descent_grad(g, data, group["maximize"], group["weight_decay"])
            eta, mu = st["eta"]._data, st["mu"]._data
            eta_value = float(eta)
            data *= 1 - lambd * eta_value
            data -= eta_value * g
            ax = st["ax"]._data
            if float(mu) != 1:
                ax += (data - ax) * mu
            else:
                np.copyto(ax, data)
            step = float(step_t)
            # torch builds the new values as default-dtype tensors first, then copies them in
            eta[...] = np.asarray(lr / ((1 + lambd * lr * step) ** alpha), dtype=scalar_dtype)
            mu[...] = np.asarray(1 / max(1, step - t0), dtype=scalar_dtype)
        return loss
