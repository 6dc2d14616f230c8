"""A dense variational autoencoder: Gaussian encoder, Bernoulli decoder (see ``neuralab.generative.vae``).

    x: (N, *input_shape) -> flatten -> [Linear -> act] per hidden width -> Linear -> (mu, logvar), each (N, latent)
    z: (N, latent) -> [Linear -> act] per hidden width, reversed -> Linear -> logits (N, *input_shape)

With ``channels`` (e.g. ``[32, 64]``) a convolutional front end comes first: one Conv 4x4/2 ->
act per entry (28x28 -> 14x14 -> 7x7), then the dense layers as above; the decoder mirrors it
with ConvTranspose 4x4/2, the last one giving the logits. Convolutions draw strokes locally,
so decoded prior samples are sharper digits than a dense decoder's.

The decoder returns logits (the loss takes them directly); ``model(x)`` returns
``(sigmoid(logits), mu, logvar)`` with z = mu, i.e. the mean reconstruction, for figures.
"""

from __future__ import annotations

import math
from types import ModuleType

from neuralab.models.autoencoder import dense_stack
from neuralab.models.mlp import activation_module


def build(T: ModuleType, input_shape=(1, 28, 28), hidden=(512, 256), latent: int = 32, activation: str = "relu",
          channels=()):
    """``model.encode(x) -> (mu, logvar)``, ``model.decode(z) -> logits``; ``model(x)`` as above.

    Args:
        input_shape: shape of one input, e.g. ``(1, 28, 28)``.
        hidden: widths of the encoder's hidden layers (the decoder mirrors them).
        latent: size of z.
        activation: hidden non-linearity (see ``neuralab.models.mlp.ACTIVATIONS``).
        channels: channels of the convolutional front end, one stride-2 conv each (empty: dense only).
    """
    input_shape, channels = tuple(int(s) for s in input_shape), [int(c) for c in channels]
    if latent < 1 or any(int(h) < 1 for h in hidden) or any(c < 1 for c in channels):
        raise ValueError(f"vae widths must be >= 1; got hidden={list(hidden)}, latent={latent}, channels={channels}")
    scale = 2 ** len(channels)
    if any(side % scale for side in input_shape[1:]):
        raise ValueError(f"vae with {len(channels)} stride-2 convs needs image sides divisible by {scale}; got {input_shape}")
    # The shape the dense layers see: the input, or the last conv's feature maps.
    inner = input_shape if not channels else (channels[-1], *(side // scale for side in input_shape[1:]))
    widths = [math.prod(inner), *(int(h) for h in hidden)]
    act = lambda: activation_module(T, activation)  # noqa: E731
    maps = [input_shape[0], *channels]
    convs = [layer for fan_in, fan_out in zip(maps[:-1], maps[1:]) for layer in (T.nn.Conv2d(fan_in, fan_out, 4, 2, 1), act())]
    deconvs = [layer for fan_in, fan_out in zip(maps[:0:-1], maps[-2::-1])
               for layer in (act(), T.nn.ConvTranspose2d(fan_in, fan_out, 4, 2, 1))]

    class VAE(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.latent = int(latent)
            # One head gives mu and logvar side by side: (N, 2 * latent).
            self.encoder = T.nn.Sequential(*convs, T.nn.Flatten(), *dense_stack(T, [*widths, 2 * self.latent], activation))
            self.decoder = T.nn.Sequential(*dense_stack(T, [self.latent, *widths[::-1]], activation),
                                           T.nn.Unflatten(1, inner), *deconvs)

        def encode(self, x):
            stats = self.encoder(x)
            return stats[:, :self.latent], stats[:, self.latent:]

        def decode(self, z):
            return self.decoder(z)

        def forward(self, x):
            mu, logvar = self.encode(x)
            return T.sigmoid(self.decode(mu)), mu, logvar

    return VAE()
