"""A drawn or dropped picture turned into an input like MNIST's, with clear errors for bad ones.

MNIST's digits were size-normalised to fit a 20x20 box (aspect kept) and then placed in the
28x28 field with their centre of mass at the centre (LeCun et al.'s description of the set).
A digit drawn on the lab's canvas gets the same treatment, so a small digit in a corner reads
as it would on paper. Fashion-MNIST's items fill the frame instead (``fit=26``).

* ``pixels_from_list(values, size)``: the page's ``size*size`` grey levels in [0, 1] (ink = 1);
* ``pixels_from_png(data)``: a PNG's bytes (at most ``MAX_PNG_BYTES``, ``MAX_SIDE`` pixels a side),
  grey levels; dark ink on a light background is flipped to light on dark;
* ``center_like_mnist(image, fit)``: crop to the ink, scale to fit ``fit x fit``, centre by mass.
"""

from __future__ import annotations

import io
import math

import numpy as np

SIZE = 28
MAX_PNG_BYTES = 2_000_000
MAX_SIDE = 2048
INK = 0.05  # grey level above which a pixel counts as ink


class DrawingError(ValueError):
    """A drawn or dropped input that cannot be used; the message says what was expected."""


def pixels_from_list(values, size: int = SIZE) -> np.ndarray:
    """``size*size`` numbers in [0, 1] (row by row) as a float32 ``(size, size)`` image."""
    if not isinstance(values, (list, tuple)):
        raise DrawingError(f"expected a list of {size * size} grey levels in [0, 1]; got {type(values).__name__}")
    if len(values) != size * size:
        raise DrawingError(f"expected {size * size} grey levels ({size}x{size}); got {len(values)}")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1 for v in values):
        bad = next(v for v in values if not (isinstance(v, (int, float)) and not isinstance(v, bool)
                                             and math.isfinite(v) and 0 <= v <= 1))
        raise DrawingError(f"grey levels must be numbers in [0, 1]; got {bad!r}")
    return np.asarray(values, dtype=np.float32).reshape(size, size)


def pixels_from_png(data: bytes) -> np.ndarray:
    """A PNG's grey levels in [0, 1] as float32 ``(H, W)``, light ink on dark (flipped when the border is light)."""
    from PIL import Image  # noqa: PLC0415 - Pillow comes with matplotlib

    if not data:
        raise DrawingError("the dropped file is empty: expected a PNG picture")
    if len(data) > MAX_PNG_BYTES:
        raise DrawingError(f"the dropped file is {len(data):,} bytes; the limit is {MAX_PNG_BYTES:,}")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise DrawingError("the dropped file is not a PNG (its first bytes are not the PNG signature)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if max(image.size) > MAX_SIDE:
                raise DrawingError(f"the PNG is {image.width}x{image.height} pixels; at most {MAX_SIDE} a side")
            grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except DrawingError:
        raise
    except Exception as error:  # Pillow raises many kinds for a damaged file
        raise DrawingError(f"the PNG cannot be decoded ({type(error).__name__}: {error})") from None
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 1.0 - grey if border.mean() > 0.5 else grey


def center_like_mnist(image: np.ndarray, fit: int = 20, size: int = SIZE) -> np.ndarray:
    """Crop ``image`` to its ink, scale it to fit ``fit x fit`` (aspect kept), and place it in
    ``size x size`` with its centre of mass at the centre. A blank image stays blank."""
    from PIL import Image  # noqa: PLC0415

    image = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    rows, cols = np.nonzero(image > INK)
    if not len(rows):
        return np.zeros((size, size), dtype=np.float32)
    crop = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = fit / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    resized = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    total = resized.sum()
    ys, xs = np.indices(resized.shape)
    cy, cx = (ys * resized).sum() / total, (xs * resized).sum() / total
    top = int(round(size / 2 - cy - 0.5))
    left = int(round(size / 2 - cx - 0.5))
    top = min(max(top, 0), size - height)
    left = min(max(left, 0), size - width)
    out = np.zeros((size, size), dtype=np.float32)
    out[top:top + height, left:left + width] = resized
    return np.clip(out, 0.0, 1.0)
