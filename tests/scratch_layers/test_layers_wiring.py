"""The layers are importable the torch way: ``T.nn.Conv2d``, ``T.nn.functional.conv2d``,
``from neuralab.scratch.nn import LSTM`` ... and are the objects of our module files."""

from __future__ import annotations

import importlib

import pytest
import torch

import neuralab.scratch as T

MODULES = {
    "conv": ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"],
    "pooling": ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"],
    "normalization": ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm"],
    "sparse": ["Embedding"],
    "dropout_nd": ["Dropout1d", "Dropout2d", "Dropout3d"],
    "upsampling": ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"],
    "rnn": ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase"],
    "attention": ["MultiheadAttention"],
    "transformer": ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
                    "TransformerDecoderLayer"],
}
FUNCTIONS = {
    "conv": ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"],
    "pool": ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"],
    "norm": ["batch_norm", "layer_norm", "group_norm"],
    "embedding": ["embedding"],
    "dropout_nd": ["dropout1d", "dropout2d", "dropout3d"],
    "resize": ["pad", "interpolate"],
    "attention": ["scaled_dot_product_attention"],
}


@pytest.mark.parametrize("module, names", MODULES.items())
def test_modules_exported(module, names):
    mod = importlib.import_module(f"neuralab.scratch.nn.modules.{module}")
    nn = importlib.import_module("neuralab.scratch.nn")
    for name in names:
        assert getattr(T.nn, name) is getattr(mod, name) is getattr(nn, name)
        assert hasattr(torch.nn, name), name      # a torch name, same spelling


@pytest.mark.parametrize("module, names", FUNCTIONS.items())
def test_functionals_exported(module, names):
    mod = importlib.import_module(f"neuralab.scratch.ops.{module}")
    F = importlib.import_module("neuralab.scratch.nn.functional")
    for name in names:
        assert getattr(T.nn.functional, name) is getattr(mod, name) is getattr(F, name)
        assert hasattr(torch.nn.functional, name), name


def test_mnist_cnn_model_builds_and_trains_on_scratch():
    from neuralab.models import cnn
    T.manual_seed(0)
    model = cnn.build(T, channels=(8, 16), hidden=32)
    opt = T.optim.Adam(model.parameters(), lr=1e-2)
    x, y = T.randn(16, 1, 28, 28), T.randint(0, 10, (16,))
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = T.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    model.eval()
    assert tuple(model(x).shape) == (16, 10)
    tmodel = cnn.build(torch, channels=(8, 16), hidden=32)
    assert list(model.state_dict()) == list(tmodel.state_dict())
