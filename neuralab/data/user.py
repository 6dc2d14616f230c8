"""A user's own classification data (``csv``, ``folder``, ``npz``): what the readers share.

Each reader (:mod:`user_csv`, :mod:`user_images`, :mod:`user_arrays`) turns a file or folder into
a :class:`UserData` (inputs, raw label values, notes on what it met); :func:`to_splits` then
gives it the built-in sets' treatment:

* classes are the distinct label values, sorted (as numbers when every value is one), and
  ``y == i`` is ``classes[i]``; at least two classes are needed;
* the split is the small sets' fixed stratified one (:func:`stratified_indices`: per class a
  permutation seeded by ``seed``, ``test_fraction`` to test, ``val_fraction`` to validation),
  unless the data bring their own test part (npz ``x_test``/``y_test``);
* the content's SHA-256 (:func:`array_sha256` of ``x`` and ``y``) is recorded in
  ``Splits.sha256``, and checked against the ``sha256`` option when one is given, as the
  built-in sets are checked against their recorded checksums.

:func:`describe` is what ``neuralab data inspect PATH`` prints: kind, counts, classes, shape,
splits and the problems found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neuralab.data.checksums import ChecksumError, array_sha256
from neuralab.data.splits import Split, Splits, input_kind, stratified_indices, stratified_splits

VAL_FRACTION, TEST_FRACTION = 0.1, 0.2  # as the scikit-learn sets
MAX_DATA_BYTES = 512 * 2**20  # a larger CSV or npz is refused before it is read
FEW = 5  # a class with fewer examples than this is reported


@dataclass(frozen=True)
class UserData:
    """What a reader found: ``x`` float32 ``(N, ...)``, ``labels`` the raw label values ``(N,)``
    (strings), ``unit`` what one example is (``row``, ``picture``, ``example``), optional
    ``x_test``/``labels_test`` given by the data, ``features`` (column names of a CSV) and
    ``notes`` (problems that do not stop loading)."""

    kind: str
    path: Path
    x: np.ndarray
    labels: np.ndarray
    unit: str
    x_test: np.ndarray | None = None
    labels_test: np.ndarray | None = None
    features: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _sort_key(value: str):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def class_names(*label_arrays: np.ndarray) -> tuple[str, ...]:
    """The distinct label values, sorted as numbers when they are numbers (``2 < 10``), else as text."""
    values = set()
    for labels in label_arrays:
        if labels is not None:
            values.update(str(v) for v in np.unique(labels))
    return tuple(sorted(values, key=_sort_key))


def to_splits(data: UserData, *, seed: int = 0, val_fraction: float = VAL_FRACTION,
              test_fraction: float = TEST_FRACTION, sha256: str | None = None) -> Splits:
    """The fixed, seeded, stratified :class:`Splits` of ``data`` (see the module docstring)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    for name, fraction in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise ValueError(f"{name} must be a number in [0, 1); got {fraction!r}")
    classes = class_names(data.labels, data.labels_test)
    if len(classes) < 2:
        raise ValueError(f"{data.path}: one class only ({classes[0]!r} in all {len(data.labels)} {data.unit}s); "
                         "a classifier needs examples of at least two classes")
    index = {name: i for i, name in enumerate(classes)}
    y = np.array([index[str(v)] for v in data.labels], dtype=np.int64)
    source = f"{data.kind} {data.path}"
    if data.x_test is None:
        digest = array_sha256(data.x, y)
        _check_digest(data.path, sha256, digest)
        return stratified_splits(data.kind, data.x, y, classes, source, digest,
                                 seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
    unseen = sorted(set(map(str, data.labels_test)) - set(map(str, data.labels)), key=_sort_key)
    if unseen:
        raise ValueError(f"{data.path}: y_test holds classes that y has no example of: {', '.join(unseen)}")
    y_test = np.array([index[str(v)] for v in data.labels_test], dtype=np.int64)
    digest = array_sha256(data.x, y, data.x_test, y_test)
    _check_digest(data.path, sha256, digest)
    train, val, _ = stratified_indices(y, val_fraction, 0.0, seed)
    return Splits(train=Split(data.x[train], y[train]), val=Split(data.x[val], y[val]), test=Split(data.x_test, y_test),
                  name=data.kind, classes=classes, input_shape=tuple(data.x.shape[1:]), source=source,
                  sha256={"content": digest})


def checked_path(path: Any, kind: str, expected: str) -> Path:
    """The ``path`` option of dataset ``kind`` as a Path; a missing or non-text one says what to set."""
    if not path or not isinstance(path, (str, Path)):
        raise ValueError(f"the {kind} dataset reads your own data: set data.options.path={expected} (got {path!r})")
    return Path(path)


def _check_digest(path: Path, expected: str | None, found: str) -> None:
    if expected is not None and str(expected).lower() != found:
        raise ChecksumError(path, str(expected), found, "the data changed since that checksum was recorded")


def split_notes(splits: Splits) -> list[str]:
    """Problems of the split that do not stop training: rare classes, classes absent from a split,
    a strong imbalance."""
    notes = []
    counts = np.bincount(np.concatenate([splits.train.y, splits.val.y, splits.test.y]), minlength=splits.num_classes)
    for part in ("val", "test"):
        if len(getattr(splits, part)) == 0:
            notes.append(f"the {part} split is empty (raise {part}_fraction or add data)")
    for i, name in enumerate(splits.classes):
        missing = [part for part in ("train", "val", "test") if len(getattr(splits, part)) and not np.any(getattr(splits, part).y == i)]
        if counts[i] < FEW or missing:
            notes.append(f"class {name!r} has {counts[i]} examples" + (f": none in {', '.join(missing)}" if missing else ""))
    if counts.min() and counts.max() / counts.min() > 10:
        notes.append(f"classes are imbalanced: {counts.max()} examples of the largest, {counts.min()} of the smallest")
    return notes


def describe(data: UserData, splits: Splits, options: dict[str, Any]) -> dict[str, Any]:
    """What would be loaded, as a JSON-ready dict (``neuralab data inspect``)."""
    split_counts = {part: np.bincount(getattr(splits, part).y, minlength=splits.num_classes) for part in ("train", "val", "test")}
    return {
        "kind": data.kind,
        "path": str(data.path),
        "examples": len(data.x) + (len(data.x_test) if data.x_test is not None else 0),
        "unit": data.unit,
        "features": list(data.features),
        "input_shape": list(splits.input_shape),
        "input_kind": input_kind(splits.input_shape),
        "classes": {name: {part: int(split_counts[part][i]) for part in split_counts} for i, name in enumerate(splits.classes)},
        "splits": {part: len(getattr(splits, part)) for part in ("train", "val", "test")},
        "test_from": "x_test/y_test" if data.x_test is not None else "stratified split",
        "options": options,
        "sha256": splits.sha256["content"],
        "problems": [*data.notes, *split_notes(splits)],
    }
