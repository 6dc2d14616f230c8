"""The learning-rate range test (Smith 2017; fastai's ``lr_find``) as a Trainer callback.

Training step ``i = 0 .. n-1`` runs one mini-batch at

    lr_i = start * (end / start) ** (i / (n - 1))            (evenly spaced in log lr)

and records its loss ``L_i``. The raw losses are noisy, so the sweep reads a debiased
exponential moving average (``beta = 0.9``)::

    a_i = beta * a_{i-1} + (1 - beta) * L_i,   a_{-1} = 0,    S_i = a_i / (1 - beta ** (i + 1))

and stops once ``S_i > 4 * min(S_0 .. S_i)`` (the loss has blown up), once a loss is not
finite, or after the last lr. fastai averages with ``beta = 0.98``, a window of ~50 steps:
half of a 100-step sweep, 4 decades of lr. On mnist-mlp that moved the smoothed minimum from
0.03 (``beta = 0.9``, a ~10-step window) to 0.2, and the 4x stop never fired before lr 10;
the steepest descent stayed at 0.0059 with either.

Suggested lr, the rule: **the steepest descent of the smoothed loss**, the ``lr_k`` where
``dS/d(log10 lr)`` is most negative, looked for between the first tenth of the planned
sweep (the average is still settling there) and the minimum of ``S``. A second figure, the
minimum's lr divided by 10, is reported beside it (fastai's other classic rule). When ``S``
does not fall past the first tenth, or by less than 1% of its value there, there is no
suggestion: widen the sweep.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from neuralab.train.callbacks import Callback

if TYPE_CHECKING:  # pragma: no cover
    from neuralab.train.trainer import Trainer

BETA = 0.9  # a ~10-step window (1 / (1 - beta)); see the module docstring
BLOW_UP = 4.0  # stop once the smoothed loss exceeds this multiple of its best
SETTLING = 0.1  # the first tenth of the planned sweep is left out of the suggestion
MIN_DROP = 0.01  # a descent smaller than 1% of the loss is no descent (rounding, batch noise)
RULE = "steepest descent of the smoothed loss (most negative dS/dlog10(lr)), between the first tenth of the sweep and its minimum"


class SweepFinished(Exception):
    """Raised by :class:`LRSweep` when the sweep is over: it ends the fit mid-epoch."""


@dataclass
class SweepResult:
    """What one sweep measured; ``lrs[i]`` trained the batch whose loss is ``losses[i]``."""

    start: float
    end: float
    steps: int  # planned
    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    stopped: str = ""
    suggested_lr: float | None = None
    suggested_index: int | None = None
    minimum_lr: float | None = None  # the lr where the smoothed loss is lowest
    rule: str = RULE

    @property
    def minimum_over_10(self) -> float | None:
        return None if self.minimum_lr is None else self.minimum_lr / 10

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "minimum_over_10": self.minimum_over_10}


def sweep_lrs(start: float, end: float, steps: int) -> np.ndarray:
    """``steps`` learning rates from ``start`` to ``end``, evenly spaced in log lr."""
    if not (isinstance(start, (int, float)) and isinstance(end, (int, float)) and 0 < start < end):
        raise ValueError(f"the sweep needs 0 < start < end; got start={start!r}, end={end!r}")
    if not (isinstance(steps, int) and steps >= 2):
        raise ValueError(f"the sweep needs at least 2 steps; got {steps!r}")
    return start * (end / start) ** (np.arange(steps) / (steps - 1))


def smooth(losses: list[float], beta: float = BETA) -> list[float]:
    """The debiased moving average ``S_i`` of the module docstring."""
    average, out = 0.0, []
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out.append(average / (1 - beta ** (i + 1)))
    return out


def suggest(lrs: list[float], smoothed: list[float], planned: int) -> tuple[int | None, int]:
    """``(index of the suggested lr or None, index of the smoothed minimum)``, by :data:`RULE`."""
    lowest = int(np.argmin(smoothed))
    first = max(1, int(round(SETTLING * planned)))
    if lowest <= first or smoothed[lowest] > (1 - MIN_DROP) * smoothed[first]:
        return None, lowest
    slope = np.gradient(np.asarray(smoothed[:lowest + 1]), np.log10(np.asarray(lrs[:lowest + 1])))
    return first + int(np.argmin(slope[first:lowest + 1])), lowest


class LRSweep(Callback):
    """Sets each step's lr on every parameter group and records the step's ``loss``.

    Raises :class:`SweepFinished` after the last lr or when the loss blows up; read
    :meth:`result` afterwards. Works with any Trainer whose step reports a ``loss``.
    """

    order = -100  # first: the lr of the next step is set before anything else looks at it

    def __init__(self, start: float = 1e-7, end: float = 10.0, steps: int = 100):
        self.planned = sweep_lrs(start, end, steps)
        self.start, self.end, self.steps = float(start), float(end), steps
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.stopped = ""

    @property
    def next_lr(self) -> float:
        return float(self.planned[len(self.losses)])

    def _set_lr(self, trainer: "Trainer") -> None:
        for group in trainer.optimizer.param_groups:
            group["lr"] = self.next_lr

    def on_fit_start(self, trainer: "Trainer") -> None:
        self._set_lr(trainer)

    def on_epoch_start(self, trainer: "Trainer", epoch: int) -> None:
        self._set_lr(trainer)  # after anything that moved it at the epoch's end

    def on_batch_end(self, trainer: "Trainer", step: int, logs: dict[str, Any]) -> None:
        if "loss" not in logs:
            reported = ", ".join(name for name in logs if name not in ("epoch", "batch"))
            raise ValueError(f"lr-find sweeps one optimizer against one loss, but this task's training step "
                             f"reports {reported} (a GAN's two players): it has no single lr to find")
        self.lrs.append(self.next_lr)
        self.losses.append(float(logs["loss"]))  # finite: the Trainer stops at a non-finite one (see diverged)
        smoothed = smooth(self.losses)
        if len(smoothed) > 1 and smoothed[-1] > BLOW_UP * min(smoothed):
            self.stop(f"the smoothed loss {smoothed[-1]:.4g} passed {BLOW_UP:g} x its best {min(smoothed):.4g} "
                      f"at lr {self.lrs[-1]:.3g}")
        if len(self.losses) == self.steps:
            self.stop(f"the sweep reached its last lr {self.lrs[-1]:.3g}")
        self._set_lr(trainer)

    def stop(self, why: str) -> None:
        self.stopped = why
        raise SweepFinished(why)

    def diverged(self, value: float) -> None:
        """The Trainer stopped the fit (``TrainingDiverged``) at the step now in flight: the loss,
        the gradients or the weights became ``value``."""
        self.stopped = f"the training diverged at lr {self.next_lr:.3g} (a loss, gradient or weight became {value})"

    def result(self) -> SweepResult:
        """The measured sweep with its suggestion (see the module docstring)."""
        if len(self.losses) < 2:
            raise ValueError(f"the sweep ran {len(self.losses)} step(s): too few to read a loss curve "
                             f"({self.stopped or 'the training ended'}); lower --start or check the recipe trains")
        smoothed = smooth(self.losses)
        index, lowest = suggest(self.lrs, smoothed, self.steps)
        return SweepResult(
            start=self.start, end=self.end, steps=self.steps, lrs=list(self.lrs), losses=list(self.losses),
            smoothed=smoothed, stopped=self.stopped or f"the training ended after {len(self.losses)} steps",
            suggested_lr=self.lrs[index] if index is not None else None, suggested_index=index,
            minimum_lr=self.lrs[lowest])
