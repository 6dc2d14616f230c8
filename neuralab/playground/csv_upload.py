"""Uploaded CSV points: two feature columns and a label or target column. Parsed as text only.

    x1,x2,label        (an optional header line: any line whose fields are not all numbers)
    0.5,-1.2,1
    ...

Integer labels with at most ``max_classes`` distinct values make a classification set
(labels remapped to 0..k-1 in sorted order, so -1/1 becomes 0/1); anything else a regression.
Features are scaled into TF Playground's plane (|x| <= 5) when they reach beyond 6, so the
view's grid covers them; the scale is reported.
"""

from __future__ import annotations

import math

import numpy as np

from neuralab.playground.errors import PlaygroundError
from neuralab.playground.limits import LIMITS


def _text(data: bytes) -> str:
    if not isinstance(data, (bytes, bytearray)):
        raise PlaygroundError(f"upload: expected the file's bytes, got {type(data).__name__}")
    if len(data) > LIMITS["max_upload_bytes"]:
        raise PlaygroundError(f"upload: expected at most {LIMITS['max_upload_bytes']:,} bytes, got {len(data):,}")
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PlaygroundError(f"upload: expected UTF-8 text, got a byte that is not (at offset {error.start})") from None


def _number(field: str) -> float | None:
    try:
        value = float(field)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_csv_upload(data: bytes) -> dict:
    """Points of an uploaded CSV: ``{"points": [[x1, x2, label], ...], "problem", "classes",
    "scale", "settings"}``; ``settings`` is the change to pass to ``Playground.update``."""
    rows, seen_line = [], False
    for number, line in enumerate(_text(data).splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in line.replace(";", ",").replace("\t", ",").split(",")]
        if len(fields) != 3:
            raise PlaygroundError(f"upload line {number}: expected 3 columns (x1, x2, label), got {len(fields)}: "
                                  f"{line[:60]!r}")
        values = [_number(field) for field in fields]
        first, seen_line = not seen_line, True
        if any(value is None for value in values):
            if first:
                continue   # the header line
            bad = fields[values.index(None)]
            raise PlaygroundError(f"upload line {number}: expected three finite numbers, got {bad[:30]!r}")
        rows.append(values)
        if len(rows) > LIMITS["max_points"]:
            raise PlaygroundError(f"upload: expected at most {LIMITS['max_points']} points, got more (line {number})")
    if len(rows) < 2:
        raise PlaygroundError(f"upload: expected at least 2 data lines of x1, x2, label, got {len(rows)}")
    table = np.asarray(rows, dtype=np.float64)
    labels = table[:, 2]
    distinct = np.unique(labels)
    classification = bool(np.all(labels == np.round(labels)) and len(distinct) <= LIMITS["max_classes"])
    if classification:
        labels = np.searchsorted(distinct, labels).astype(np.float64)
    reach = float(np.abs(table[:, :2]).max())
    scale = 5.0 / reach if reach > 6 else 1.0
    points = np.column_stack([table[:, :2] * scale, labels])
    problem = "classification" if classification else "regression"
    key = "dataset" if classification else "regDataset"
    return {"points": points.tolist(), "problem": problem, "classes": int(len(distinct)) if classification else 0,
            "scale": scale, "settings": {"problem": problem, key: "upload", "points": points.tolist()}}
