"""Forecasting baselines and metrics on hand-made series; the forecasting recipes end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neuralab import data, recipes
from neuralab.recipes.forecast import error_metrics, naive_forecast, seasonal_naive_forecast, windows


def test_naive_and_seasonal_naive_on_a_hand_made_series():
    values = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 4.0])
    np.testing.assert_array_equal(naive_forecast(values, 6), [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(seasonal_naive_forecast(values, 6, period=3), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="history"):
        seasonal_naive_forecast(values, 2, period=3)
    np.testing.assert_array_equal(windows(values, range(3, 5), 3), [[1.0, 2.0, 3.0], [2.0, 3.0, 1.0]])


def test_error_metrics():
    errors = error_metrics(np.array([10.0, 20.0, 0.0]), np.array([12.0, 17.0, 1.0]))
    assert errors["mae"] == pytest.approx(2.0)
    assert errors["rmse"] == pytest.approx(np.sqrt((4 + 9 + 1) / 3))
    assert errors["mape"] == pytest.approx(100 * (0.2 + 0.15) / 2)  # the zero actual is skipped


def test_the_curriculum_stock_series():
    series = data.load("stock")
    assert len(series.values) == 200 and series.train_size == 150 and series.period == 30
    t = np.arange(200)
    clean = np.linspace(100, 150, 200) + 10 * np.sin(2 * np.pi * t / 30)
    noise = series.values - clean
    assert 2.5 < noise.std() < 3.5
    np.testing.assert_array_equal(series.values, data.load("stock").values)


def test_stock_recipe_runs_end_to_end(tmp_path):
    config = recipes.resolve("stock-lstm", epochs=3, overrides=["model.hidden=8"])
    summary = recipes.run(config, runs_root=tmp_path, progress=False)
    written = json.loads((tmp_path / summary["run_dir"].split("/")[-1] / "summary.json").read_text())
    assert written["status"] == "completed" and len(written["forecast"]) == 50
    for key in ("model_mae", "model_rmse", "model_mape", "naive_mae", "seasonal_naive_rmse", "mae_vs_naive_ratio"):
        assert np.isfinite(written["metrics"][key])
    assert set(written["beats_baselines"]) == {"naive", "seasonal_naive"}


def test_sunspots_recipe_runs_end_to_end(tmp_path):
    pytest.importorskip("statsmodels")
    config = recipes.resolve("sunspots-lstm", epochs=2, overrides=["model.hidden=8"])
    summary = recipes.run(config, runs_root=tmp_path, progress=False)
    assert summary["metrics"]["naive_mae"] > 0 and len(summary["forecast"]) == 30
    assert set(summary["targets"]) == {"mae_vs_naive_ratio", "mae_vs_seasonal_naive_ratio"}
