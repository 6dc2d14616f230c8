"""Build an engine's optimizer from a small JSON-able spec.

    {"name": "adam", "lr": 0.001, "weight_decay": 0.0, "betas": [0.9, 0.999]}

Extra keys are passed to the optimizer's constructor unchanged, so every option
of ``T.optim.<Name>`` is reachable from a recipe or ``--set optimizer.KEY=...``.
"""

from __future__ import annotations

import difflib
from types import ModuleType
from typing import Any, Iterable

OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def build_optimizer(T: ModuleType, parameters: Iterable[Any], spec: dict):
    """``T.optim.<Name>(parameters, **options)`` for ``spec = {"name": ..., **options}``."""
    options = dict(spec)
    name = str(options.pop("name")).lower()
    if name not in OPTIMIZERS:
        close = difflib.get_close_matches(name, OPTIMIZERS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown optimizer {name!r}{hint}; expected one of {sorted(OPTIMIZERS)}")
    lr = options.get("lr")
    if not isinstance(lr, (int, float)) or not lr > 0:
        raise ValueError(f"optimizer.lr must be a positive number; got {lr!r}")
    if "betas" in options:
        options["betas"] = tuple(options["betas"])
    return getattr(T.optim, OPTIMIZERS[name])(parameters, **options)
