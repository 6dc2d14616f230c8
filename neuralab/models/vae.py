"""A dense variational autoencoder: Gaussian encoder, Bernoulli decoder (see ``neuralab.generative.vae``).

    x: (N, *input_shape) -> flatten -> [Linear -> act] per hidden width -> Linear -> (mu, logvar), each (N, latent)
    z: (N, latent) -> [Linear -> act] per hidden width, reversed -> Linear -> logits (N, *input_shape)

The decoder returns logits (the loss takes them directly); ``model(x)`` returns
``(sigmoid(logits), mu, logvar)`` with z = mu, i.e. the mean reconstruction, for figures.
"""

from __future__ import annotations

import math
from types import ModuleType

from neuralab.models.autoencoder import dense_stack


def build(T: ModuleType, input_shape=(1, 28, 28), hidden=(512, 256), latent: int = 32, activation: str = "relu"):
    """``model.encode(x) -> (mu, logvar)``, ``model.decode(z) -> logits``; ``model(x)`` as above.

    Args:
        input_shape: shape of one input, e.g. ``(1, 28, 28)``.
        hidden: widths of the encoder's hidden layers (the decoder mirrors them).
        latent: size of z.
        activation: hidden non-linearity (see ``neuralab.models.mlp.ACTIVATIONS``).
    """
    input_shape = tuple(int(s) for s in input_shape)
    if latent < 1 or any(int(h) < 1 for h in hidden):
        raise ValueError(f"vae widths must be >= 1; got hidden={list(hidden)}, latent={latent}")
    widths = [math.prod(input_shape), *(int(h) for h in hidden)]

    class VAE(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.latent = int(latent)
            # One head gives mu and logvar side by side: (N, 2 * latent).
            self.encoder = T.nn.Sequential(T.nn.Flatten(), *dense_stack(T, [*widths, 2 * self.latent], activation))
            self.decoder = T.nn.Sequential(*dense_stack(T, [self.latent, *widths[::-1]], activation),
                                           T.nn.Unflatten(1, input_shape))

        def encode(self, x):
            stats = self.encoder(x)
            return stats[:, :self.latent], stats[:, self.latent:]

        def decode(self, z):
            return self.decoder(z)

        def forward(self, x):
            mu, logvar = self.encode(x)
            return T.sigmoid(self.decode(mu)), mu, logvar

    return VAE()
