"""A finished run's model, rebuilt from its ``config.json`` and saved weights, ready to use.

``neuralab export`` and ``neuralab predict`` both start here, so a run is read one way. The
model can be rebuilt on another engine than it was trained on (a scratch-engine run goes
into the torch model for ONNX export): the ``state_dict`` keys and shapes are the same on
both engines, so the same weights load unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab import data, engines
from neuralab.data.transforms import train_statistics
from neuralab.recipes.common import build_model, load_splits
from neuralab.train import RunRecord, load_weights
from neuralab.train.checkpoint import CheckpointError, to_numpy


@dataclass
class TrainedClassifier:
    """A classification run's model in eval mode on engine ``T``, with its config and weights file."""

    T: ModuleType
    model: Any
    config: dict[str, Any]
    weights: Path

    def logits(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Raw class scores ``(N, C)`` for inputs ``x`` ``(N, ...)`` prepared as the training data was."""
        self.model.eval()
        chunks = []
        with self.T.no_grad():
            for start in range(0, len(x), batch_size):
                batch = self.T.from_numpy(np.ascontiguousarray(x[start:start + batch_size], dtype=np.float32))
                chunks.append(to_numpy(self.model(batch)))
        return np.concatenate(chunks)

    def splits(self):
        """The run's data splits, loaded and standardized as in training."""
        return load_splits(self.config)

    def raw_splits(self):
        """The run's data splits as loaded, before any standardization."""
        return data.load(self.config["data"]["name"], **self.config["data"].get("options", {}))

    def standardization(self, raw_train_x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``(mean, std)`` of the raw training inputs when the run standardized them (``x' = (x - mean) / std``), else None."""
        return train_statistics(raw_train_x) if self.config["data"]["standardize"] else None


def run_config(run_dir: str | Path) -> tuple[RunRecord, dict[str, Any]]:
    """The run folder's record and its resolved config."""
    record = RunRecord.open(run_dir)
    if not record.config_path.exists():
        raise FileNotFoundError(f"{record.path} has no config.json: it is not a finished `neuralab train` run")
    return record, record.read_config()


def weights_path(record: RunRecord, checkpoint: str = "best") -> Path:
    """``checkpoints/<checkpoint>.safetensors``, falling back from ``best`` to ``last`` when a run kept only that."""
    folder = record.checkpoints_dir
    path = folder / f"{checkpoint}.safetensors"
    if checkpoint == "best" and not path.exists():
        path = folder / "last.safetensors"
    if not path.exists():
        raise FileNotFoundError(f"{record.path} has no {checkpoint!r} weights ({path} does not exist): was the run finished?")
    return path


def load_classifier(run_dir: str | Path, checkpoint: str = "best", engine: str | None = None) -> TrainedClassifier:
    """The trained model of a ``classify`` run; ``engine`` rebuilds it on another engine (default: the run's)."""
    return load_model(run_dir, checkpoint, engine, tasks=("classify",))


def load_model(run_dir: str | Path, checkpoint: str = "best", engine: str | None = None,
               tasks: tuple[str, ...] = ("classify", "denoise")) -> TrainedClassifier:
    """The trained model of a run whose task builds ``config["model"]`` as it is (classify, denoise)."""
    record, config = run_config(run_dir)
    task = config.get("task", "classify")
    if task not in tasks:
        raise ValueError(f"{record.path} is a {task!r} run; expected a {' or '.join(tasks)} run")
    config = copy.deepcopy(config)
    if engine is not None:
        config["engine"] = engine
    T, _ = engines.setup(config["engine"], threads=config.get("threads"), device="cpu")
    model = build_model(T, config)
    weights = weights_path(record, checkpoint)
    try:
        load_weights(model, weights, T)
    except CheckpointError as error:
        raise ValueError(str(error)) from error
    model.eval()
    return TrainedClassifier(T=T, model=model, config=config, weights=weights)
