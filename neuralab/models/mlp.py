"""Multi-layer perceptron: the curriculum's dense networks.

``sizes=(784, 128, 10)`` is the 000 overview's MNIST net (101,770 parameters);
``sizes=(784, 256, 10)`` is 003's ``SimpleNN`` (203,530 parameters).

    x: (N, *input_shape) -> flatten -> (N, sizes[0])
    h_k = act(W_k h_{k-1} + b_k)       for every hidden layer
    logits = W_L h_{L-1} + b_L         (N, sizes[-1]); softmax lives in the loss
"""

from __future__ import annotations

from types import ModuleType

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu", "elu", "silu")


def activation_module(T: ModuleType, name: str):
    """The ``T.nn`` module for an activation name (shared by every model)."""
    modules = {
        "relu": T.nn.ReLU, "tanh": T.nn.Tanh, "sigmoid": T.nn.Sigmoid, "gelu": T.nn.GELU,
        "leaky_relu": T.nn.LeakyReLU, "elu": T.nn.ELU, "silu": T.nn.SiLU,
    }
    if name not in modules:
        raise ValueError(f"unknown activation {name!r}: expected one of {ACTIVATIONS}")
    return modules[name]()


def build(T: ModuleType, sizes=(784, 128, 10), activation: str = "relu", dropout: float = 0.0):
    """Flatten, then Linear -> activation (-> Dropout) for each hidden layer, then Linear.

    Args:
        sizes: layer widths, input first and classes last; at least two entries.
        activation: hidden non-linearity, one of ``ACTIVATIONS``.
        dropout: drop probability after each hidden activation (0 disables it).
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"mlp sizes must list at least an input and an output width >= 1; got {sizes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp dropout must be in [0, 1); got {dropout}")
    layers = [T.nn.Flatten()]
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [T.nn.Linear(fan_in, fan_out), activation_module(T, activation)]
        if dropout:
            layers.append(T.nn.Dropout(dropout))
    layers.append(T.nn.Linear(sizes[-2], sizes[-1]))
    return T.nn.Sequential(*layers)
