"""Callbacks: small objects the Trainer calls at fixed points of a fit.

Hooks (all optional): ``on_fit_start(trainer)``, ``on_epoch_start(trainer, epoch)``,
``on_batch_end(trainer, step, logs)``, ``on_epoch_end(trainer, epoch, logs)``,
``on_fit_end(trainer)``. Epochs count from 1; ``step`` is the global optimizer step.
``logs`` at epoch end is the epoch's History row (``train_loss``, ``val_loss``, ...).

A callback that must survive a resume returns its state from ``state_dict()`` (numbers,
strings, lists, dicts and NumPy arrays) and takes it back in ``load_state_dict``; the
Trainer stores it in every checkpoint. Callbacks run in ascending ``order`` (stable), so
that ``ModelCheckpoint`` (order 100) saves after the others have updated their state.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuralab.train.checkpoint import checkpoint_paths, model_state, save_checkpoint

if TYPE_CHECKING:  # pragma: no cover
    from neuralab.train.trainer import Trainer


class Callback:
    """Base class: every hook does nothing; override the ones you need."""

    order = 0

    def on_fit_start(self, trainer: "Trainer") -> None: ...

    def on_epoch_start(self, trainer: "Trainer", epoch: int) -> None: ...

    def on_batch_end(self, trainer: "Trainer", step: int, logs: dict[str, Any]) -> None: ...

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None: ...

    def on_fit_end(self, trainer: "Trainer") -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def resolve_mode(monitor: str, mode: str) -> str:
    """``"auto"`` -> ``"max"`` for accuracy-like metrics, else ``"min"``."""
    if mode == "auto":
        return "max" if "accuracy" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min', 'max' or 'auto'; got {mode!r}")
    return mode


def monitored_value(logs: dict[str, Any], monitor: str, *, fall_back_to_train: bool) -> float | None:
    """``logs[monitor]``; with no validation set, ``val_x`` may fall back to ``train_x``."""
    value = logs.get(monitor)
    if value is None and fall_back_to_train and monitor.startswith("val_"):
        value = logs.get("train_" + monitor[len("val_"):])
    return value


class _Best:
    """Tracks the best value of a monitored quantity (shared by EarlyStopping and ModelCheckpoint)."""

    def __init__(self, mode: str, min_delta: float = 0.0):
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.score: float | None = None
        self.epoch: int | None = None

    def improves(self, value: float) -> bool:
        if value is None or not math.isfinite(value):
            return False
        if self.score is None:
            return True
        if self.mode == "min":
            return value < self.score - self.min_delta
        return value > self.score + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    At the end of the fit (stopped early or not, and also after a divergence) the model
    always gets back the weights of its best epoch. Those weights are kept in memory
    and inside every checkpoint, so a resumed run restores them too.
    ``mode="auto"`` maximises accuracy-like metrics and minimises the rest.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "auto"):
        if patience < 1:
            raise ValueError(f"patience must be at least 1 epoch; got {patience}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = resolve_mode(monitor, mode)
        self._reset()

    def _reset(self) -> None:
        self.best = _Best(self.mode, self.min_delta)
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None

    @property
    def best_score(self) -> float | None:
        return self.best.score

    @property
    def best_epoch(self) -> int | None:
        return self.best.epoch

    def on_fit_start(self, trainer: "Trainer") -> None:
        self._reset()

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        value = monitored_value(logs, self.monitor, fall_back_to_train=False)
        if value is None:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r} but this fit has no such value "
                f"(have {sorted(k for k, v in logs.items() if v is not None)}); pass val=(x, y) to fit "
                "or monitor 'train_loss'"
            )
        if self.best.improves(value):
            self.best.score, self.best.epoch = float(value), epoch
            self.wait = 0
            self.best_weights = model_state(trainer.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            trainer.log(
                f"early stopping at epoch {epoch}: {self.monitor} has not improved for {self.patience} epochs "
                f"(best {self.best.score:.4g} at epoch {self.best.epoch})"
            )

    def on_fit_end(self, trainer: "Trainer") -> None:
        if self.best_weights is None:
            return
        trainer.load_model_arrays(self.best_weights)
        trainer.restored_epoch = self.best.epoch
        trainer.log(f"restored the weights of epoch {self.best.epoch} ({self.monitor} {self.best.score:.4g})")

    def state_dict(self) -> dict[str, Any]:
        return {
            "monitor": self.monitor,
            "best_score": self.best.score,
            "best_epoch": self.best.epoch,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("monitor", self.monitor) != self.monitor:
            warnings.warn(f"EarlyStopping now monitors {self.monitor!r}, the checkpoint monitored {state['monitor']!r}: starting afresh")
            return
        self.best.score, self.best.epoch = state["best_score"], state["best_epoch"]
        self.wait = state["wait"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best_weights = state["best_weights"]


class ModelCheckpoint(Callback):
    """Save ``last`` after every epoch and ``best`` whenever ``monitor`` improves.

    Files go to ``directory/{last,best}.{safetensors,json}`` (see ``neuralab.train.checkpoint``).
    Each holds the full training state (model, optimizer, scheduler, epoch, RNG states,
    history, callback states), so ``fit(..., resume=directory / "last")`` continues exactly.
    An epoch whose weights or losses are not finite never reaches this callback: the
    Trainer raises ``TrainingDiverged`` first, so ``last`` always holds finite weights.
    Without a validation set, ``val_loss`` falls back to ``train_loss``.
    """

    order = 100

    def __init__(
        self,
        directory: str | os.PathLike,
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best: bool = True,
        save_last: bool = True,
    ):
        self.directory = Path(directory)
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self.save_best = save_best
        self.save_last = save_last
        self.best = _Best(self.mode)

    @property
    def last_path(self) -> Path:
        return self.directory / "last"

    @property
    def best_path(self) -> Path:
        return self.directory / "best"

    def has_last(self) -> bool:
        return all(p.exists() for p in checkpoint_paths(self.last_path))

    def on_fit_start(self, trainer: "Trainer") -> None:
        self.best = _Best(self.mode)

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        value = monitored_value(logs, self.monitor, fall_back_to_train=True)
        improved = self.save_best and self.best.improves(value)
        if improved:  # update first, so the saved state already knows this epoch is the best
            self.best.score, self.best.epoch = float(value), epoch
        if not (improved or self.save_last):
            return
        state = trainer.checkpoint_state()
        # best before last: `last` is what a resume starts from, so a kill between the two writes
        # repeats this epoch and writes `best` again; the other order would lose this epoch's `best`.
        if improved:
            save_checkpoint(self.best_path, state)
        if self.save_last:
            save_checkpoint(self.last_path, state)

    def state_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "best_score": self.best.score, "best_epoch": self.best.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("monitor") == self.monitor:
            self.best.score, self.best.epoch = state["best_score"], state["best_epoch"]
