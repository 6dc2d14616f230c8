"""Learning-rate schedules built from a small spec once the length of training is known.

A spec is a name or a dict with a ``"name"`` and that schedule's options::

    "cosine"
    {"name": "step", "step_size": 10, "gamma": 0.1}          # per epoch: lr *= gamma every step_size epochs
    {"name": "cosine", "eta_min": 0.0}                          # per epoch, T_max defaults to the epoch count
    {"name": "exponential", "gamma": 0.95}                      # per epoch
    {"name": "plateau", "factor": 0.1, "patience": 10}          # per epoch on val_loss (train_loss without val)
    {"name": "onecycle", "max_lr": 0.01, "pct_start": 0.25}    # per batch, total_steps = steps/epoch x epochs

The engine's own ``T.optim.lr_scheduler`` classes do the work; this module only picks
the class, fills in every default (so ``resolved`` can go into ``config.json``) and
knows when each one steps.
"""

from __future__ import annotations

import difflib
from types import ModuleType
from typing import Any

# name -> (engine class name, when it steps, defaults; None marks a required option)
_SCHEDULES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "step": ("StepLR", "epoch", {"step_size": None, "gamma": 0.1}),
    "cosine": ("CosineAnnealingLR", "epoch", {"T_max": "epochs", "eta_min": 0.0}),
    "exponential": ("ExponentialLR", "epoch", {"gamma": None}),
    "plateau": (
        "ReduceLROnPlateau",
        "plateau",
        {
            "monitor": "val_loss",
            "mode": "min",
            "factor": 0.1,
            "patience": 10,
            "threshold": 1e-4,
            "threshold_mode": "rel",
            "cooldown": 0,
            "min_lr": 0.0,
            "eps": 1e-8,
        },
    ),
    "onecycle": (
        "OneCycleLR",
        "batch",
        {
            "max_lr": None,
            "total_steps": "steps",
            "pct_start": 0.3,
            "anneal_strategy": "cos",
            "cycle_momentum": True,
            "base_momentum": 0.85,
            "max_momentum": 0.95,
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "three_phase": False,
        },
    ),
}

SCHEDULE_NAMES = tuple(_SCHEDULES)


def resolve_schedule(spec: str | dict[str, Any] | None, *, steps_per_epoch: int, epochs: int) -> dict[str, Any] | None:
    """The full spec with every default spelled out (``None`` stays ``None``)."""
    if spec is None:
        return None
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = spec.pop("name", None)
    if name not in _SCHEDULES:
        hint = difflib.get_close_matches(str(name), SCHEDULE_NAMES, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ValueError(f"unknown schedule {name!r}: expected one of {SCHEDULE_NAMES}{suggestion}")
    _, _, defaults = _SCHEDULES[name]
    unknown = set(spec) - set(defaults)
    if unknown:
        raise ValueError(f"schedule {name!r} got unknown options {sorted(unknown)}; it takes {sorted(defaults)}")
    resolved: dict[str, Any] = {"name": name}
    for option, default in defaults.items():
        value = spec.get(option, default)
        if value is None:
            raise ValueError(f"schedule {name!r} needs {option!r}, e.g. {{'name': {name!r}, {option!r}: ...}}")
        if value == "epochs":
            value = epochs
        elif value == "steps":
            value = steps_per_epoch * epochs
        resolved[option] = value
    if name == "onecycle" and abs(resolved["pct_start"] * resolved["total_steps"] - 1) < 1e-9:
        # the warm-up then ends at step 0, where it starts: torch's OneCycleLR divides by zero
        raise ValueError(f"schedule 'onecycle' cannot warm up over exactly one step: pct_start {resolved['pct_start']} x "
                         f"total_steps {resolved['total_steps']} = 1; train more steps or change pct_start")
    return resolved


class Schedule:
    """An engine LR scheduler plus the rule of when it steps.

    ``interval`` is ``"batch"`` (after every optimizer step), ``"epoch"`` (after every
    epoch) or ``"plateau"`` (after every epoch, given the monitored value).
    """

    def __init__(self, spec: dict[str, Any], optimizer: Any, engine: ModuleType):
        self.spec = dict(spec)
        class_name, self.interval, _ = _SCHEDULES[spec["name"]]
        self.monitor = spec.get("monitor")
        kwargs = {k: v for k, v in spec.items() if k not in ("name", "monitor")}
        self.scheduler = getattr(engine.optim.lr_scheduler, class_name)(optimizer, **kwargs)

    def step_batch(self) -> None:
        """Call after each optimizer step."""
        if self.interval == "batch":
            self.scheduler.step()

    def step_epoch(self, logs: dict[str, Any]) -> None:
        """Call after each epoch with that epoch's logs (``val_loss`` etc.)."""
        if self.interval == "epoch":
            self.scheduler.step()
        elif self.interval == "plateau":
            value = logs.get(self.monitor)
            if value is None and self.monitor == "val_loss":
                value = logs.get("train_loss")  # no validation set: fall back to the training loss
            if value is None:
                raise ValueError(f"plateau schedule monitors {self.monitor!r} but the epoch logs have {sorted(logs)}")
            self.scheduler.step(value)

    def state_dict(self) -> dict[str, Any]:
        """The engine scheduler's state (saved in checkpoints)."""
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the engine scheduler's state."""
        self.scheduler.load_state_dict(state)


def build_schedule(
    spec: str | dict[str, Any] | None, optimizer: Any, *, engine: ModuleType, steps_per_epoch: int, epochs: int
) -> Schedule | None:
    """Build the schedule for ``spec`` (``None`` -> no schedule, constant lr)."""
    resolved = resolve_schedule(spec, steps_per_epoch=steps_per_epoch, epochs=epochs)
    return None if resolved is None else Schedule(resolved, optimizer, engine)
