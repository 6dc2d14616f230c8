"""Variational autoencoder math (Kingma & Welling 2014), written against the engine module ``T``.

An encoder gives a diagonal Gaussian ``q(z | x) = N(mu, exp(logvar))``; the prior is
``p(z) = N(0, I)``; a decoder gives Bernoulli pixel probabilities ``sigmoid(logits)``. Per image::

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z))                  (a lower bound on log p(x))
    KL      = 1/2 * sum_j (mu_j^2 + exp(logvar_j) - logvar_j - 1)       (closed form, nats)
    -log p(x | z) = sum_pixels BCE(logits, x)                            (nats, one z sample)

The expectation is estimated with one sample ``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)``
(the reparameterization: z is a differentiable function of mu and logvar, the randomness sits in
eps). The loss is ``reconstruction + beta * KL``; ``beta = 1`` is the negative ELBO, reported in
nats per image. Everything is summed over pixels/latents and averaged over the batch.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, NamedTuple, Sequence

import numpy as np


class ElboTerms(NamedTuple):
    """Batch means, in nats per image: ``reconstruction`` (-log p(x|z), one sample) and ``kl``."""

    reconstruction: Any
    kl: Any

    def loss(self, beta: float = 1.0):
        """``reconstruction + beta * kl`` (the negative ELBO when ``beta == 1``)."""
        return self.reconstruction + beta * self.kl


def reparameterize(T: ModuleType, mu, logvar):
    """One sample ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``; gradients reach mu and logvar."""
    return mu + T.exp(0.5 * logvar) * T.randn_like(mu)


def gaussian_kl(mu, logvar):
    """``KL(N(mu, exp(logvar)) || N(0, I))`` per row, summed over the latent dims: ``(N, D) -> (N,)``."""
    return 0.5 * (mu * mu + logvar.exp() - logvar - 1.0).sum(1)


def bernoulli_nll(T: ModuleType, logits, x):
    """``-log p(x | logits)`` per image for Bernoulli pixels, summed over pixels: ``(N, ...) -> (N,)``.

    Computed from logits (stable: no log of a saturated sigmoid)."""
    per_pixel = T.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_pixel.reshape(per_pixel.shape[0], -1).sum(1)


def per_image_terms(T: ModuleType, model, x) -> tuple[Any, Any, Any]:
    """Encode ``x``, draw one z, decode: ``(-log p(x|z), KL, logits)``, the first two per image ``(N,)``.

    ``model.encode(x) -> (mu, logvar)`` and ``model.decode(z) -> logits`` shaped like ``x``."""
    mu, logvar = model.encode(x)
    logits = model.decode(reparameterize(T, mu, logvar))
    return bernoulli_nll(T, logits, x), gaussian_kl(mu, logvar), logits


def sampled_terms(T: ModuleType, model, x) -> tuple[Any, Any, Any, Any]:
    """One z ~ q(z|x) per image and what it costs: ``(-log p(x|z) (N,), z, mu, logvar)``, the last three
    ``(N, latent)``; for a prior with no closed-form KL (see :func:`monte_carlo_kl`)."""
    mu, logvar = model.encode(x)
    z = reparameterize(T, mu, logvar)
    return bernoulli_nll(T, model.decode(z), x), z, mu, logvar


def monte_carlo_kl(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """One-sample estimate of ``KL(q(z|x) || p(z))`` per row: ``log q(z|x) - log p(z)`` at the drawn z,
    with ``log q`` the diagonal Gaussian's log density and ``log_prior`` (N,) the prior's. Unbiased;
    averaged over a test set it is as good an estimate as the one-sample reconstruction term."""
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z - mu) ** 2 / np.exp(logvar)).sum(1)
    return log_q - log_prior


def elbo_terms(T: ModuleType, model, x) -> tuple[ElboTerms, Any]:
    """The batch means of ``per_image_terms`` and the decoder's logits."""
    reconstruction, kl, logits = per_image_terms(T, model, x)
    return ElboTerms(reconstruction.mean(), kl.mean()), logits


def binarize(images: np.ndarray, seed: int | Sequence[int] | None = 0) -> np.ndarray:
    """Binary images from grey levels in [0, 1] as float32.

    ``seed`` an integer (or a sequence of them): stochastic binarization, pixel ~ Bernoulli(grey level), the same draw for
    the same seed (the convention behind the published ~85-100 nat MNIST numbers).
    ``seed=None``: threshold at 0.5 (deterministic, and an easier data set: lower nats)."""
    images = np.asarray(images)
    if seed is None:
        return (images > 0.5).astype(np.float32)
    return (np.random.default_rng(seed).random(images.shape) < images).astype(np.float32)


class StochasticBinarize:
    """``augment(x_batch, rng)``: a fresh Bernoulli draw of each training batch every epoch
    (dynamic binarization: the model never sees the same binary image twice, which keeps it
    from overfitting the draw)."""

    def __call__(self, x_batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (rng.random(x_batch.shape) < x_batch).astype(np.float32)
