"""Predictions of a trained classifier on a user's own files (``neuralab predict RUN FILE...``).

Each file is turned into one input exactly as the training data was prepared:

* image runs (MNIST, Fashion-MNIST, digits): any PNG/JPEG/... Pillow reads is converted to
  grey levels (or RGB for 3-channel models) in [0, 1]. MNIST's digits are light on dark; when
  a picture's border is the opposite of the training images' border (dark ink on white
  paper) its grey levels are flipped, ``x -> 1 - x``, and the result says so (``inverted``).
  MNIST and Fashion-MNIST pictures are then cropped to their ink, fitted in a 20x20 (26x26)
  box and centred by mass as those sets were made (``inference.drawing.center_like_mnist``);
  others are resized to the training size;
* tabular runs (iris, a user's CSV): a CSV whose rows are feature values (a header is skipped);
  for a run on a user's CSV a header naming its feature columns picks them (the label and other
  columns are ignored), so the training file itself can be given.

Then the run's own standardization (training mean and std) when it had one, the model, and
``softmax`` over the logits: the ``top`` classes with their probabilities.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from neuralab.data import pictures
from neuralab.data.splits import input_kind
from neuralab.inference.drawing import center_like_mnist
from neuralab.train.metrics import softmax
from neuralab.trained import load_classifier

MAX_PIXELS = pictures.MAX_PIXELS  # read at each call, so a caller (a test) may lower it
CENTRED_SETS = {"mnist": 20, "fashion-mnist": 26}  # data set -> the box its items were fitted in
BORDER = 2  # pixels of each edge whose mean decides light-on-dark or dark-on-light


def border_mean(images: np.ndarray) -> float:
    """Mean grey level of the ``BORDER``-pixel frame of images ``(..., H, W)``."""
    frame = np.ones(images.shape[-2:], dtype=bool)
    frame[BORDER:-BORDER, BORDER:-BORDER] = False
    return float(images[..., frame].mean())


def read_image(path: str | Path, shape: tuple[int, int, int], size: tuple[int, int] | None = None) -> np.ndarray:
    """One picture as a float32 ``(C, H', W')`` array in [0, 1]: ``C`` from ``shape = (C, H, W)``,
    resized to ``(H, W)``, or to ``size`` when given (``None``: ``(H, W)``; ``()``: as it is)."""
    channels, height, width = shape
    size = (height, width) if size is None else size
    return pictures.read_picture(path, channels, size or None, max_pixels=MAX_PIXELS)


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def read_feature_rows(path: str | Path, features: int, columns: tuple[str, ...] = ()) -> tuple[np.ndarray, list[int]]:
    """The rows of a CSV of ``features`` numbers each, as float32 ``(N, features)``, and their row
    numbers in the file; a first row without any number (a header) is skipped. When that header
    names every one of ``columns`` (a CSV run's feature columns), those columns are read, in that
    order, and the others (the label, ...) ignored: the training file itself can be given."""
    path = pictures.checked_file(path)
    rows, numbers, picked = [], [], None
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if picked is not None and len(row) == len(header):
                row = [row[i] for i in picked]
            cells = [cell.strip() for cell in row if cell.strip()]
            if not cells:
                continue
            values = [_number(cell) for cell in cells]
            if number == 1 and all(value is None for value in values):
                header = [cell.strip() for cell in row]
                if columns and all(name in header for name in columns):
                    picked = [header.index(name) for name in columns]
                continue  # a header: no cell is a number
            if len(values) != features or not all(value is not None and math.isfinite(value) for value in values):
                raise ValueError(f"{path}, row {number}: expected {features} finite numbers; got {row}")
            rows.append(values)
            numbers.append(number)
    if not rows:
        raise ValueError(f"{path}: no rows of {features} numbers")
    return np.asarray(rows, dtype=np.float32), numbers


def feature_columns(config: dict[str, Any]) -> tuple[str, ...]:
    """The feature column names of a run trained on a user's CSV (``data.name=csv``), else ``()``."""
    if config["data"]["name"] != "csv":
        return ()
    from neuralab.data import user_csv  # noqa: PLC0415

    options = config["data"].get("options", {})
    return user_csv.read(options["path"], options.get("label", "label"), options.get("features")).features


def predict_files(run_dir: str | Path, files: list[str | Path], top: int = 3, checkpoint: str = "best") -> list[dict[str, Any]]:
    """The ``top`` classes and probabilities for each input in ``files`` (one per picture, one per CSV row)."""
    if not files:
        raise ValueError("predict needs at least one file")
    trained = load_classifier(run_dir, checkpoint)
    raw = trained.raw_splits()
    shape = tuple(raw.input_shape)
    kind = input_kind(shape)
    inputs, names, inverted = [], [], []
    if kind == "image":
        image_shape = (1, *shape) if len(shape) == 2 else (1, *[math.isqrt(shape[0])] * 2) if len(shape) == 1 else shape
        training_border = border_mean(raw.train.x[:1000].reshape(-1, *image_shape[-2:]))
        centred = CENTRED_SETS.get(trained.config["data"]["name"]) if image_shape[0] == 1 else None
        for path in files:
            pixels = read_image(path, image_shape, size=() if centred else None)
            flip = abs(border_mean(pixels) - training_border) > 0.5
            pixels = 1.0 - pixels if flip else pixels
            if centred:
                pixels = center_like_mnist(pixels[0], fit=centred, size=image_shape[-1])[None]
            inputs.append(pixels.reshape(shape))
            names.append(str(path))
            inverted.append(flip)
        x = np.stack(inputs).astype(np.float32)
    else:
        features, columns = int(np.prod(shape)), feature_columns(trained.config)
        for path in files:
            rows, numbers = read_feature_rows(path, features, columns)
            inputs.append(rows.reshape(len(rows), *shape))
            names += [f"{path}, row {number}" for number in numbers]
            inverted += [False] * len(rows)
        x = np.concatenate(inputs)
    statistics = trained.standardization(raw.train.x)
    if statistics is not None:
        x = ((x - statistics[0]) / statistics[1]).astype(np.float32)
    probabilities = softmax(trained.logits(x))
    order = np.argsort(-probabilities, axis=1)[:, :top]
    return [{"input": name, "top": [{"class": raw.classes[k], "probability": float(p[k])} for k in ranks],
             **({"inverted": flip} if kind == "image" else {})}
            for name, p, ranks, flip in zip(names, probabilities, order, inverted)]
