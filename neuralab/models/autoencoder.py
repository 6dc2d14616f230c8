"""A dense autoencoder: encoder to a small code, mirrored decoder back to the input shape.

    x: (N, *input_shape) -> flatten -> [Linear -> act] for each hidden width -> Linear -> code (N, latent)
    code -> [Linear -> act] for each hidden width, reversed -> Linear -> output act -> (N, *input_shape)

``hidden=()`` gives the curriculum's 256 -> 32 -> 256 (A5). A sigmoid output keeps pixels
in [0, 1] and pairs with binary cross-entropy (the fix of D10).
"""

from __future__ import annotations

import math
from types import ModuleType

from neuralab.models.mlp import activation_module

OUTPUTS = ("sigmoid", "linear")


def dense_stack(T: ModuleType, sizes, activation: str = "relu") -> list:
    """``[Linear -> act] * (len(sizes) - 2) -> Linear`` through ``sizes`` (no activation at the end)."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [T.nn.Linear(fan_in, fan_out), activation_module(T, activation)]
    layers.append(T.nn.Linear(sizes[-2], sizes[-1]))
    return layers


def build(T: ModuleType, input_shape=(1, 16, 16), hidden=(128,), latent: int = 32, activation: str = "relu",
          output: str = "sigmoid"):
    """``model(x)`` reconstructs ``x``; ``model.encoder(x)`` gives the code, ``model.decoder(code)`` the image.

    Args:
        input_shape: shape of one input, e.g. ``(1, 16, 16)``.
        hidden: widths of the encoder's hidden layers (the decoder mirrors them).
        latent: size of the code.
        activation: hidden non-linearity (see ``neuralab.models.mlp.ACTIVATIONS``).
        output: ``"sigmoid"`` (pixels in [0, 1]) or ``"linear"``.
    """
    input_shape = tuple(int(s) for s in input_shape)
    if output not in OUTPUTS:
        raise ValueError(f"autoencoder output must be one of {OUTPUTS}; got {output!r}")
    if latent < 1 or any(int(h) < 1 for h in hidden):
        raise ValueError(f"autoencoder widths must be >= 1; got hidden={list(hidden)}, latent={latent}")
    widths = [math.prod(input_shape), *(int(h) for h in hidden), int(latent)]

    class Autoencoder(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = T.nn.Sequential(T.nn.Flatten(), *dense_stack(T, widths, activation))
            tail = [T.nn.Sigmoid()] if output == "sigmoid" else []
            self.decoder = T.nn.Sequential(*dense_stack(T, widths[::-1], activation), *tail, T.nn.Unflatten(1, input_shape))

        def forward(self, x):
            return self.decoder(self.encoder(x))

    return Autoencoder()
