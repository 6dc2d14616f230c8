"""The default search space of each recipe for ``neuralab tune`` (``--space`` replaces it).

Each entry is a list of ``KEY=SPEC`` strings (syntax in ``neuralab/tune/space.py``) around the
recipe's own defaults: the learning rate over about a decade and a half on a log scale (the
peak for one-cycle recipes), the batch size, the regularisers the model has. A recipe not
listed gets :func:`derived_space`: its learning rate from a fifth to five times the default
and its batch size halved or doubled, which suits any task the Trainer fits.
"""

from __future__ import annotations

from typing import Any

_MNIST_MLP = ["optimizer.lr=log:3e-4:1e-2", "model.dropout=float:0:0.4", "train.batch_size=choice:64,128,256",
              "optimizer.weight_decay=choice:0,1e-5,1e-4"]
_CNN = ["optimizer.lr=log:1e-3:1e-2", "model.dropout=float:0:0.5", "train.batch_size=choice:64,128,256"]
_TOY_MLP = ["optimizer.lr=log:1e-3:1e-1", "train.batch_size=choice:16,32,64", "optimizer.weight_decay=choice:0,1e-4,1e-3"]

SEARCH_SPACES: dict[str, list[str]] = {
    "mnist-mlp": _MNIST_MLP,
    "mnist-simplenn": _MNIST_MLP,
    "mnist-cnn": _CNN,
    "fashion-cnn": _CNN,
    "iris-mlp": ["optimizer.lr=log:1e-3:1e-1", "train.batch_size=choice:8,16,32", "model.dropout=float:0:0.3"],
    "digits-mlp": ["optimizer.lr=log:3e-4:1e-2", "train.batch_size=choice:16,32,64", "model.dropout=float:0:0.4"],
    "xor-mlp": _TOY_MLP,
    "circles-mlp": _TOY_MLP,
    "spirals-mlp": _TOY_MLP,
    "shakespeare-lstm": ["optimizer.lr=log:1e-3:1e-2", "model.dropout=float:0:0.3"],
    "shakespeare-gru": ["optimizer.lr=log:1e-3:1e-2", "model.dropout=float:0:0.3"],
    "shakespeare-gpt-small": ["optimizer.lr=log:2e-3:2e-2", "model.dropout=float:0:0.2",
                              "optimizer.weight_decay=choice:0,0.01,0.1"],
}


def search_space(name: str, config: dict[str, Any]) -> list[str]:
    """The default ``KEY=SPEC`` list of recipe ``name`` whose resolved config is ``config``."""
    return list(SEARCH_SPACES.get(name) or derived_space(config))


def derived_space(config: dict[str, Any]) -> list[str]:
    """Learning rate in [lr/5, 5 lr] (log) and batch size in {b/2, b, 2b} around the config's own."""
    lr, batch = config["optimizer"]["lr"], config["train"]["batch_size"]
    batches = sorted({max(1, batch // 2), batch, batch * 2})
    return [f"optimizer.lr=log:{lr / 5:.3g}:{lr * 5:.3g}", "train.batch_size=choice:" + ",".join(map(str, batches))]
