"""Fixtures shared by the generative tests."""

from __future__ import annotations

import pytest
import torch

from neuralab import models
from neuralab.generative import fid

TINY_NET = {"channels": [4], "hidden": 8, "dropout": 0.0}


@pytest.fixture
def patched_feature_net(monkeypatch):
    """``fid.load_feature_net`` returns a tiny random net: nothing is trained or cached."""
    torch.manual_seed(0)
    net = models.build("cnn", torch, **TINY_NET).eval()
    monkeypatch.setattr(fid, "load_feature_net", lambda T=None: (net, {"test_accuracy": 0.1}))
    return net
