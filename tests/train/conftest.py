"""Tiny synthetic data and models for the training tests (torch engine, CPU, milliseconds)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _blobs(n: int = 96, features: int = 6, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: easy to learn, so a few epochs reduce the loss clearly."""
    centers = np.random.default_rng(1234).normal(scale=2.0, size=(classes, features))  # one task for every seed
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    x = (centers[y] + rng.normal(size=(n, features))).astype(np.float32)
    return x, y.astype(np.int64)


def _mlp(seed: int = 0, features: int = 6, classes: int = 3, hidden: int = 16, dropout: float = 0.0):
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(features, hidden), torch.nn.ReLU()]
    if dropout:
        layers.append(torch.nn.Dropout(dropout))
    layers.append(torch.nn.Linear(hidden, classes))
    return torch.nn.Sequential(*layers)


@pytest.fixture
def blobs():
    """Factory: blobs(n=96, features=6, classes=3, seed=0) -> (x float32, y int64)."""
    return _blobs


@pytest.fixture
def mlp():
    """Factory: mlp(seed=0, features=6, classes=3, hidden=16, dropout=0.0) -> torch model."""
    return _mlp


def weights_of(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


@pytest.fixture
def snapshot():
    """weights_of(model) -> {name: array copy}."""
    return weights_of
