"""The network playground's data sets: TensorFlow Playground's six, plus ours.

TensorFlow Playground's generators (``src/dataset.ts``), reimplemented with the same
semantics: points in the square of radius 6, ``noise`` on TF's percent scale (0..50, used
as ``noise / 100``), 500 points for classification and 1200 for regression by default,
binary labels (class 1 is TF's +1, class 0 its -1). The draws come from NumPy with our
seed, so a TF link gives the same experiment, not the very same random points.

* ``circle``: class 1 uniform in radius [0, 2.5], class 0 in [3.5, 5]; the label is decided
  after moving the point by ``U(-5, 5) * noise`` per axis (noise flips labels near the gap).
* ``xor``: uniform in [-5, 5]^2 pushed 0.3 away from the axes; label 1 when ``x1 x2 >= 0`` of
  the point moved by ``U(-5, 5) * noise``.
* ``gauss``: two Gaussians at (2, 2) (class 1) and (-2, -2) (class 0) with variance
  ``0.5 + 7 noise`` (TF's linear map of noise [0, 0.5] onto variance [0.5, 4]).
* ``spiral``: two arms ``r = 5 i / n``, ``angle = 1.75 * 2 pi i / n (+ pi)``, each coordinate
  moved by ``U(-1, 1) * noise``.
* ``reg-plane``: target ``(x1 + x2) / 10`` (not clamped: up to +-1.2) of the point moved by ``U(-6, 6) * noise``.
* ``reg-gauss``: six signed bumps; target = the bump with the largest ``|1 - d / 2|``.

Ours (``noise`` adds Gaussian jitter of standard deviation ``noise / 100`` per axis):
``moons`` (two moons, 2 classes), ``rings`` (``classes`` concentric rings), ``spirals``
(``classes`` arms), ``blobs`` (``classes`` Gaussian blobs on a circle of radius 3.5), and
``drawn`` / ``upload`` (``settings["points"]`` as given).
"""

from __future__ import annotations

import hashlib

import numpy as np

from neuralab.data import toy
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.limits import LIMITS

EXTENT = (-6.0, 6.0, -6.0, 6.0)   # TF's xDomain for both axes
TF_CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
TF_REGRESSION = ("reg-plane", "reg-gauss")
OUR_CLASSIFICATION = ("moons", "rings", "spirals", "blobs")
GIVEN = ("drawn", "upload")
CLASSIFICATION_SETS = TF_CLASSIFICATION + OUR_CLASSIFICATION + GIVEN
REGRESSION_SETS = TF_REGRESSION + GIVEN
TF_POINTS = {"classification": 500, "regression": 1200}


def seed_int(seed: str) -> int:
    """A 64-bit integer from any seed text (TF seeds are strings such as "0.55534")."""
    return int.from_bytes(hashlib.sha256(str(seed).encode()).digest()[:8], "little")


def _uniform(rng, low, high, size):
    return rng.uniform(low, high, size)


def circle(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    half = n // 2
    r = np.concatenate([_uniform(rng, 0, radius * 0.5, half), _uniform(rng, radius * 0.7, radius, n - half)])
    angle = _uniform(rng, 0, 2 * np.pi, n)
    points = np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
    moved = points + _uniform(rng, -radius, radius, (n, 2)) * noise
    labels = (np.linalg.norm(moved, axis=1) < radius * 0.5).astype(np.float64)
    return points, labels


def xor(n: int, noise: float, rng):
    points = _uniform(rng, -5, 5, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)
    moved = points + _uniform(rng, -5, 5, (n, 2)) * noise
    return points, (moved[:, 0] * moved[:, 1] >= 0).astype(np.float64)


def gauss(n: int, noise: float, rng):
    variance = 0.5 + (4 - 0.5) * noise / 0.5
    half = n // 2
    centers = np.concatenate([np.full((half, 2), 2.0), np.full((n - half, 2), -2.0)])
    labels = np.concatenate([np.ones(half), np.zeros(n - half)])
    return centers + rng.normal(0, np.sqrt(variance), (n, 2)), labels


def spiral(n: int, noise: float, rng):
    arm = n // 2
    i = np.arange(arm)
    parts, labels = [], []
    for label, delta in ((1.0, 0.0), (0.0, np.pi)):
        r = i / arm * 5
        t = 1.75 * i / arm * 2 * np.pi + delta
        parts.append(np.stack([r * np.sin(t), r * np.cos(t)], 1) + _uniform(rng, -1, 1, (arm, 2)) * noise)
        labels.append(np.full(arm, label))
    return np.concatenate(parts), np.concatenate(labels)


def reg_plane(n: int, noise: float, rng):
    points = _uniform(rng, -6, 6, (n, 2))
    moved = points + _uniform(rng, -6, 6, (n, 2)) * noise
    return points, moved.sum(1) / 10   # TF: d3 linear map of [-10, 10] onto [-1, 1], unclamped


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], float)


def reg_gauss(n: int, noise: float, rng):
    points = _uniform(rng, -6, 6, (n, 2))
    moved = points + _uniform(rng, -6, 6, (n, 2)) * noise
    distance = np.linalg.norm(moved[:, None, :] - _BUMPS[None, :, :2], axis=2)      # (n, 6)
    signed = _BUMPS[None, :, 2] * np.clip(1 - distance / 2, 0, 1)
    strongest = np.abs(signed).argmax(1)
    return points, signed[np.arange(n), strongest]


def moons(n: int, noise: float, rng):
    points, labels = toy.moons(n, noise=0.0, seed=rng)
    centred = (points.astype(np.float64) - [0.5, 0.25]) * 3.0
    return centred + rng.normal(0, noise, (n, 2)), labels.astype(np.float64)


def rings(n: int, noise: float, rng, classes: int):
    labels = np.arange(n) % classes
    radius = 1.0 + 4.0 * (labels + 0.5) / classes
    angle = _uniform(rng, 0, 2 * np.pi, n)
    points = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], 1)
    return points + rng.normal(0, 0.15 + noise, (n, 2)), labels.astype(np.float64)


def spirals(n: int, noise: float, rng, classes: int):
    points, labels = toy.spirals(n, k=classes, noise=0.0, turns=1.75, seed=rng)
    return points.astype(np.float64) * 5 + rng.normal(0, noise, (n, 2)), labels.astype(np.float64)


def blobs(n: int, noise: float, rng, classes: int):
    points, labels = toy.gaussians(n, k=classes, radius=3.5, std=0.0, seed=rng)
    return points.astype(np.float64) + rng.normal(0, 0.6 + 2 * noise, (n, 2)), labels.astype(np.float64)


GENERATORS = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral,
              "reg-plane": reg_plane, "reg-gauss": reg_gauss, "moons": moons}
MULTI_CLASS = {"rings": rings, "spirals": spirals, "blobs": blobs}


def active_dataset(settings: dict) -> str:
    """The data set in use: TF keeps one per problem (``dataset`` and ``regDataset``)."""
    return settings["dataset"] if settings["problem"] == "classification" else settings["regDataset"]


def classes_of(settings: dict) -> int:
    """Number of classes (1 for regression, as the network has one output)."""
    if settings["problem"] == "regression":
        return 1
    name = settings["dataset"]
    if name in MULTI_CLASS:
        return settings["classes"]
    if name in GIVEN:
        labels = {int(p[2]) for p in settings["points"] or []}
        return max(2, max(labels) + 1) if labels else 2
    return 2


def check_given_points(settings: dict) -> None:
    """Drawn/uploaded points must exist and carry labels fitting the problem."""
    name = active_dataset(settings)
    if name not in GIVEN:
        return
    points = settings["points"]
    key = "regDataset" if settings["problem"] == "regression" else "dataset"
    if not points or len(points) < 2:
        raise PlaygroundError(f"{key}={name}: expected at least 2 points in settings['points'], "
                              f"got {len(points or [])}")
    if settings["problem"] == "classification":
        bad = [p[2] for p in points if p[2] != int(p[2]) or p[2] < 0]
        if bad:
            raise PlaygroundError(f"{key}={name} for classification: expected class labels 0, 1, 2, ..., "
                                  f"got {bad[0]!r}")
        if max(p[2] for p in points) + 1 > LIMITS["max_classes"]:
            raise PlaygroundError(f"{key}={name}: expected at most {LIMITS['max_classes']} classes, got label "
                                  f"{int(max(p[2] for p in points))}")


def generate(settings: dict) -> dict:
    """Draw the data of ``settings``: shuffled, then split by ``percTrainData`` (as TF).

    Returns ``{"train_x": (n_train, 2), "train_y": (n_train,), "test_x", "test_y"}`` (float64;
    labels are class indices 0..k-1 for classification, targets for regression).
    """
    check_given_points(settings)
    name = active_dataset(settings)
    rng = np.random.default_rng(seed_int(settings["seed"]))
    noise = settings["noise"] / 100
    if name in GIVEN:
        given = np.asarray(settings["points"], dtype=np.float64)
        x, y = given[:, :2], given[:, 2]
    else:
        n = settings["numPoints"] or TF_POINTS[settings["problem"]]
        if name in MULTI_CLASS:
            x, y = MULTI_CLASS[name](n, noise, rng, settings["classes"])
        else:
            x, y = GENERATORS[name](n, noise, rng)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    cut = int(np.floor(len(x) * settings["percTrainData"] / 100))
    cut = min(max(cut, 1), len(x) - 1)   # both parts keep a point, so both losses exist
    return {"train_x": x[:cut], "train_y": y[:cut], "test_x": x[cut:], "test_y": y[cut:]}
