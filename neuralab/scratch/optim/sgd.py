"""Stochastic gradient descent with momentum, dampening, Nesterov, weight decay, maximize.

Same update, in the same order, as torch's single-tensor SGD:
    g = grad (+ weight_decay * p);  buf = momentum * buf + (1 - dampening) * g
    g = g + momentum * buf (nesterov) or buf;  p += -lr * g
"""

from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from .optimizer import WORKSPACE_FROM, Optimizer


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
            "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
            "differentiable": differentiable, "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter that has a gradient."""
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            if not (maximize or weight_decay or momentum):  # plain SGD: p += -lr * g, fewer checks per tensor
                neg_lr = None  # -lr as a 0-dim array of the parameters' dtype: same bits, cheaper operand (see literal)
                for p in group["params"]:
                    g = p._grad
                    if g is not None:
                        data = p._data
                        if neg_lr is None or neg_lr.dtype is not data.dtype:
                            neg_lr = np.array(-lr, dtype=data.dtype)
                        data += np.multiply(g, neg_lr, out=None if data.size < WORKSPACE_FROM else self._workspace(data, 1)[0])
                continue
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                data = p._data
                w_step, w_grad = self._workspace(data, 2)
                if maximize:
                    g = np.negative(g, out=w_grad)
                if weight_decay != 0:
                    g = np.add(g, np.multiply(data, weight_decay, out=w_step), out=w_grad)
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = _wrap(np.array(g, copy=True))
                        b = buf._data
                    else:
                        b = buf._data
                        b *= momentum
                        if dampening == 0:
                            b += g
                        else:
                            b += np.multiply(g, 1 - dampening, out=w_step)
                    if nesterov:
                        g = np.add(g, np.multiply(b, momentum, out=w_step), out=w_grad)
                    else:
                        g = b
                data += np.multiply(g, -lr, out=w_step)
        return loss
