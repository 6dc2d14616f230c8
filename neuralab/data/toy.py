"""Toy 2-D sets of the lessons, generated (never cached) from a seed.

Every generator returns ``(x, y)``: ``x`` float32 ``(n, 2)``, ``y`` int64 ``(n,)``.
Points take the classes in turn (``i % classes``; for ``and``/``xor`` the four corners
in turn), so every class (corner) has ``n // classes`` or one more points. ``noise`` is the standard deviation of isotropic Gaussian noise added
to each point; ``noise=0`` puts points exactly on the underlying shape. The same
``seed`` gives the same points; ``seed`` may also be a ``numpy.random.Generator``.
"""

from __future__ import annotations

import inspect

import numpy as np

from neuralab.data.splits import Split, Splits

Seed = int | np.random.Generator | None

_CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)


def _rng(seed: Seed) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check(n: int, noise: float) -> None:
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if noise < 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got {noise}")


def _finish(points: np.ndarray, labels: np.ndarray, noise: float, rng: np.random.Generator):
    if noise:
        points = points + rng.normal(0.0, noise, size=points.shape)
    return points.astype(np.float32), labels.astype(np.int64)


def _gate(n: int, noise: float, seed: Seed, table) -> tuple[np.ndarray, np.ndarray]:
    _check(n, noise)
    corner = np.arange(n) % 4  # (0,0), (0,1), (1,0), (1,1), (0,0), ...
    return _finish(_CORNERS[corner], np.asarray(table)[corner], noise, _rng(seed))


def and_(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points around the corners of the unit square labelled ``x1 AND x2``.
    ``and_(4, noise=0)`` is the truth table."""
    return _gate(n, noise, seed, [0, 0, 0, 1])


def xor(n: int = 200, noise: float = 0.1, seed: Seed = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points around the corners of the unit square labelled ``x1 XOR x2``.
    ``xor(4, noise=0)`` is the truth table."""
    return _gate(n, noise, seed, [0, 1, 1, 0])


def circles(n: int = 500, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0):
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``."""
    _check(n, noise)
    rng = _rng(seed)
    labels = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(labels == 0, 1.0, factor)
    return _finish(radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1), labels, noise, rng)


def moons(n: int = 500, noise: float = 0.1, seed: Seed = 0):
    """Two interleaving half circles (as scikit-learn's ``make_moons``)."""
    _check(n, noise)
    rng = _rng(seed)
    labels = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], 1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
    return _finish(np.where(labels[:, None] == 0, upper, lower), labels, noise, rng)


def spirals(n: int = 600, k: int = 2, noise: float = 0.05, turns: float = 1.0, seed: Seed = 0):
    """``k`` interleaved spiral arms, one class each: arm ``j`` at parameter ``t`` in
    [0, 1] is ``t * (cos a, sin a)`` with ``a = 2 pi (turns * t + j / k)``."""
    _check(n, noise)
    if k < 1:
        raise ValueError(f"k (number of arms) must be >= 1, got {k}")
    rng = _rng(seed)
    labels = np.arange(n) % k
    t = rng.uniform(0, 1, n)
    angle = 2 * np.pi * (turns * t + labels / k)
    return _finish(t[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1), labels, noise, rng)


def gaussians(n: int = 800, k: int = 8, radius: float = 2.0, std: float = 0.1, seed: Seed = 0):
    """A mixture of ``k`` Gaussians (standard deviation ``std``) centred on a circle of
    ``radius``; the label is the mode (mode ``j`` at angle ``2 pi j / k``)."""
    _check(n, std)
    if k < 1:
        raise ValueError(f"k (number of modes) must be >= 1, got {k}")
    rng = _rng(seed)
    labels = np.arange(n) % k
    angle = 2 * np.pi * labels / k
    return _finish(radius * np.stack([np.cos(angle), np.sin(angle)], 1), labels, std, rng)


def sample_circle(n: int, radius: float = 2.0, noise: float = 0.1, seed: Seed = None) -> np.ndarray:
    """``n`` points at uniform angles on a circle of ``radius`` plus Gaussian noise: the
    curriculum's ring distribution. Returns float32 ``(n, 2)``."""
    _check(n, noise)
    rng = _rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    points = radius * np.stack([np.cos(angle), np.sin(angle)], 1)
    return _finish(points, np.zeros(n), noise, rng)[0]


def ring(n: int = 1000, radius: float = 2.0, noise: float = 0.1, seed: Seed = 0):
    """:func:`sample_circle` with labels: one class (all zeros), for generative models."""
    return sample_circle(n, radius, noise, seed), np.zeros(n, dtype=np.int64)


# name -> (generator, class names from the options, one-line summary)
GENERATORS = {
    "and": (and_, lambda o: ("false", "true"), "AND of the unit square's corners, noisy"),
    "xor": (xor, lambda o: ("false", "true"), "XOR of the unit square's corners, noisy"),
    "circles": (circles, lambda o: ("outer", "inner"), "two concentric circles"),
    "moons": (moons, lambda o: ("upper", "lower"), "two interleaving half circles"),
    "spirals": (spirals, lambda o: tuple(f"arm {j}" for j in range(o.get("k", 2))), "k interleaved spiral arms"),
    "gaussians": (gaussians, lambda o: tuple(f"mode {j}" for j in range(o.get("k", 8))),
                  "k Gaussian modes on a circle"),
    "ring": (ring, lambda o: ("ring",), "noisy circle of radius 2, one class (sample_circle)"),
}


def load_toy(name: str, n: int | None = None, n_val: int | None = None, n_test: int | None = None,
             seed: int = 0, **options) -> Splits:
    """Splits of a toy set: ``n`` training points (the generator's default if None) and
    ``n_val``/``n_test`` (default ``n // 5`` each), drawn in one call from ``seed``;
    ``options`` go to the generator (``noise``, ``k``, ``radius``, ...)."""
    generate, classes, _ = GENERATORS[name]
    if n is None:
        n = inspect.signature(generate).parameters["n"].default
    n_val = n // 5 if n_val is None else n_val
    n_test = n // 5 if n_test is None else n_test
    x, y = generate(n + n_val + n_test, seed=seed, **options)
    cuts = (n, n + n_val)
    return Splits(
        train=Split(x[:cuts[0]], y[:cuts[0]]), val=Split(x[cuts[0]:cuts[1]], y[cuts[0]:cuts[1]]),
        test=Split(x[cuts[1]:], y[cuts[1]:]), name=name, classes=classes(options), input_shape=(2,),
        source=f"generated: {generate.__name__}(seed={seed}" + "".join(f", {k}={v!r}" for k, v in options.items()) + ")",
    )
