"""Univariate time series for forecasting: the curriculum's synthetic stock and the yearly sunspots.

* ``stock``: 200 days, a linear trend from 100 to 150 plus ``10 sin(2 pi t / 30)`` plus
  N(0, 3^2) noise drawn with seed 42 (seed-inventory, lesson 6780); the first 150 days
  train, the last 50 are held out.
* ``sunspots``: yearly mean sunspot numbers 1700-2008 (309 values, an ~11-year cycle) as
  shipped offline by statsmodels (``statsmodels.api.datasets.sunspots``, public domain,
  needs ``pip install statsmodels``: the ``data`` extra); the last 30 years are held out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from neuralab.data.cache import SourceUnavailableError
from neuralab.data.checksums import sha256_bytes
from neuralab.data.splits import FetchInfo


@dataclass(frozen=True)
class Series:
    """``values`` (float64, ``(T,)``); the first ``train_size`` are for training, the rest held out.
    ``period`` is the season a seasonal-naive forecast repeats; ``index`` labels each value."""

    name: str
    values: np.ndarray
    train_size: int
    period: int
    index: np.ndarray
    source: str
    sha256: str

    @property
    def train(self) -> np.ndarray:
        return self.values[:self.train_size]

    @property
    def test(self) -> np.ndarray:
        return self.values[self.train_size:]


def stock(*, n: int = 200, n_test: int = 50, seed: int = 42, noise: float = 3.0, period: int = 30) -> Series:
    """The synthetic stock price: ``linspace(100, 150, n) + 10 sin(2 pi t / period) + N(0, noise^2)``."""
    if not 0 < n_test < n:
        raise ValueError(f"stock needs 0 < n_test < n; got n_test={n_test}, n={n}")
    t = np.arange(n)
    values = np.linspace(100.0, 150.0, n) + 10.0 * np.sin(2 * np.pi * t / period) + np.random.default_rng(seed).normal(0.0, noise, n)
    return Series("stock", values, n - n_test, period, t.astype(np.float64), f"generated (seed {seed})", sha256_bytes(values.tobytes()))


def sunspots(*, n_test: int = 30) -> Series:
    """Yearly sunspot numbers 1700-2008 from statsmodels; the last ``n_test`` years held out."""
    try:
        from statsmodels.datasets import sunspots as source  # noqa: PLC0415 - optional dependency
    except ImportError as error:
        raise SourceUnavailableError("the sunspots series ships with statsmodels: pip install 'neuralab[data]' "
                                     "(or pip install statsmodels)") from error
    frame = source.load_pandas().data
    values = frame["SUNACTIVITY"].to_numpy(dtype=np.float64)
    years = frame["YEAR"].to_numpy(dtype=np.float64)
    if not 0 < n_test < len(values):
        raise ValueError(f"sunspots needs 0 < n_test < {len(values)}; got {n_test}")
    return Series("sunspots", values, len(values) - n_test, 11, years, "statsmodels.datasets.sunspots (yearly, 1700-2008)",
                  sha256_bytes(values.tobytes()))


def fetch_stock(**_: object) -> FetchInfo:
    start = time.perf_counter()
    series = stock()
    return FetchInfo(name="stock", action="generated", source=series.source,
                     counts={"train": series.train_size, "test": len(series.test)}, unit="days", seconds=time.perf_counter() - start)


def fetch_sunspots(**_: object) -> FetchInfo:
    start = time.perf_counter()
    series = sunspots()
    return FetchInfo(name="sunspots", action="bundled", source=series.source,
                     counts={"train": series.train_size, "test": len(series.test)}, unit="years", seconds=time.perf_counter() - start)
