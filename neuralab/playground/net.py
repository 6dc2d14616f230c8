"""The network of the network playground, written against the engine module ``T``.

    features: (N, 2) points -> (N, F) chosen features (x1, x2, x1^2, x2^2, x1 x2, sin, cos)
    h_k = act_k(norm_k(W_k h_{k-1} + b_k))  [dropout]  [+ h_{k-1} when residual and widths match]
    z = W_out h_L + b_out                     (N, outputs): raw scores
    output = tanh(z) | z | sigmoid(z) | softmax(z)   (the playground's output activation)

This file needs only NumPy, safetensors and ``neuralab.engines``, so ``export()`` ships it
unchanged as ``model.py``: ``python model.py points.json`` (a JSON list of [x1, x2]) rebuilds
the net from ``model.json`` beside it, loads ``model.safetensors`` and prints the outputs
as JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

# TF Playground's inputs in its order, then ours (cosX, cosY).
FEATURES = {
    "x": lambda a, b: a, "y": lambda a, b: b, "xSquared": lambda a, b: a * a, "ySquared": lambda a, b: b * b,
    "xTimesY": lambda a, b: a * b, "sinX": lambda a, b: np.sin(a), "sinY": lambda a, b: np.sin(b),
    "cosX": lambda a, b: np.cos(a), "cosY": lambda a, b: np.cos(b),
}
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leaky_relu", "gelu")
OUTPUT_ACTIVATIONS = ("tanh", "linear", "sigmoid", "softmax")


def feature_matrix(points: np.ndarray, names) -> np.ndarray:
    """float32 ``(N, len(names))``: each named feature of the points ``(N, 2)``."""
    points = np.asarray(points, dtype=np.float64)
    return np.stack([FEATURES[name](points[:, 0], points[:, 1]) for name in names], 1).astype(np.float32)


def _activation(T: ModuleType, name: str):
    modules = {"tanh": T.nn.Tanh, "relu": T.nn.ReLU, "sigmoid": T.nn.Sigmoid, "linear": T.nn.Identity,
               "leaky_relu": T.nn.LeakyReLU, "gelu": T.nn.GELU}
    return modules[name]()


def build(T: ModuleType, inputs: int, widths, activations, outputs: int, output_activation: str = "tanh",
          dropout: float = 0.0, batch_norm: bool = False, residual: bool = False):
    """The playground net: ``inputs`` features -> hidden ``widths`` (one activation each) -> ``outputs``.

    Args:
        activations: one name of ``ACTIVATIONS`` per hidden layer.
        output_activation: how ``predict`` turns raw scores into the shown output.
        dropout: drop probability after each hidden activation.
        batch_norm: BatchNorm1d between each hidden Linear and its activation.
        residual: add a hidden layer's input to its output where both widths are equal.
    """
    widths, activations = [int(w) for w in widths], list(activations)
    if len(widths) != len(activations):
        raise ValueError(f"one activation per hidden layer: {len(widths)} layers, {len(activations)} activations")

    class HiddenLayer(T.nn.Module):
        def __init__(self, fan_in: int, width: int, activation: str):
            super().__init__()
            self.linear = T.nn.Linear(fan_in, width)
            self.norm = T.nn.BatchNorm1d(width) if batch_norm else None
            self.activation = _activation(T, activation)
            self.dropout = T.nn.Dropout(dropout) if dropout else None
            self.residual = residual and fan_in == width

        def forward(self, x):
            h = self.linear(x)
            if self.norm is not None:
                h = self.norm(h)
            h = self.activation(h)
            if self.dropout is not None:
                h = self.dropout(h)
            return h + x if self.residual else h

    class PlaygroundNet(T.nn.Module):
        def __init__(self):
            super().__init__()
            fans = [inputs] + widths
            self.hidden = T.nn.ModuleList([HiddenLayer(a, b, act) for a, b, act in zip(fans, widths, activations)])
            self.head = T.nn.Linear(fans[-1], outputs)
            self.output_activation = output_activation

        def forward(self, x):
            for layer in self.hidden:
                x = layer(x)
            return self.head(x)

        def activate(self, z):
            """The shown output of raw scores ``z``."""
            if self.output_activation == "tanh":
                return T.tanh(z)
            if self.output_activation == "sigmoid":
                return T.sigmoid(z)
            if self.output_activation == "softmax":
                return T.softmax(z, dim=1)
            return z

        def layer_outputs(self, x):
            """Every hidden layer's output, then the shown output: a list of ``(N, width)``."""
            outputs = []
            for layer in self.hidden:
                x = layer(x)
                outputs.append(x)
            outputs.append(self.activate(self.head(x)))
            return outputs

        def predict(self, x):
            return self.activate(self(x))

    return PlaygroundNet()


def linears(net) -> list:
    """The Linear layers in order (inputs -> first hidden, ..., last hidden -> output)."""
    return [layer.linear for layer in net.hidden] + [net.head]


def from_config(T: ModuleType, config: dict):
    """The net described by a ``model.json`` config."""
    return build(T, len(config["features"]), config["widths"], config["activations"], config["outputs"],
                 config["output_activation"], config["dropout"], config["batch_norm"], config["residual"])


def load(T: ModuleType, folder) -> tuple:
    """``(net, config)`` rebuilt from ``folder/model.json`` with ``folder/model.safetensors`` loaded
    (refused when the tensors are not the ones the JSON names by SHA-256)."""
    from safetensors.numpy import load  # the export format; never pickle

    folder = Path(folder)
    config = json.loads((folder / "model.json").read_text())
    tensors = (folder / "model.safetensors").read_bytes()
    if "safetensors_sha256" in config and hashlib.sha256(tensors).hexdigest() != config["safetensors_sha256"]:
        raise ValueError(f"{folder / 'model.safetensors'} is not the file {folder / 'model.json'} was written with "
                         "(SHA-256 differs): export both again")
    net = from_config(T, config)
    state = {key: T.from_numpy(np.array(value, order="C")) for key, value in load(tensors).items()}
    net.load_state_dict(state)
    net.eval()
    return net, config


def predict_points(T: ModuleType, net, config: dict, points) -> np.ndarray:
    """The shown output ``(N, outputs)`` at points ``(N, 2)``."""
    with T.no_grad():
        return net.predict(T.from_numpy(feature_matrix(points, config["features"]))).numpy()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run the exported playground network on points.")
    parser.add_argument("points", help="JSON file with a list of [x1, x2] points")
    parser.add_argument("--engine", default="scratch", choices=("scratch", "torch"))
    args = parser.parse_args(argv)
    from neuralab import engines

    T = engines.get(args.engine)
    net, config = load(T, Path(__file__).resolve().parent)
    points = np.asarray(json.loads(Path(args.points).read_text()), dtype=np.float64).reshape(-1, 2)
    json.dump(predict_points(T, net, config, points).tolist(), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
