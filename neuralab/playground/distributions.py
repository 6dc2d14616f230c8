"""The 2-D real distributions of the GAN and diffusion playgrounds, and how well samples cover them.

* ``ring``: a circle of radius 2 with Gaussian noise (:func:`neuralab.data.toy.sample_circle`).
* ``gaussians``: ``modes`` Gaussians centred on a circle of radius 2.
* ``line``: the segment from (-2, -2) to (2, 2).
* ``moons``: the two moons, centred and scaled by 2.
* ``drawn``: the user's points (``settings["points"]``), resampled.

``noise`` is the standard deviation added to each point. Each distribution has a dense
noiseless trace (the ring's circle, the moons' curves, ...); :func:`coverage` cuts it into
``modes`` pieces and counts the pieces that hold their share of the samples.
"""

from __future__ import annotations

import numpy as np

from neuralab.data import toy
from neuralab.generative import metrics
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.limits import LIMITS
from neuralab.playground.settings import DATA, Setting

DISTRIBUTIONS = ("ring", "gaussians", "line", "moons", "drawn")
EXTENT = (-3.0, 3.0, -3.0, 3.0)
RADIUS = 2.0


def data_settings() -> list[Setting]:
    """The settings of the real distribution, shared by the GAN and diffusion playgrounds."""
    return [
        Setting("distribution", "choice", "ring", DATA, choices=DISTRIBUTIONS),
        Setting("noise", "float", 0.1, DATA, 0, 1, about="standard deviation added to each real point"),
        Setting("modes", "int", 8, DATA, 2, 16, about="Gaussians of the 'gaussians' distribution"),
        Setting("points", "points", None, DATA, nullable=True, extra={"sizes": (2, 3)},
                about="the drawn points of the 'drawn' distribution"),
        Setting("seed", "str", "0", DATA),
    ]


def check(settings: dict) -> None:
    if settings["distribution"] == "drawn" and len(settings["points"] or []) < 2:
        raise PlaygroundError(f"distribution=drawn: expected at least 2 points in settings['points'], "
                              f"got {len(settings['points'] or [])}")


def _moons(n: int, rng) -> np.ndarray:
    points, _ = toy.moons(n, noise=0.0, seed=rng)
    return (points.astype(np.float64) - [0.5, 0.25]) * 2.0


def sample(settings: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points ``(n, 2)`` float32 of the settings' distribution."""
    name, noise = settings["distribution"], settings["noise"]
    if name == "ring":
        return toy.sample_circle(n, radius=RADIUS, noise=noise, seed=rng)
    if name == "gaussians":
        centers = metrics.mixture_centers(settings["modes"], RADIUS)
        points = centers[rng.integers(0, len(centers), n)]
    elif name == "line":
        points = rng.uniform(-1, 1, (n, 1)) * np.array([[2.0, 2.0]])
    elif name == "moons":
        points = _moons(n, rng)
    else:
        drawn = np.asarray([p[:2] for p in settings["points"]], dtype=np.float64)
        points = drawn[rng.integers(0, len(drawn), n)]
    return (points + rng.normal(0, noise, (n, 2))).astype(np.float32)


def trace(settings: dict) -> np.ndarray:
    """A dense noiseless trace ``(M, 2)`` of the distribution, in order along its shape."""
    name = settings["distribution"]
    if name == "ring":
        angle = np.linspace(0, 2 * np.pi, 720, endpoint=False)
        return RADIUS * np.stack([np.cos(angle), np.sin(angle)], 1)
    if name == "gaussians":
        return metrics.mixture_centers(settings["modes"], RADIUS)
    if name == "line":
        return np.linspace(-1, 1, 600)[:, None] * np.array([[2.0, 2.0]])
    if name == "moons":
        return (metrics.moons_curve(300) - [0.5, 0.25]) * 2.0
    return np.asarray([p[:2] for p in settings["points"]], dtype=np.float64)


def coverage(settings: dict, samples: np.ndarray) -> dict:
    """How well ``samples`` cover the distribution.

    ``near``: share of samples within ``max(0.25, 3 noise)`` of the trace; ``modes``: pieces
    of the trace (the Gaussians, 16 arcs of the ring, 8 pieces of a curve, or one per drawn
    point up to 16); ``covered``: pieces holding at least half their fair share of the near
    samples; ``mean_radius``, ``radius_std``: distance to the origin (the ring's criterion).
    """
    samples = np.asarray(samples, dtype=np.float64)
    shape = trace(settings)
    reach = max(0.25, 3 * settings["noise"])
    if settings["distribution"] == "gaussians":
        pieces = len(shape)
        piece_of_point = np.arange(pieces)
    else:
        pieces = 16 if settings["distribution"] == "ring" else min(8 if len(shape) > 16 else len(shape), 16)
        piece_of_point = np.arange(len(shape)) * pieces // len(shape)
    squared = (samples ** 2).sum(1)[:, None] + (shape ** 2).sum(1)[None, :] - 2 * samples @ shape.T   # (N, M)
    distance = np.sqrt(np.maximum(squared, 0.0))
    nearest = distance.argmin(1)
    near = distance[np.arange(len(samples)), nearest] < reach
    counts = np.bincount(piece_of_point[nearest[near]], minlength=pieces)
    fair = max(near.sum(), 1) / pieces
    mean_radius, radius_std = metrics.radius_stats(samples)
    return {"near": round(float(near.mean()), 4), "modes": int(pieces),
            "covered": int(np.count_nonzero(counts >= 0.5 * fair)) if near.any() else 0,
            "mean_radius": round(mean_radius, 4), "radius_std": round(radius_std, 4)}


def shown_count() -> Setting:
    return Setting("numShown", "int", 300, DATA, 10, LIMITS["max_points"], about="real/generated points shown")
