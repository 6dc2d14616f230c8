"""Heatmaps over the plane as compact bytes: a grid of points and a uint8 encoding.

Row 0 of every heatmap is the top of the plane (``ymax``), column 0 its left (``xmin``),
as in TF Playground. A value ``v`` in ``[lo, hi]`` becomes the byte
``round(255 (v - lo) / (hi - lo))`` (clamped), sent base64-encoded.
"""

from __future__ import annotations

import base64

import numpy as np


def grid(extent, size: int) -> np.ndarray:
    """Cell centres ``(size * size, 2)`` of a ``size`` x ``size`` grid, row-major from the top left."""
    xmin, xmax, ymin, ymax = extent
    xs = np.linspace(xmin, xmax, size)
    ys = np.linspace(ymax, ymin, size)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], 1)


def to_bytes(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """uint8 of ``values`` mapped from ``[lo, hi]`` onto 0..255 (clamped)."""
    span = hi - lo if hi > lo else 1.0
    scaled = np.clip((np.asarray(values, dtype=np.float64) - lo) / span, 0.0, 1.0)
    return np.rint(scaled * 255).astype(np.uint8)


def encode(values: np.ndarray, lo: float, hi: float) -> str:
    """Base64 text of :func:`to_bytes`."""
    return base64.b64encode(to_bytes(values, lo, hi).tobytes()).decode("ascii")


def encode_bytes(data: np.ndarray) -> str:
    """Base64 text of a uint8 array (e.g. a class-index map)."""
    return base64.b64encode(np.ascontiguousarray(data, dtype=np.uint8).tobytes()).decode("ascii")


def encode_channels(values: np.ndarray, lo: float, hi: float) -> list[str]:
    """One base64 heatmap per channel of ``values`` ``(rows, cols, C)``, all mapped from ``[lo, hi]``
    in one pass (a wide layer has dozens of neurons per frame)."""
    data = np.ascontiguousarray(np.moveaxis(to_bytes(values, lo, hi), 2, 0))   # (C, rows, cols)
    return [base64.b64encode(channel.tobytes()).decode("ascii") for channel in data]


def decode(text: str, shape) -> np.ndarray:
    """The uint8 array of a base64 heatmap (for tests and tools)."""
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).reshape(shape)


def block_mean(values: np.ndarray, size: int, factor: int) -> np.ndarray:
    """``(size * size, C)`` grid values averaged over ``factor`` x ``factor`` blocks:
    ``(size // factor, size // factor, C)`` (TF's reduceMatrix)."""
    channels = values.shape[1]
    small = size // factor
    blocks = values.reshape(small, factor, small, factor, channels)
    return blocks.mean(axis=(1, 3))
