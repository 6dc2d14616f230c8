"""Looking inside an image classifier on one input: class probabilities, the first layer's
feature maps and a saliency map.

The model is any ``T.nn.Sequential`` classifier of this package (``models/cnn.py``,
``models/mlp.py``) on either engine, in eval mode; ``x`` is one prepared input ``(C, H, W)``
(the run's standardization already applied).

* probabilities ``p = softmax(f(x))``, ``(K,)``;
* feature maps: the output of the first layers up to the first nonlinearity, ``a_1(x)``:
  ``(C_1, H, W)`` for a CNN (one map per filter); for an MLP ``(H_1,)``, shown as the
  first Linear's weight rows ``W_1[j]`` reshaped to the image (each hidden unit's template),
  ranked by ``|a_1j|``;
* saliency ``|d f_c(x) / d x|`` for the top class ``c`` (the logit, not the probability,
  so a confident class keeps a visible gradient), summed over channels: ``(H, W)``,
  scaled to [0, 1].

The scratch engine keeps its grad mode in one process-wide flag: a caller that runs this
beside other scratch computations in other threads must hold the lock they share.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from neuralab.train.metrics import softmax

NONLINEAR = ("ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "ELU", "SiLU")
MAX_MAPS = 32


def _tensor(T: ModuleType, x: np.ndarray, *, grad: bool = False):
    tensor = T.from_numpy(np.ascontiguousarray(x[None], dtype=np.float32))
    if grad:
        tensor.requires_grad_(True)
    return tensor


def _numpy(tensor) -> np.ndarray:
    return np.asarray(tensor.detach().cpu().numpy() if hasattr(tensor, "cpu") else tensor.detach().numpy())


def probabilities(T: ModuleType, model, x: np.ndarray) -> np.ndarray:
    """``softmax(f(x))``: ``(K,)`` float64 summing to 1."""
    with T.no_grad():
        logits = _numpy(model(_tensor(T, x)))[0]
    return softmax(logits)


def _first_block(model) -> tuple[list, Any]:
    """The layers up to and including the first nonlinearity, and the first weighted layer."""
    layers, first = [], None
    for layer in model:
        layers.append(layer)
        name = type(layer).__name__
        if first is None and hasattr(layer, "weight") and name in ("Conv2d", "Linear"):
            first = layer
        if name in NONLINEAR and first is not None:
            return layers, first
    raise ValueError(f"the model has no weighted layer followed by a nonlinearity: {[type(l).__name__ for l in model]}")


def feature_maps(T: ModuleType, model, x: np.ndarray, limit: int = MAX_MAPS) -> dict[str, Any]:
    """The first layer's view of ``x``: ``{"kind": "conv", "maps": (M, H, W), "index": [...]}`` (the ``limit``
    most active filters, by mean activation) or, for a dense first layer, ``{"kind": "dense", "maps":
    (M, H, W)`` weight templates of the most active units, ``"activation": (M,)``}``."""
    layers, first = _first_block(model)
    with T.no_grad():
        out = _tensor(T, x)
        for layer in layers:
            out = layer(out)
        activation = _numpy(out)[0]
    return _maps(activation, first, x, limit)


def _maps(activation: np.ndarray, first, x: np.ndarray, limit: int) -> dict[str, Any]:
    if activation.ndim == 3:  # (C1, H, W): one map per filter
        order = np.argsort(-activation.mean(axis=(1, 2)), kind="stable")[:limit]
        return {"kind": "conv", "maps": activation[order], "index": order.tolist()}
    order = np.argsort(-np.abs(activation), kind="stable")[:limit]
    weights = _numpy(first.weight)[order]  # (M, C*H*W): each unit's template; the first channel is shown
    return {"kind": "dense", "maps": weights.reshape(len(order), -1, *x.shape[-2:])[:, 0], "index": order.tolist(),
            "activation": activation[order]}


def saliency(T: ModuleType, model, x: np.ndarray, label: int | None = None) -> tuple[np.ndarray, int]:
    """``|d f_c / d x|`` summed over channels and scaled to [0, 1], ``(H, W)``, and the class ``c``
    (the top class unless ``label`` is given)."""
    with T.enable_grad():
        tensor = _tensor(T, x, grad=True)
        logits = model(tensor)
        c = int(np.argmax(_numpy(logits)[0])) if label is None else int(label)
        logits[0, c].backward()
        gradient = np.abs(_numpy(tensor.grad)[0])
    gradient = gradient.reshape(-1, *x.shape[-2:]).sum(axis=0)
    peak = float(gradient.max())
    return (gradient / peak if peak > 0 else gradient).astype(np.float32), c


def look(T: ModuleType, model, x: np.ndarray, limit: int = MAX_MAPS) -> dict[str, Any]:
    """``probabilities``, ``feature_maps`` and ``saliency`` of the top class from one forward and
    one backward pass (the layers run one by one, keeping the first block's output on the way):
    ``{"probabilities": (K,), "top": c, "maps": feature_maps(...), "saliency": (H, W)}``."""
    layers, first = _first_block(model)
    with T.enable_grad():
        tensor = _tensor(T, x, grad=True)
        out = tensor
        for index, layer in enumerate(model):
            out = layer(out)
            if index == len(layers) - 1:
                activation = _numpy(out)[0]
        logits = _numpy(out)[0]
        c = int(np.argmax(logits))
        out[0, c].backward()
        gradient = np.abs(_numpy(tensor.grad)[0]).reshape(-1, *x.shape[-2:]).sum(axis=0)
    peak = float(gradient.max())
    return {"probabilities": softmax(logits), "top": c, "maps": _maps(activation, first, x, limit),
            "saliency": (gradient / peak if peak > 0 else gradient).astype(np.float32)}


def to_bytes(images: np.ndarray, *, symmetric: bool = False) -> np.ndarray:
    """Maps ``(..., H, W)`` to uint8 for drawing: each map scaled by its own range, to 0..255
    (``symmetric``: by its largest ``|value|``, 0 at 127.5, for weights)."""
    images = np.asarray(images, dtype=np.float64)
    flat = images.reshape(-1, *images.shape[-2:]) if images.ndim > 2 else images[None]
    out = np.empty(flat.shape, dtype=np.uint8)
    for i, image in enumerate(flat):
        if symmetric:
            scale = np.abs(image).max() or 1.0
            out[i] = np.round((image / scale + 1) * 127.5)
        else:
            low, high = image.min(), image.max()
            out[i] = np.round((image - low) / ((high - low) or 1.0) * 255)
    return out.reshape(images.shape)
