"""``data.name=csv``: a CSV file of named feature columns and a label column.

    species,sepal_length,sepal_width        <- row 1: the header names every column
    setosa,5.1,3.5                          <- rows 2..: one example each
    ...

* ``label`` (default ``"label"``) names the label column; its values are the class names;
* ``features`` (default: every other column) names the input columns, a list or a
  comma-separated string; every cell there must be a finite number;
* the delimiter is ``,`` ``;`` or a tab (read from the header); blank lines are skipped.

The inputs are the raw values, float32 ``(N, features)``; recipes standardize them with the
training split's mean and standard deviation (``data.standardize: true``, as ``iris-mlp``).
Bad data stop loading with one line naming the file, row and column.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from neuralab.data.pictures import checked_file
from neuralab.data.splits import Splits
from neuralab.data.user import MAX_DATA_BYTES, TEST_FRACTION, VAL_FRACTION, UserData, checked_path, to_splits


def _feature_list(features) -> list[str] | None:
    if features is None:
        return None
    if isinstance(features, str):
        features = features.split(",")
    if not isinstance(features, (list, tuple)) or not all(isinstance(f, str) for f in features):
        raise ValueError(f"features must be a list of column names or a comma-separated string; got {features!r}")
    return [f.strip() for f in features if f.strip()]


def _rows(path: Path):
    """``(line number, cells)`` of each non-blank row, the header first."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            first = handle.readline()
            try:
                dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
            except csv.Error:
                dialect = csv.excel
            handle.seek(0)
            reader = csv.reader(handle, dialect)
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, [cell.strip() for cell in cells]
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a text CSV file (it is not UTF-8: {error.reason} at byte {error.start})") from error
    except csv.Error as error:
        raise ValueError(f"{path}: not a readable CSV file ({error})") from error


def read(path: str | Path, label: str = "label", features=None) -> UserData:
    """The examples of the CSV at ``path`` (see the module docstring)."""
    path = checked_file(path, MAX_DATA_BYTES)
    rows = _rows(path)
    header_line, header = next(rows, (0, []))
    if not header:
        raise ValueError(f"{path}: no header row naming the columns")
    if len(set(header)) != len(header):
        doubled = sorted({name for name in header if header.count(name) > 1})
        raise ValueError(f"{path}, row {header_line}: the header names column {doubled[0]!r} twice")
    if label not in header:
        raise ValueError(f"{path}: no label column {label!r} (columns: {', '.join(header)}); "
                         "name it with data.options.label=COLUMN")
    wanted = _feature_list(features)
    if wanted is None:
        wanted = [name for name in header if name != label]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise ValueError(f"{path}: no feature column {missing[0]!r} (columns: {', '.join(header)})")
    if label in wanted:
        raise ValueError(f"{path}: the label column {label!r} cannot also be a feature")
    if not wanted:
        raise ValueError(f"{path}: no feature columns besides the label {label!r}")
    label_at, feature_at = header.index(label), [header.index(name) for name in wanted]
    values, labels = [], []
    for line, cells in rows:
        if len(cells) != len(header):
            raise ValueError(f"{path}, row {line}: {len(cells)} cells; the header names {len(header)} columns")
        if not cells[label_at]:
            raise ValueError(f"{path}, row {line}, column {label!r}: the label is empty")
        row = []
        for name, at in zip(wanted, feature_at):
            cell = cells[at]
            try:
                number = float(cell)
            except ValueError:
                what = "is empty (fill in or remove the row)" if not cell else f"{cell!r} is not a number"
                raise ValueError(f"{path}, row {line}, column {name!r}: {what}") from None
            if not math.isfinite(number):
                raise ValueError(f"{path}, row {line}, column {name!r}: {cell!r} is not a finite number")
            row.append(number)
        values.append(row)
        labels.append(cells[label_at])
    if not values:
        raise ValueError(f"{path}: a header but no data rows")
    x = np.asarray(values, dtype=np.float32)
    constant = [name for name, column in zip(wanted, x.T) if np.all(column == column[0])]
    notes = tuple(f"column {name!r} is the same in every row (it carries no information)" for name in constant)
    return UserData("csv", path, x, np.asarray(labels), "row", features=tuple(wanted), notes=notes)


def load(*, path: str | None = None, label: str = "label", features=None, seed: int = 0,
         val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION, sha256: str | None = None) -> Splits:
    """A CSV of named feature columns and a label column as fixed stratified splits
    (see :mod:`neuralab.data.user`); ``path`` is required."""
    return to_splits(read(checked_path(path, "csv", "FILE.csv"), label, features), seed=seed, val_fraction=val_fraction,
                     test_fraction=test_fraction, sha256=sha256)
