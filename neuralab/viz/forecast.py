"""One-step forecasts of a series' held-out tail beside its history and the actual values."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuralab.viz.style import new_figure, save_png


def plot_forecast(series, forecast: np.ndarray, path, title: str | None = None) -> Path:
    """History (training part), the held-out actual values and the model's forecasts."""
    figure = new_figure(8.0, 4.0)
    ax = figure.subplots()
    start = series.train_size
    ax.plot(series.index[:start], series.train, color="0.4", label="history (train)")
    ax.plot(series.index[start:], series.test, color="#1f77b4", label="actual")
    ax.plot(series.index[start:], forecast, color="#d62728", linestyle="--", label="forecast (one step ahead)")
    ax.axvline(series.index[start] - 0.5, color="0.7", linewidth=1)
    ax.set_xlabel("time")
    ax.set_ylabel(series.name)
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title, fontsize=10)
    return save_png(figure, path)
