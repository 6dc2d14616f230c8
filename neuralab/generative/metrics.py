"""Measures of generated 2-D samples, in NumPy (samples arrive as ``(N, 2)`` arrays).

Each function answers one question a learner asks of a generator: is the ring the right
size, is every part of it covered, how many modes of a mixture are there, how far are the
samples from the data manifold?
"""

from __future__ import annotations

import numpy as np


def _points(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
        raise ValueError(f"expected 2-D samples of shape (N, 2) with N >= 1; got shape {samples.shape}")
    return samples


def radius_stats(samples: np.ndarray, center=(0.0, 0.0)) -> tuple[float, float]:
    """Mean and standard deviation of the distance to ``center``."""
    radii = np.linalg.norm(_points(samples) - np.asarray(center, dtype=np.float64), axis=1)
    return float(radii.mean()), float(radii.std())


def angular_bin_fractions(samples: np.ndarray, bins: int = 16, center=(0.0, 0.0)) -> np.ndarray:
    """Fraction of samples in each of ``bins`` equal angular sectors around ``center``.

    Sector ``k`` holds the angles in ``[2 pi k / bins, 2 pi (k + 1) / bins)``; the
    fractions sum to 1. A ring drawn uniformly puts ``1 / bins`` in each.
    """
    shifted = _points(samples) - np.asarray(center, dtype=np.float64)
    angles = np.mod(np.arctan2(shifted[:, 1], shifted[:, 0]), 2 * np.pi)
    index = np.minimum((angles / (2 * np.pi) * bins).astype(np.int64), bins - 1)
    return np.bincount(index, minlength=bins) / len(shifted)


def mode_coverage(samples: np.ndarray, centers: np.ndarray, std: float, *, within_std: float = 3.0,
                  min_fraction: float = 0.05) -> dict[str, object]:
    """How many modes of a Gaussian mixture the samples cover.

    A sample belongs to mode ``j`` when it lies within ``within_std * std`` of centre ``j``;
    a mode is covered when at least ``min_fraction`` of all samples belong to it.
    Returns ``{"covered": int, "fractions": [per mode], "near_any": fraction within
    reach of some mode}`` (``near_any`` is the share of "good" samples).
    """
    points = _points(samples)
    centers = np.asarray(centers, dtype=np.float64)
    distances = np.linalg.norm(points[:, None, :] - centers[None, :, :], axis=2)  # (N, modes)
    close = distances < within_std * std
    fractions = close.mean(axis=0)
    return {"covered": int(np.count_nonzero(fractions >= min_fraction)),
            "fractions": [float(f) for f in fractions],
            "near_any": float(close.any(axis=1).mean())}


def mixture_centers(k: int, radius: float, angle_offset: float = 0.0) -> np.ndarray:
    """The ``k`` centres of :func:`neuralab.data.toy.gaussians`: mode ``j`` at angle
    ``2 pi j / k + angle_offset`` on a circle of ``radius``."""
    angles = 2 * np.pi * np.arange(k) / k + angle_offset
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def moons_curve(points_per_moon: int = 2000) -> np.ndarray:
    """A dense, noiseless trace of :func:`neuralab.data.toy.moons` (both half circles)."""
    t = np.linspace(0.0, np.pi, points_per_moon)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    return np.concatenate([upper, lower])


def distance_to_curve(samples: np.ndarray, curve: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Distance from each sample to the nearest point of ``curve`` (a dense ``(M, 2)`` trace).

    ``chunk`` samples at a time: the differences are a ``(chunk, M, 2)`` float64 temporary, 16 MB
    for the moons' 4,000-point trace (2,048 at a time made it 131 MB, and moons-ddpm's peak
    resident memory 628 MiB; bench/memory.py)."""
    points = _points(samples)
    curve = np.asarray(curve, dtype=np.float64)
    nearest = np.empty(len(points))
    for start in range(0, len(points), chunk):
        block = points[start:start + chunk]
        squared = ((block[:, None, :] - curve[None, :, :]) ** 2).sum(axis=2)
        nearest[start:start + chunk] = np.sqrt(squared.min(axis=1))
    return nearest


def distance_to_circle(samples: np.ndarray, radius: float, center=(0.0, 0.0)) -> np.ndarray:
    """``| |x - center| - radius |`` for each sample: the distance to the circle."""
    radii = np.linalg.norm(_points(samples) - np.asarray(center, dtype=np.float64), axis=1)
    return np.abs(radii - radius)


def manifold_distance(samples: np.ndarray, dataset: str, **shape) -> np.ndarray:
    """Distance of each sample to the noiseless shape of toy ``dataset`` (``ring`` with
    its ``radius``, or ``moons``)."""
    if dataset == "ring":
        return distance_to_circle(samples, shape.get("radius", 2.0))
    if dataset == "moons":
        return distance_to_curve(samples, moons_curve())
    raise ValueError(f"no data manifold known for {dataset!r}: expected 'ring' or 'moons'")
