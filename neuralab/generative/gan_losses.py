"""GAN losses, written against the engine module ``T``.

The discriminator (critic) returns raw scores ``(N, 1)``: logits for the standard GAN
(the sigmoid lives in the loss, numerically stable), unbounded scores for WGAN.

Standard GAN (Goodfellow et al. 2014) with the non-saturating generator loss:
    L_D = -E[log D(x)] - E[log(1 - D(G(z)))]        D = sigmoid(logit)
    L_G = -E[log D(G(z))]                            (strong gradients when D wins)
    L_G = E[log(1 - D(G(z)))]                        (the saturating minimax form)
WGAN-GP (Gulrajani et al. 2017):
    L_C = E[C(G(z))] - E[C(x)] + lambda E[(||grad C(x_hat)||_2 - 1)^2]
    L_G = -E[C(G(z))]
    x_hat = a x + (1 - a) G(z),  a ~ U(0, 1) per sample
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable


def discriminator_loss(T: ModuleType, real_logits, fake_logits, real_label: float = 1.0):
    """Binary cross-entropy: real samples towards ``real_label`` (1, or 0.9 for one-sided
    label smoothing), generated samples towards 0."""
    F = T.nn.functional
    real = F.binary_cross_entropy_with_logits(real_logits, T.full_like(real_logits, real_label))
    fake = F.binary_cross_entropy_with_logits(fake_logits, T.zeros_like(fake_logits))
    return real + fake


def generator_loss(T: ModuleType, fake_logits):
    """Non-saturating generator loss ``-E[log D(G(z))]``."""
    return T.nn.functional.binary_cross_entropy_with_logits(fake_logits, T.ones_like(fake_logits))


def saturating_generator_loss(T: ModuleType, fake_logits):
    """Goodfellow's minimax generator loss ``E[log(1 - D(G(z)))]``: its gradient vanishes
    where D confidently rejects the samples, which is why the non-saturating form is used."""
    return -T.nn.functional.binary_cross_entropy_with_logits(fake_logits, T.zeros_like(fake_logits))


def critic_loss(real_scores, fake_scores):
    """Wasserstein critic loss ``E[C(G(z))] - E[C(x)]`` (the penalty is added separately)."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores):
    """Wasserstein generator loss ``-E[C(G(z))]``."""
    return -fake_scores.mean()


def gradient_penalty(T: ModuleType, critic: Callable[[Any], Any], real, fake, mix):
    """``E[(||grad_x C(x_hat)||_2 - 1)^2]`` at ``x_hat = mix * real + (1 - mix) * fake``.

    ``real``, ``fake``: ``(N, D)`` or images ``(N, C, H, W)``; ``mix``: ``(N, 1)`` (``(N, 1, 1, 1)``
    for images) in [0, 1]. The norm is over all of one sample's values. The gradient keeps its
    graph (``create_graph=True``) so the penalty trains the critic.
    """
    points = (mix * real + (1 - mix) * fake.detach()).detach().requires_grad_(True)
    scores = critic(points)
    (grads,) = T.autograd.grad(scores.sum(), points, create_graph=True)
    norms = (grads.reshape(grads.shape[0], -1).pow(2).sum(dim=1) + 1e-12).sqrt()
    return ((norms - 1) ** 2).mean()
