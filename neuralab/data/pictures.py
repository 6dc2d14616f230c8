"""A user's picture files read safely: size limits first, then Pillow, then a float array in [0, 1].

Both ``neuralab predict`` (one picture per input) and the ``folder`` dataset (a folder of class
sub-folders) read pictures here, so a file is turned into pixels one way everywhere:

    file -> checked (exists, not empty, at most MAX_FILE_BYTES, at most MAX_PIXELS once decoded)
         -> Pillow -> grey ("L") or RGB -> optional resize (Lanczos) -> float32 / 255, (C, H, W)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAX_FILE_BYTES = 50 * 2**20  # a larger file is refused before it is read
MAX_PIXELS = 40_000_000  # ... and one that would decode to more pixels than this (a decompression bomb)
GREY_MODES = ("1", "L", "LA", "I", "I;16", "F")  # Pillow modes without colour


def checked_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Path:
    """``path`` as a Path once it is known to be a non-empty file of at most ``max_bytes``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path}: the file is empty")
    if size > max_bytes:
        raise ValueError(f"{path}: {size / 2**20:.0f} MiB is too large (at most {max_bytes // 2**20} MiB)")
    return path


def _pillow():
    from PIL import Image  # noqa: PLC0415 - Pillow comes with matplotlib

    return Image


def _unreadable(path: Path, error: Exception) -> ValueError:
    return ValueError(f"{path}: not a picture that can be read (PNG, JPEG, BMP, ...): {error}")


def picture_header(path: str | Path, max_pixels: int = MAX_PIXELS) -> tuple[int, int, bool]:
    """``(height, width, is_grey)`` of a picture, from its header only (nothing is decoded)."""
    image_module = _pillow()
    path = checked_file(path)
    try:
        with image_module.open(path) as image:
            width, height, mode = image.width, image.height, image.mode
    except (image_module.UnidentifiedImageError, image_module.DecompressionBombError, OSError, SyntaxError) as error:
        raise _unreadable(path, error) from error
    if width * height > max_pixels:
        raise ValueError(f"{path}: {width}x{height} pixels is too large (at most {max_pixels:,} pixels)")
    return height, width, mode in GREY_MODES


def read_picture(path: str | Path, channels: int, size: tuple[int, int] | None = None,
                 max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """One picture as float32 ``(channels, H, W)`` in [0, 1]: grey for ``channels = 1``, RGB for 3,
    resized to ``size = (H, W)`` when given (else as it is)."""
    image_module = _pillow()
    path = checked_file(path)
    if channels not in (1, 3):
        raise ValueError(f"the model takes {channels}-channel images; only grey (1) and RGB (3) pictures can be read")
    try:
        with image_module.open(path) as image:
            if image.width * image.height > max_pixels:
                raise ValueError(f"{path}: {image.width}x{image.height} pixels is too large (at most {max_pixels:,} pixels)")
            image = image.convert("L" if channels == 1 else "RGB")
            if size:
                image = image.resize((size[1], size[0]), image_module.Resampling.LANCZOS)
            pixels = np.asarray(image, dtype=np.float32) / 255.0
    except (image_module.UnidentifiedImageError, image_module.DecompressionBombError, OSError, SyntaxError) as error:
        raise _unreadable(path, error) from error
    pixels = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
    return np.clip(pixels, 0.0, 1.0)
