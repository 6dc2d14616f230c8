"""One Optuna trial = one ordinary recipe run with the trial's values set in its config.

The trial goes through ``recipes.run`` like ``neuralab train`` (its own run folder under
the runs root), with a :class:`PruningReporter` added to the recipe's Trainer: after each
epoch it reports the validation metric to Optuna, and when the pruner says so it stops
the fit like early stopping does. The runner then finishes normally (test split measured,
figures drawn) and the run's ``summary.json`` says ``status: pruned`` with the reason.

The value a trial returns is the validation metric of the weights the run kept (the
test split is never used to choose: it is recorded next to the trial, for the report).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from neuralab import recipes
from neuralab.recipes.config import parse_value, set_key
from neuralab.recipes.targets import comparison
from neuralab.train import RunRecord
from neuralab.train.callbacks import Callback
from neuralab.train.scoped_callbacks import added_callbacks
from neuralab.tune.space import Dimension


def objective_metric(config: dict[str, Any]) -> tuple[str, str]:
    """``(metric, direction)`` the study optimises: the validation twin of the recipe's first
    ``test_accuracy``/``test_loss``-like target, else ``val_loss`` (every fit with a
    validation split logs it); the direction follows ``recipes.targets.comparison``."""
    for name in config.get("targets", {}):
        for stem in ("accuracy", "loss"):
            if name in (f"test_{stem}", f"val_{stem}"):
                metric = f"val_{stem}"
                return metric, "minimize" if comparison(metric) == "<=" else "maximize"
    return "val_loss", "minimize"


def configured(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``base`` with each dotted key of ``values`` set (unknown keys: the config layer's KeyError)."""
    config = copy.deepcopy(base)
    for key, value in values.items():
        set_key(config, key, value)
    return config


def check_space(base: dict[str, Any], space: dict[str, Dimension]) -> None:
    """Refuse a space before any trial: each key must exist in the recipe's config and every
    end of its range (every choice) must pass the recipe's own validation."""
    for dimension in space.values():
        configured(base, {dimension.key: base_value(dimension, dimension.values()[0])})
        for value in dimension.values():
            try:
                recipes.validate(configured(base, {dimension.key: base_value(dimension, value)}))
            except ValueError as error:
                raise ValueError(f"--space {dimension.key}={dimension.spec}: the value {value!r} is refused: {error}") from None


def base_value(dimension: Dimension, stored: Any) -> Any:
    """The config value of what Optuna stores for ``dimension`` (a choice is kept as its text)."""
    return parse_value(stored) if dimension.kind == "choice" else stored


def best_values(space: dict[str, Dimension], params: dict[str, Any]) -> dict[str, Any]:
    """A trial's ``params`` as config values."""
    return {key: base_value(space[key], value) for key, value in params.items() if key in space}


class PruningReporter(Callback):
    """Report ``metric`` after each epoch to ``trial``; stop the fit when the pruner says prune."""

    def __init__(self, trial: Any, metric: str):
        self.trial = trial
        self.metric = metric
        self.pruned_at: int | None = None
        self.pruned_value: float | None = None

    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, Any]) -> None:
        value = logs.get(self.metric)
        if value is None:
            have = sorted(key for key, v in logs.items() if v is not None)
            raise ValueError(f"neuralab tune follows {self.metric} after each epoch, but this run logs only {have}: "
                             "tune recipes whose fit has a validation split")
        self.trial.report(float(value), epoch)
        if self.trial.should_prune():
            self.pruned_at, self.pruned_value = epoch, float(value)
            trainer.stop_training = True
            trainer.log(f"pruned by Optuna at epoch {epoch}: {self.metric} {value:.4g}")


@dataclass(frozen=True)
class TrialRunner:
    """Everything a trial needs, picklable so worker processes can run trials too."""

    base: dict[str, Any]
    space: dict[str, Dimension]
    metric: str
    runs_root: str
    threads: int | None = None  # torch/NumPy threads per trial when trials run in parallel processes

    def __call__(self, trial: Any) -> float:
        import optuna  # noqa: PLC0415 - the tune extra, imported by whoever calls this

        values = {key: dimension.suggest(trial) for key, dimension in self.space.items()}
        config = configured(self.base, values)
        if self.threads is not None and config["threads"] is None:
            config["threads"] = self.threads
        reporter = PruningReporter(trial, self.metric)
        with added_callbacks(reporter):
            summary = recipes.run(config, runs_root=self.runs_root, progress=False)
        record = RunRecord.open(summary["run_dir"])
        trial.set_user_attr("run_dir", summary["run_dir"])
        for name, value in summary.get("metrics", {}).items():
            if name.startswith("test_") and isinstance(value, (int, float)):
                trial.set_user_attr(name, value)
        record.update_summary(tune={"study": trial.study.study_name, "trial": trial.number, "values": values})
        if reporter.pruned_at is not None:
            reason = f"pruned by Optuna at epoch {reporter.pruned_at}: {self.metric} {reporter.pruned_value:.4g}"
            record.update_summary(status="pruned", message=reason)
            raise optuna.TrialPruned(reason)
        value = summary.get("metrics", {}).get(self.metric)
        if value is None:
            raise ValueError(f"the {config['recipe']} run {summary['run_dir']} measured no {self.metric}")
        return float(value)
