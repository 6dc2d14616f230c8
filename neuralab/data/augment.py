"""Training-time augmentation on NumPy batches.

Augmentations take a batch and a ``numpy.random.Generator`` and return a new
batch; the Trainer hands them a generator derived from ``(seed, epoch)`` so that
an augmented run is reproducible and resumes exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift], zero-filling.

    x: (N, C, H, W) -> (N, C, H, W). A shift of 1-2 pixels is the classic MNIST
    augmentation: digits are centred by mass, so small moves keep them valid.
    """
    if max_shift <= 0:
        return x
    if x.ndim != 4:
        raise ValueError(f"random_shift expects images of shape (N, C, H, W); got {x.shape}")
    n, _, height, width = x.shape
    s = int(max_shift)
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)))
    # windows: (N, C, 2s+1, 2s+1, H, W), a view; pick one window per sample.
    windows = sliding_window_view(padded, (height, width), axis=(2, 3))
    dy = rng.integers(0, 2 * s + 1, size=n)
    dx = rng.integers(0, 2 * s + 1, size=n)
    return np.ascontiguousarray(windows[np.arange(n), :, dy, dx])


def random_hflip(x: np.ndarray, probability: float, rng: np.random.Generator) -> np.ndarray:
    """Mirror each image left-right with ``probability``. x: (N, C, H, W)."""
    if probability <= 0:
        return x
    flip = rng.random(len(x)) < probability
    out = x.copy()
    out[flip] = out[flip][..., ::-1]
    return out


@dataclass(frozen=True)
class ImageAugment:
    """The image augmentations a recipe can switch on (0 disables each)."""

    shift: int = 0
    hflip: float = 0.0

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = random_shift(x, self.shift, rng)
        return random_hflip(x, self.hflip, rng)

    @property
    def active(self) -> bool:
        return self.shift > 0 or self.hflip > 0
