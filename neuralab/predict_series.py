"""A trained forecaster's next values after a user's own series (``neuralab predict RUN series.csv``).

The series is prepared as in training, by the function the run's own test forecasts come from
(:func:`neuralab.recipes.forecast.one_step_forecasts`): standardized with the run's training mean
and standard deviation, the last ``forecast.lookback`` values form the window, minus its last value
when the run fed ``relative`` inputs; the model predicts the change to the next value. For ``steps > 1`` each forecast is appended to the window and the model runs again
(recursive forecasting: errors compound with the horizon).

The file is one number per row (a header is allowed), or a CSV whose one column of numbers is the
series (``date,value``); with several numeric columns ``column`` names one (header name, or a
1-based position).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from neuralab.data.pictures import checked_file

MAX_SERIES_BYTES = 50 * 2**20
MAX_STEPS = 10_000


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _table(path: Path) -> list[tuple[int, list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            return [(reader.line_num, [c.strip() for c in row]) for row in reader if any(c.strip() for c in row)]
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a text CSV file (it is not UTF-8: {error.reason} at byte {error.start})") from error
    except csv.Error as error:
        raise ValueError(f"{path}: not a readable CSV file ({error})") from error


def read_series(path: str | Path, column: str | int | None = None) -> tuple[np.ndarray, str]:
    """The series in the CSV at ``path`` as float64 ``(T,)`` and the name of the column it came from."""
    path = checked_file(path, MAX_SERIES_BYTES)
    rows = _table(path)
    if not rows:
        raise ValueError(f"{path}: no rows")
    width = len(rows[0][1])
    for line, cells in rows:
        if len(cells) != width:
            raise ValueError(f"{path}, row {line}: {len(cells)} cells; row {rows[0][0]} has {width}")
    header = any(_number(cell) is None for cell in rows[0][1])
    names = rows[0][1] if header else [str(i + 1) for i in range(width)]
    body = rows[1:] if header else rows
    if column is None:
        numeric = [i for i in range(width) if body and all(_number(cells[i]) is not None for _, cells in body)]
        if not numeric:
            raise ValueError(f"{path}: no column holds only numbers (a series file is one number per row, "
                             "or a CSV with one column of numbers)")
        if len(numeric) > 1:
            raise ValueError(f"{path}: {len(numeric)} columns of numbers ({', '.join(names[i] for i in numeric)}); "
                             "choose one with --column NAME")
        index = numeric[0]
    else:
        key = str(column)
        if key in names:
            index = names.index(key)
        elif key.isdigit() and 1 <= int(key) <= width:
            index = int(key) - 1
        else:
            raise ValueError(f"{path}: no column {key!r} (columns: {', '.join(names)})")
    values = []
    for line, cells in body:
        value = _number(cells[index])
        if value is None or not math.isfinite(value):
            what = "a number" if value is None else "a finite number"
            raise ValueError(f"{path}, row {line}, column {names[index]!r}: {cells[index]!r} is not {what}")
        values.append(value)
    return np.asarray(values, dtype=np.float64), names[index]


def forecast_file(run_dir: str | Path, path: str | Path, steps: int = 1, column: str | int | None = None,
                  checkpoint: str = "last") -> dict[str, Any]:
    """The next ``steps`` values after the series in ``path``, from a forecast run's model (``last``:
    the weights whose test errors the run's summary reports)."""
    from neuralab import data  # noqa: PLC0415 - loading data sets is only needed here
    from neuralab.recipes.forecast import one_step_forecasts  # noqa: PLC0415
    from neuralab.trained import load_model  # noqa: PLC0415

    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"the number of values to forecast must be between 1 and {MAX_STEPS}; got {steps!r}")
    trained = load_model(run_dir, checkpoint, tasks=("forecast",))
    config = trained.config
    lookback = config["forecast"]["lookback"]
    values, name = read_series(path, column)
    if len(values) < lookback:
        raise ValueError(f"{path}: {len(values)} values; the model reads the last {lookback} (forecast.lookback), "
                         f"so the series needs at least {lookback}")
    training = data.load(config["data"]["name"], **config["data"].get("options", {})).train
    mean, scale = float(training.mean()), float(training.std())
    rolled = list(values[-lookback:])
    for _ in range(steps):  # the run's own one-step forecast of the value after the window, fed back
        rolled += one_step_forecasts(trained.T, trained.model, np.asarray(rolled), range(len(rolled), len(rolled) + 1),
                                     lookback, mean, scale, config["forecast"]["inputs"]).tolist()
    return {"input": str(path), "column": name, "values_read": int(len(values)), "lookback": lookback,
            "last_value": float(values[-1]), "next": [float(v) for v in rolled[lookback:]],
            "method": "one step" if steps == 1 else f"recursive ({steps} steps, each forecast fed back)"}
