"""A forecast run (``stock-lstm``, ``sunspots-lstm``) loaded for the lab's Forecast page.

``forecast_runs(root)`` lists the finished runs; ``load(folder)`` rebuilds the forecaster through
``trained.load_model`` and reloads the run's series for its training mean and std.
``Forecaster.held_out()`` answers the run's one-step forecasts of the held-out tail beside the
naive and seasonal-naive baselines, with their errors; ``Forecaster.on_series(values, horizon)``
does the same on a series the user pastes, and rolls the model ``horizon`` steps past its end
(each forecast fed back as the next input). Every forecast is
``recipes.forecast.one_step_forecasts``, the function the run's own figures come from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab import data, trained
from neuralab.inference.run_models import InputError, RunModelError, bounded, finished_runs, measured_checkpoint, run_config
from neuralab.recipes import forecast
from neuralab.train.checkpoint import CheckpointError

TASKS = ("forecast",)
MAX_VALUES = 5000   # values of a pasted series
MAX_HORIZON = 200   # steps rolled past its end


def forecast_runs(root: str | Path) -> list[dict[str, Any]]:
    """Finished forecast runs, newest first: name, recipe, data set, lookback, MAE against naive."""
    return [{"name": card["name"], "recipe": card["recipe"], "engine": card["engine"], "data": config["data"]["name"],
             "lookback": config["forecast"]["lookback"], "mae_vs_naive_ratio": card["metrics"].get("mae_vs_naive_ratio")}
            for card, config in finished_runs(root, TASKS)]


def _errors(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    return {key: (None if not math.isfinite(value) else value) for key, value in forecast.error_metrics(actual, predicted).items()}


@dataclass
class Forecaster:
    """A loaded run: engine ``T``, the model in eval mode, its config and series (``data.load``)."""

    name: str
    T: ModuleType
    model: Any
    config: dict[str, Any]
    series: Any

    @property
    def lookback(self) -> int:
        return self.config["forecast"]["lookback"]

    def predict(self, values: np.ndarray, targets: range) -> np.ndarray:
        """One-step forecasts of ``values[t]``, t in ``targets``, with the run's training statistics."""
        train = np.asarray(self.series.train, dtype=np.float64)
        return forecast.one_step_forecasts(self.T, self.model, values, targets, self.lookback, float(train.mean()),
                                           float(train.std()), self.config["forecast"]["inputs"])

    def held_out(self) -> dict[str, Any]:
        """The run's series, its forecasts of the held-out tail and both baselines, with MAE/RMSE/MAPE."""
        values, start = np.asarray(self.series.values, dtype=np.float64), self.series.train_size
        actual = values[start:]
        lines = {"model": self.predict(values, range(start, len(values))),
                 "naive": forecast.naive_forecast(values, start),
                 "seasonal_naive": forecast.seasonal_naive_forecast(values, start, self.series.period)}
        return {"run": self.name, "values": values.tolist(), "start": start, "period": self.series.period,
                "forecasts": {k: v.tolist() for k, v in lines.items()},
                "errors": {k: _errors(actual, v) for k, v in lines.items()}}

    def on_series(self, values: list, horizon: int = 20) -> dict[str, Any]:
        """Forecasts of a pasted series: one step ahead from index ``lookback`` on (the model and the
        naive forecast, with their errors), then ``horizon`` steps past its end."""
        values = _checked_series(values, self.lookback + 2)
        horizon = bounded("horizon", horizon, 0, MAX_HORIZON, integer=True)
        start = self.lookback
        lines = {"model": self.predict(values, range(start, len(values))), "naive": forecast.naive_forecast(values, start)}
        rolled = list(values)
        for _ in range(horizon):
            rolled.append(float(self.predict(np.asarray(rolled), range(len(rolled), len(rolled) + 1))[0]))
        return {"run": self.name, "values": values.tolist(), "start": start,
                "forecasts": {k: v.tolist() for k, v in lines.items()},
                "errors": {k: _errors(values[start:], v) for k, v in lines.items()}, "ahead": rolled[len(values):]}


def _checked_series(values: list, minimum: int) -> np.ndarray:
    if not isinstance(values, list) or not minimum <= len(values) <= MAX_VALUES:
        got = f"{len(values)} values" if isinstance(values, list) else type(values).__name__
        raise InputError(f"the series must hold {minimum} to {MAX_VALUES:,} numbers (the run's lookback + 2 at least); got {got}")
    bad = [i for i, v in enumerate(values) if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)]
    if bad:
        raise InputError(f"the series must hold finite numbers only; value {bad[0] + 1} is {values[bad[0]]!r}")
    return np.asarray(values, dtype=np.float64)


def parse_series(text: str) -> list[float]:
    """Numbers separated by commas, spaces or new lines (a pasted column or row), in order; a
    word that is not a number is an ``InputError`` naming it and its place."""
    words = text.replace(",", " ").replace(";", " ").split()
    numbers = []
    for place, word in enumerate(words, 1):
        try:
            numbers.append(float(word))
        except ValueError:
            raise InputError(f"the pasted series must hold numbers only; item {place} is {word[:30]!r}") from None
    return numbers


def load(folder: str | Path, engine: str | None = None) -> Forecaster:
    """The run's forecaster on ``engine`` (default: the run's own), with the weights its summary was measured with."""
    folder = Path(folder)
    config = run_config(folder, TASKS)
    try:
        loaded = trained.load_model(folder, measured_checkpoint(folder), engine=engine, tasks=TASKS)
    except (ValueError, FileNotFoundError, CheckpointError) as error:
        raise RunModelError(f"run {folder.name}: {error}") from None
    series = data.load(config["data"]["name"], **config["data"].get("options", {}))
    return Forecaster(folder.name, loaded.T, loaded.model, loaded.config, series)
