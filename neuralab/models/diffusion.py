"""The noise predictor eps_theta(x_t, t) of a diffusion model on low-dimensional data.

    e = [sin(t w_1), ..., sin(t w_h), cos(t w_1), ..., cos(t w_h)]   w_k = 10000^(-k/h) * time_scale
    h_0 = act(W_x x_t + W_e e + b)                                   x_t: (N, data_dim), t: (N,) integer steps
    h_k = act(W_k h_{k-1} + b_k)          for the other hidden layers
    eps_hat = W_out h_L + b_out           (N, data_dim)

The sinusoidal embedding of the step (as in transformers' positions) lets one network
serve every noise level; it is fixed, not learned, and kept as a non-persistent buffer.
"""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np

from neuralab.models.mlp import activation_module


def sinusoidal_frequencies(size: int, time_scale: float = 1.0) -> np.ndarray:
    """The ``size // 2`` frequencies ``w_k`` of the step embedding (float32)."""
    half = size // 2
    return (time_scale * np.exp(-math.log(10000.0) * np.arange(half) / half)).astype(np.float32)


def build(T: ModuleType, data_dim: int = 2, hidden: int = 128, depth: int = 3, time_dim: int = 32,
          activation: str = "silu"):
    """An MLP noise predictor with a sinusoidal step embedding of ``time_dim`` numbers.

    Args:
        data_dim: size of one data point (2 for the toy sets).
        hidden, depth: width and number of hidden layers.
        time_dim: size of the step embedding (even).
        activation: hidden non-linearity (see ``neuralab.models.mlp.ACTIVATIONS``).
    """
    if min(data_dim, hidden, depth) < 1 or time_dim < 2 or time_dim % 2:
        raise ValueError(f"denoiser needs data_dim, hidden, depth >= 1 and an even time_dim >= 2; got "
                         f"{data_dim}, {hidden}, {depth}, {time_dim}")

    class Denoiser(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("frequencies", T.from_numpy(sinusoidal_frequencies(time_dim)), persistent=False)
            self.input = T.nn.Linear(data_dim + time_dim, hidden)
            layers = [activation_module(T, activation)]
            for _ in range(depth - 1):
                layers += [T.nn.Linear(hidden, hidden), activation_module(T, activation)]
            layers.append(T.nn.Linear(hidden, data_dim))
            self.body = T.nn.Sequential(*layers)

        def forward(self, x, t):
            angles = t.to(x.dtype).reshape(-1, 1) * self.frequencies.reshape(1, -1)
            embedding = T.cat([T.sin(angles), T.cos(angles)], dim=1)
            return self.body(self.input(T.cat([x, embedding], dim=1)))

    return Denoiser()
