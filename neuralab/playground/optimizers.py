"""The playgrounds' optimizers by name: ``sgd``, ``momentum`` (SGD with momentum), ``adam``."""

from __future__ import annotations

OPTIMIZERS = ("sgd", "momentum", "adam")
# Adam's usual GAN setting (Radford et al. 2016): a shorter memory of the gradient's mean,
# for losses whose landscape moves under the optimizer (GANs; diffusion's defaults were measured with it)
SHORT_MEMORY_BETAS = (0.5, 0.999)


def make_optimizer(T, name: str, params, lr: float, *, momentum: float = 0.9, betas=(0.9, 0.999)):
    """The engine's optimizer ``name`` over ``params``."""
    if name == "adam":
        return T.optim.Adam(params, lr=lr, betas=tuple(betas))
    return T.optim.SGD(params, lr=lr, momentum=momentum if name == "momentum" else 0.0)


def set_lr(optimizer, lr: float) -> None:
    """A live learning-rate change: the optimizer's state (momentum, Adam moments) is kept."""
    for group in optimizer.param_groups:
        group["lr"] = lr
