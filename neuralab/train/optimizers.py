"""Build an engine's optimizer from a small JSON-able spec.

    {"name": "adam", "lr": 0.001, "weight_decay": 0.0, "betas": [0.9, 0.999]}
    {"name": "adamw", "lr": 0.01, "weight_decay": 0.1, "decay_matrices_only": true}

Extra keys are passed to the optimizer's constructor unchanged, so every option
of ``T.optim.<Name>`` is reachable from a recipe or ``--set optimizer.KEY=...``.
The one key of our own, ``decay_matrices_only``, puts the parameters with fewer than
two dimensions (biases, LayerNorm gains) in a second group with ``weight_decay = 0``:
decay shrinks weight matrices and embeddings, never a norm's gain or a bias.
"""

from __future__ import annotations

import difflib
import inspect
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
    if options.pop("decay_matrices_only", False):
        parameters = list(parameters)
        parameters = [{"params": [p for p in parameters if p.dim() >= 2]},
                      {"params": [p for p in parameters if p.dim() < 2], "weight_decay": 0.0}]
        parameters = [group for group in parameters if group["params"]]
    cls = getattr(T.optim, OPTIMIZERS[name])
    # A config.json spells out optimizer.defaults, which can name settings the constructor
    # fixes itself (torch's AdamW: decoupled_weight_decay=True): accept those when they agree.
    accepted = inspect.signature(cls.__init__).parameters
    fixed = {} if any(p.kind is p.VAR_KEYWORD for p in accepted.values()) else \
        {key: options.pop(key) for key in list(options) if key not in accepted}
    optimizer = cls(parameters, **options)
    for key, value in fixed.items():
        if key not in optimizer.defaults or optimizer.defaults[key] != (tuple(value) if isinstance(value, list) else value):
            raise ValueError(f"{cls.__name__} takes no option {key!r} (got {value!r})")
    return optimizer
