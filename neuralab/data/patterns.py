"""16x16 pattern images for denoising: the curriculum's ``create_pattern_dataset`` (004:3780-3818).

Each image is one of four kinds, drawn at random: vertical stripes (width 2-4, spaced by
their width), horizontal stripes (the same), a checkerboard of 4x4 blocks, or a vertical
gradient (rows from 0 to 1). Pixels are in [0, 1]; the label is the kind.
:func:`add_noise` makes the noisy inputs: Gaussian noise clipped back to [0, 1].
"""

from __future__ import annotations

import time

import numpy as np

from neuralab.data.splits import FetchInfo, Split, Splits

KINDS = ("vertical", "horizontal", "checkerboard", "gradient")


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def pattern_image(kind: str, size: int = 16, stripe_width: int = 2, block: int = 4) -> np.ndarray:
    """One clean ``(size, size)`` float32 image of ``kind``."""
    image = np.zeros((size, size), dtype=np.float32)
    if kind == "vertical":
        for start in range(0, size, 2 * stripe_width):
            image[:, start:start + stripe_width] = 1
    elif kind == "horizontal":
        for start in range(0, size, 2 * stripe_width):
            image[start:start + stripe_width, :] = 1
    elif kind == "checkerboard":
        rows, cols = np.indices((size, size)) // block
        image[(rows + cols) % 2 == 0] = 1
    elif kind == "gradient":
        image[:] = np.linspace(0, 1, size, dtype=np.float32)[:, None]
    else:
        raise ValueError(f"unknown pattern kind {kind!r}: expected one of {KINDS}")
    return image


def patterns(n: int = 200, size: int = 16, seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random pattern images ``(n, 1, size, size)`` float32 and their kinds ``(n,)`` int64."""
    if n < 0 or size < 4:
        raise ValueError(f"patterns needs n >= 0 and size >= 4; got n={n}, size={size}")
    rng = _rng(seed)
    kinds = rng.integers(0, len(KINDS), n)
    widths = rng.integers(2, 5, n)  # stripe widths 2, 3 or 4, as randint(2, 5)
    images = np.stack([pattern_image(KINDS[k], size, int(w)) for k, w in zip(kinds, widths)]) if n else np.zeros((0, size, size), np.float32)
    return images[:, None].astype(np.float32), kinds.astype(np.int64)


def add_noise(images: np.ndarray, std: float = 0.3, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """``clip(images + N(0, std^2), 0, 1)`` as float32 (the curriculum's noisy inputs)."""
    if std < 0:
        raise ValueError(f"noise std must be >= 0; got {std}")
    noisy = images + _rng(seed).normal(0.0, std, size=images.shape)
    return np.clip(noisy, 0.0, 1.0).astype(np.float32)


def load(n: int = 200, n_val: int = 50, n_test: int = 200, size: int = 16, seed: int = 0) -> Splits:
    """Clean pattern images split train/val/test (drawn in one call from ``seed``); ``y`` is the kind."""
    x, y = patterns(n + n_val + n_test, size, seed)
    cuts = (n, n + n_val)
    return Splits(
        train=Split(x[:cuts[0]], y[:cuts[0]]), val=Split(x[cuts[0]:cuts[1]], y[cuts[0]:cuts[1]]),
        test=Split(x[cuts[1]:], y[cuts[1]:]), name="patterns", classes=KINDS, input_shape=(1, size, size),
        source=f"generated: patterns(size={size}, seed={seed})",
    )


def fetch(**_: object) -> FetchInfo:
    """Nothing to fetch: the images are generated on each load."""
    start = time.perf_counter()
    splits = load()
    return FetchInfo(name="patterns", action="generated", source="on each load, from a seed (nothing to cache)",
                     counts={"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
                     unit="images", seconds=time.perf_counter() - start)
