"""Run a forecasting recipe: one-step-ahead forecasts of a univariate series' held-out tail.

For every held-out time t the model sees the actual ``forecast.lookback`` values before t
(standardized with training statistics) and predicts y_t; so do the baselines:

* naive: y_hat_t = y_{t-1}
* seasonal naive: y_hat_t = y_{t-period} (30 days for the stock, 11 years for sunspots)

``summary.json`` gets MAE, RMSE and MAPE of the model and of both baselines, and whether
the model beat each; the figure shows history, forecasts and actual values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data
from neuralab.recipes.common import finish, fit, make_trainer, prepare, steps_for
from neuralab.recipes.config import require
from neuralab.train.checkpoint import to_numpy
from neuralab.viz.forecast import plot_forecast

# inputs: "level" feeds the standardized values; "relative" feeds each window minus its last
# value, which a trending series needs (its test levels lie outside the training range).
DEFAULTS: dict[str, Any] = {"data": {"options": {}}, "forecast": {"lookback": 20, "inputs": "level"}}


def validate(config: dict[str, Any]) -> None:
    """Forecasting checks (the shared ones live in ``recipes.validate``)."""
    require(config["model"]["name"] == "forecaster", f"forecast recipes use the forecaster model; got {config['model']['name']!r}")
    lookback = config["forecast"]["lookback"]
    require(isinstance(lookback, int) and lookback >= 1, f"forecast.lookback must be an integer >= 1; got {lookback!r}")
    require(config["forecast"]["inputs"] in ("level", "relative"),
            f"forecast.inputs must be 'level' or 'relative'; got {config['forecast']['inputs']!r}")


def error_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and MAPE (percent; actual values of zero are skipped) of ``predicted``."""
    actual, predicted = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    error = predicted - actual
    nonzero = actual != 0
    return {"mae": float(np.abs(error).mean()), "rmse": float(np.sqrt((error ** 2).mean())),
            "mape": float(100.0 * np.abs(error[nonzero] / actual[nonzero]).mean()) if nonzero.any() else float("nan")}


def naive_forecast(values: np.ndarray, start: int) -> np.ndarray:
    """One-step naive forecasts of ``values[start:]``: the previous value."""
    return np.asarray(values, dtype=np.float64)[start - 1:-1]


def seasonal_naive_forecast(values: np.ndarray, start: int, period: int) -> np.ndarray:
    """One-step seasonal-naive forecasts of ``values[start:]``: the value one period earlier."""
    if start < period:
        raise ValueError(f"seasonal naive needs {period} values of history; the tail starts at {start}")
    values = np.asarray(values, dtype=np.float64)
    return values[start - period:len(values) - period]


def windows(values: np.ndarray, targets: range, lookback: int) -> np.ndarray:
    """``(len(targets), lookback)``: the ``lookback`` values before each target index."""
    return np.stack([values[t - lookback:t] for t in targets])


def one_step_forecasts(T, model, values: np.ndarray, targets: range, lookback: int, mean: float, scale: float,
                       inputs: str, device: str = "cpu") -> np.ndarray:
    """The model's one-step forecasts of ``values[t]`` for each t in ``targets``, each from the
    actual ``lookback`` values before t: standardized with the training ``(mean, scale)``, fed
    as levels or relative to the window's last value (``inputs``), the predicted change added
    back to that last value, ``* scale + mean``."""
    normalized = ((np.asarray(values, dtype=np.float64) - mean) / scale).astype(np.float32)
    x = windows(normalized, targets, lookback)[..., None]
    last = x[:, -1:, :].copy()
    if inputs == "relative":
        x = x - last
    model.eval()
    with T.no_grad():
        change = to_numpy(model(T.from_numpy(x).to(device)))[:, 0]
    return (last[:, 0, 0] + change) * scale + mean


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one forecasting config; returns the summary dict."""
    series = data.load(config["data"]["name"], **config["data"]["options"])
    lookback, start = config["forecast"]["lookback"], series.train_size
    require(start > lookback + 1, f"forecast.lookback ({lookback}) needs more than {start} training values")
    mean, scale = float(series.train.mean()), float(series.train.std())
    normalized = ((series.values - mean) / scale).astype(np.float32)
    train_targets = range(lookback, start)
    x_train = windows(normalized, train_targets, lookback)[..., None]
    y_train = (normalized[list(train_targets)] - x_train[:, -1, 0])[:, None]  # the change to the next value
    if config["forecast"]["inputs"] == "relative":
        x_train = x_train - x_train[:, -1:, :]

    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(len(x_train), config))
    config, T, device, model, record = prepared.config, prepared.T, prepared.device, prepared.model, prepared.record
    trainer = make_trainer(prepared, progress, loss_fn=T.nn.functional.mse_loss)
    fit(trainer, prepared, (x_train, y_train), resume=resume)
    forecast = one_step_forecasts(T, model, series.values, range(start, len(series.values)), lookback, mean, scale,
                                  config["forecast"]["inputs"], device)
    actual = series.test
    results = {"model": error_metrics(actual, forecast), "naive": error_metrics(actual, naive_forecast(series.values, start)),
               "seasonal_naive": error_metrics(actual, seasonal_naive_forecast(series.values, start, series.period))}
    measured = {f"{who}_{name}": value for who, errors in results.items() for name, value in errors.items()}
    measured["mae_vs_naive_ratio"] = results["model"]["mae"] / results["naive"]["mae"]
    measured["mae_vs_seasonal_naive_ratio"] = results["model"]["mae"] / results["seasonal_naive"]["mae"]
    beats = {baseline: all(results["model"][m] < results[baseline][m] for m in ("mae", "rmse")) for baseline in ("naive", "seasonal_naive")}
    plot_forecast(series, forecast, record.figure_path("forecast"), title=f"{config['recipe']}: one-step forecasts of the held-out tail")
    return finish(prepared, measured, progress, beats_baselines=beats, forecast=[float(v) for v in forecast])
