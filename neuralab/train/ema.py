"""An exponential moving average of a model's weights, kept beside training (``WeightEMA``).

    ema <- d * ema + (1 - d) * w        after every optimizer step, d = min(decay, (1 + k) / (10 + k))

The warm-up ``(1 + k) / (10 + k)`` (k: updates so far) lets the average follow the fast early
changes instead of remembering the random start. Diffusion models sample much better from the
averaged weights than from the last ones (Ho et al. 2020 use decay 0.9999 over 800k steps).
The average lives in NumPy (float64), so it is the same on every engine and costs no graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuralab.train.callbacks import Callback
from neuralab.train.checkpoint import to_numpy


class WeightEMA(Callback):
    """Keep ``weights``: the moving average (``name -> array``) of every floating entry of the
    model's ``state_dict`` (other entries are copied as they are). Saved with each checkpoint,
    so a resumed run continues the same average."""

    order = 50  # before ModelCheckpoint (100), so a checkpoint holds this epoch's average

    def __init__(self, decay: float = 0.999):
        if not 0 <= decay < 1:
            raise ValueError(f"EMA decay must be in [0, 1); got {decay}")
        self.decay = float(decay)
        self.updates = 0
        self.weights: dict[str, np.ndarray] = {}

    def on_fit_start(self, trainer: Any) -> None:
        self.updates = 0
        self.weights = {name: np.array(to_numpy(value), dtype=_dtype(value), copy=True)
                        for name, value in trainer.model.state_dict().items()}

    def on_batch_end(self, trainer: Any, step: int, logs: dict[str, Any]) -> None:
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for name, value in trainer.model.state_dict().items():
            average = self.weights[name]
            if average.dtype.kind == "f":
                average *= decay
                average += (1 - decay) * to_numpy(value)
            else:
                average[...] = to_numpy(value)
        self.updates += 1

    def model_weights(self, like: dict[str, Any]) -> dict[str, np.ndarray]:
        """The average cast to the dtypes of ``like`` (a ``state_dict``), ready to load."""
        return {name: self.weights[name].astype(to_numpy(value).dtype) for name, value in like.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"decay": self.decay, "updates": self.updates, "weights": dict(self.weights)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.updates = int(state["updates"])
        self.weights = {name: np.array(value, copy=True) for name, value in state["weights"].items()}


def _dtype(value: Any) -> np.dtype:
    """float64 for floating tensors (the average of many small steps), else the tensor's own dtype."""
    dtype = to_numpy(value).dtype
    return np.dtype(np.float64) if dtype.kind == "f" else dtype
