"""The types every loader returns: :class:`Split`, :class:`Splits`, :class:`FetchInfo`,
the fixed stratified split used by the small tabular sets, and :func:`input_kind`: what
one input is (an image, a point of the plane, a row of features)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np


MIN_FLAT_IMAGE = 64  # a flat input of a square length at least this (8x8) is taken for an image


def input_kind(input_shape: tuple[int, ...]) -> str:
    """What one input of ``input_shape`` is, by its shape alone: the one rule every figure follows.

    ``"image"``: an explicit image shape (two or more axes: ``(1, 28, 28)``, ``(8, 8)``) or a flat
    vector whose length is a square of at least 64 (``(784,)``); ``"points"``: two numbers, a point
    of the plane (the toy sets); ``"tabular"``: any other flat vector of features (iris's 4).
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) >= 2:
        return "image"
    size = shape[0] if shape else 1
    if size == 2:
        return "points"
    if size >= MIN_FLAT_IMAGE and math.isqrt(size) ** 2 == size:
        return "image"
    return "tabular"


@dataclass(frozen=True, eq=False)
class Split:
    """One split: inputs ``x`` (float32, ``(N, ...)``) and labels ``y`` (int64, ``(N,)``).

    It is a map-style dataset: ``len(split)`` is N and ``split[i]`` is ``(x[i], y[i])``,
    so it plugs into ``torch.utils.data.DataLoader`` and the scratch engine's loader.
    For the whole arrays use ``split.x`` and ``split.y``.
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"Split got {len(self.x)} inputs but {len(self.y)} labels")

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index):
        return self.x[index], self.y[index]

    def __repr__(self) -> str:
        return f"Split(x={self.x.dtype}{list(self.x.shape)}, y={self.y.dtype}{list(self.y.shape)})"


@dataclass(frozen=True, eq=False)
class Splits:
    """A dataset's fixed train/validation/test splits and what they are.

    ``classes`` names each label (``y == i`` is ``classes[i]``), ``input_shape`` is the
    shape of one input (``(1, 28, 28)`` for MNIST), ``source`` says where the data came
    from and ``sha256`` maps each verified file (or content) to its checksum.
    """

    train: Split
    val: Split
    test: Split
    name: str
    classes: tuple[str, ...]
    input_shape: tuple[int, ...]
    source: str
    sha256: dict[str, str] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_kind(self) -> str:
        """``"image"``, ``"points"`` or ``"tabular"``: :func:`input_kind` of ``input_shape``."""
        return input_kind(self.input_shape)

    def map(self, transform: Callable[[np.ndarray], np.ndarray]) -> "Splits":
        """New splits with ``transform`` applied to each split's ``x``."""
        train, val, test = (Split(transform(s.x), s.y) for s in (self.train, self.val, self.test))
        return dataclasses.replace(self, train=train, val=val, test=test, input_shape=tuple(train.x.shape[1:]))

    def __repr__(self) -> str:
        return (f"Splits({self.name!r}: train {len(self.train):,}, val {len(self.val):,}, "
                f"test {len(self.test):,}; input {self.input_shape}, {self.num_classes} classes)")


@dataclass(frozen=True)
class FetchInfo:
    """What :func:`neuralab.data.fetch` did for one dataset.

    ``action`` is one of ``cached`` (obtained now), ``already cached``, ``rebuilt``
    (the cache was corrupt), ``bundled`` (ships with a package, nothing to cache) or
    ``generated`` (toy set, made on each load). ``files`` lists ``(name, bytes, sha256)``.
    """

    name: str
    action: str
    source: str
    counts: dict[str, int]
    unit: str = "samples"
    path: Path | None = None
    files: tuple[tuple[str, int, str], ...] = ()
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def stratified_indices(y: np.ndarray, val_fraction: float, test_fraction: float,
                       seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixed stratified split: per class, a seeded permutation gives the first
    ``round(test_fraction * n_c)`` samples to test, the next ``round(val_fraction * n_c)``
    to validation, the rest to train. Returns sorted index arrays (train, val, test)."""
    if not (0 <= val_fraction and 0 <= test_fraction and val_fraction + test_fraction < 1):
        raise ValueError(f"val_fraction + test_fraction must be in [0, 1), got {val_fraction} + {test_fraction}")
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        n_test = round(test_fraction * len(members))
        n_val = round(val_fraction * len(members))
        parts[2].append(members[:n_test])
        parts[1].append(members[n_test:n_test + n_val])
        parts[0].append(members[n_test + n_val:])
    train, val, test = (np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
    return train, val, test


def stratified_splits(name: str, x: np.ndarray, y: np.ndarray, classes, source: str, digest: str, *,
                      seed: int, val_fraction: float, test_fraction: float) -> Splits:
    """:class:`Splits` of ``x`` ``(N, ...)`` and labels ``y`` ``(N,)`` by :func:`stratified_indices`;
    ``digest`` is the content's SHA-256 (``sha256={"content": digest}``)."""
    train, val, test = stratified_indices(y, val_fraction, test_fraction, seed)
    return Splits(
        train=Split(x[train], y[train]), val=Split(x[val], y[val]), test=Split(x[test], y[test]),
        name=name, classes=tuple(classes), input_shape=tuple(x.shape[1:]), source=source,
        sha256={"content": digest},
    )
