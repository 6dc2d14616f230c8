"""Adam (and, with decoupled weight decay, AdamW), as torch's single-tensor implementation:

    step += 1;  g = grad (+ wd * p, or p *= 1 - lr * wd when decoupled)
    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
    denom = sqrt(v or max_v) / sqrt(1 - beta2^step) + eps
    p += -(lr / (1 - beta1^step)) * m / denom
"""

from __future__ import annotations

import os

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
                step_t = st["step"]._data
                step_t += 1
                step = float(step_t)
                if weight_decay != 0 and decoupled:
                    data *= 1 - lr * weight_decay
                step_size = lr / (1 - beta1 ** step)
                scale = shift = factor = None  # lr 0 (a schedule's end): the moments move, the parameter stays
                if step_size != 0:
                    root = (1 - beta2 ** step) ** 0.5
                    if data.dtype.itemsize >= 4:  # -step_size folded into the denominator: one pass fewer
                        scale, shift = 1 / (root * -step_size), eps / -step_size
                    else:  # float16: that folded scale (~3e5 at lr 1e-5) would overflow
                        scale, shift, factor = 1 / root, eps, -step_size
                vmax = st["max_exp_avg_sq"]._data if amsgrad else None
                arrays = [data, g, st["exp_avg"]._data, st["exp_avg_sq"]._data, vmax, *self._workspace(data, 2)]
                for block in _blocks(arrays):
                    _update(*block, maximize=maximize, weight_decay=0 if decoupled else weight_decay,
                            beta1=beta1, beta2=beta2, scale=scale, shift=shift, factor=factor)
        return loss


def l2_cache_bytes(default: int = 0, root: str = "/sys/devices/system/cpu/cpu0/cache") -> int:
    """The L2 cache of this machine's first core in bytes, as Linux's sysfs gives it
    (``default`` where it does not: another OS, a container without the files)."""
    try:
        for entry in sorted(os.listdir(root)):
            with open(os.path.join(root, entry, "level")) as f:
                if f.read().strip() != "2":
                    continue
            with open(os.path.join(root, entry, "size")) as f:
                text = f.read().strip()                         # "512K", "2048K", "1M"
            scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:].upper(), 1)
            return int(text.rstrip("KMkm")) * scale
    except (OSError, ValueError):
        pass
    return default


BLOCK = 1 << 16  # elements: a block's seven arrays (1.8 MB in float32) stay in a 2 MB L2 cache
# Blocks only pay where the L2 holds one (float32): on an AMD EPYC Zen 3 (512 KB L2) the MLP's
# Adam step took 468-480 us in blocks of 64k against 445-454 us whole, and 547-556 us in blocks of
# 16k, which would fit (the calls cost more than the cache saves); on a Zen 4 (1 MB L2) 300-368 us
# whole against 332-394 in 64k and 349-364 in 32k; unknown cache size: whole
BLOCKED = l2_cache_bytes() >= 7 * 4 * BLOCK


def _blocks(arrays: list):
    """``arrays`` whole, or cut into matching flat blocks of ``BLOCK`` elements (None stays None).

    Adam makes a dozen passes over each parameter; on a large one every pass streams its
    arrays from L3 (or memory) again, while a block's arrays stay in the L2 cache for all
    of them: Adam's step on the 784-256-10 MLP's 203k parameters took 390 us instead of
    452 (Intel Xeon, 2 MB L2, one thread, blocks and the folded step together).  Blocks need
    every array laid out alike and contiguous; anything else, a small parameter, or an L2
    too small for a block (``BLOCKED`` False) goes whole.
    """
    first = arrays[0]
    present = [a for a in arrays if a is not None]
    if not BLOCKED or first.size <= 2 * BLOCK or not (first.flags.c_contiguous or first.flags.f_contiguous) or any(
            a.strides != first.strides for a in present):
        yield arrays
        return
    flat = [None if a is None else a.ravel(order="K") for a in arrays]
    for start in range(0, first.size, BLOCK):
        yield [None if a is None else a[start:start + BLOCK] for a in flat]


def _update(data, g, m, v, vmax, w1, w2, *, maximize, weight_decay, beta1, beta2, scale, shift, factor):
    """Adam's update of one parameter (or one block of it), in place; ``vmax`` None without amsgrad.

    ``w1``, ``w2``: scratch arrays like ``data`` (None: NumPy allocates).  The step is
    ``m / (sqrt(v) * scale + shift)``: torch's ``-step_size * m / (sqrt(v) / sqrt(bc2) + eps)``
    with ``-step_size`` folded into ``scale`` and ``shift``, one pass fewer over every element.
    In float16 the fold could overflow, so there ``factor`` (``-step_size``) multiplies after
    the division; ``scale`` None: lr is 0 and only the moments change.
    """
    if maximize:
        g = np.negative(g, out=w2)
    if weight_decay != 0:
        g = np.add(g, np.multiply(data, weight_decay, out=w1), out=w2)
    lerp_(m, g, 1 - beta1, w1)
    v *= beta2
    sq = np.multiply(g, 1 - beta2, out=w1)
    sq *= g
    v += sq
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    if scale is None:
        return
    denom = np.sqrt(v, out=w1)
    denom *= scale
    denom += shift
    update = np.divide(m, denom, out=w2)
    if factor is not None:
        update *= factor
    data += update
