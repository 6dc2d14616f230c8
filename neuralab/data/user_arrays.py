"""``data.name=npz``: NumPy arrays ``x`` and ``y`` in one ``.npz`` file (``np.savez``), optionally
``x_test`` and ``y_test`` as the test split.

* ``x``: numbers ``(N, features)``, ``(N, H, W)`` (grey images, given a channel axis:
  ``(N, 1, H, W)``) or ``(N, C, H, W)``; ``(N, H, W, C)`` with C = 1 or 3 is moved to
  channels-first. ``uint8`` values are divided by 255 (pictures' 0..255 -> [0, 1]); others are
  kept as they are (float32);
* ``y``: class labels ``(N,)``, integers or strings; they name the classes;
* the file is opened with ``allow_pickle=False``: object arrays are refused, never unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from neuralab.data.pictures import checked_file
from neuralab.data.splits import Splits
from neuralab.data.user import MAX_DATA_BYTES, TEST_FRACTION, VAL_FRACTION, UserData, checked_path, to_splits

KEYS = ("x", "y", "x_test", "y_test")


def _inputs(path: Path, key: str, x: np.ndarray, notes: list[str]) -> np.ndarray:
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{path}: {key} must hold numbers; got dtype {x.dtype}")
    if x.ndim < 2 or x.ndim > 4:
        raise ValueError(f"{path}: {key} must be (N, features), (N, H, W) or (N, C, H, W); got shape {x.shape}")
    if x.dtype == np.uint8:
        x = x / 255.0
        notes.append(f"{key} is uint8: divided by 255")
    x = x.astype(np.float32)
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[3] in (1, 3) and x.shape[1] not in (1, 3):
        x = x.transpose(0, 3, 1, 2)
        notes.append(f"{key} is (N, H, W, C): moved to (N, C, H, W)")
    bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
    if bad.size:
        raise ValueError(f"{path}: {key}[{bad[0]}] holds NaN or infinity ({bad.size} examples do)")
    return np.ascontiguousarray(x)


def _labels(path: Path, key: str, y: np.ndarray, n: int) -> np.ndarray:
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{path}: {key} must be one label per example, shape ({n},); got {y.shape}")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ValueError(f"{path}: {key} must hold class labels (integers or strings); got fractional numbers")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "biuU":
        raise ValueError(f"{path}: {key} must hold class labels (integers or strings); got dtype {y.dtype}")
    return np.asarray([str(v) for v in y.tolist()])


def read(path: str | Path) -> UserData:
    """The arrays of the ``.npz`` at ``path`` (see the module docstring)."""
    path = checked_file(path, MAX_DATA_BYTES)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path}: not a readable .npz of arrays ({error})") from error
    missing = [key for key in ("x", "y") if key not in arrays]
    if missing:
        raise ValueError(f"{path}: no array {missing[0]!r} (arrays: {', '.join(arrays) or 'none'}); "
                         "expected x and y, optionally x_test and y_test")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise ValueError(f"{path}: x_test and y_test come together; got only {'x_test' if 'x_test' in arrays else 'y_test'}")
    notes = [f"arrays {', '.join(k for k in arrays if k not in KEYS)} are not used"] if set(arrays) - set(KEYS) else []
    x = _inputs(path, "x", arrays["x"], notes)
    labels = _labels(path, "y", arrays["y"], len(x))
    x_test = labels_test = None
    if "x_test" in arrays:
        x_test = _inputs(path, "x_test", arrays["x_test"], notes)
        if x_test.shape[1:] != x.shape[1:]:
            raise ValueError(f"{path}: x_test examples are {x_test.shape[1:]}; x examples are {x.shape[1:]}")
        labels_test = _labels(path, "y_test", arrays["y_test"], len(x_test))
    return UserData("npz", path, x, labels, "example", x_test=x_test, labels_test=labels_test, notes=tuple(notes))


def load(*, path: str | None = None, seed: int = 0, val_fraction: float = VAL_FRACTION,
         test_fraction: float = TEST_FRACTION, sha256: str | None = None) -> Splits:
    """Arrays x, y (and optionally x_test, y_test) as fixed stratified splits (see
    :mod:`neuralab.data.user`; ``test_fraction`` is unused when the file has ``x_test``); ``path`` is required."""
    return to_splits(read(checked_path(path, "npz", "FILE.npz (arrays x and y)")), seed=seed, val_fraction=val_fraction,
                     test_fraction=test_fraction, sha256=sha256)
