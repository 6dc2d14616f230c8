"""A Gaussian mixture with full covariances, fitted by expectation-maximization, in NumPy.

Used as a VAE's *ex-post* prior (Ghosh et al. 2020, "From variational to deterministic
autoencoders"): after training, the codes of the training images do not fill N(0, I)
evenly; they cluster, and leave holes where the decoder has never been asked for a digit.
Decoding z ~ N(0, I) lands in those holes often and draws blends of digits. A mixture
fitted to the codes the decoder was trained on samples from where the digits are.

    p(z) = sum_k w_k N(z; m_k, S_k)                     weights (K,), means (K, D), covariances (K, D, D)
    log N(z; m, S) = -1/2 (D log 2 pi + log det S + |L^-1 (z - m)|^2),   S = L L^T (Cholesky)

EM alternates the responsibilities ``r_nk = w_k N(z_n; m_k, S_k) / p(z_n)`` (E) with the
weighted maximum-likelihood weights, means and covariances (M); each round cannot lower the
mean log-likelihood. ``reg`` is added to every covariance's diagonal so a component that
collapses onto a few points stays invertible. Initialization: k-means++ seeds (seeded), then
a few Lloyd rounds, so the same data and seed give the same mixture.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np

LOG_2PI = float(np.log(2 * np.pi))


class GaussianMixture(NamedTuple):
    """``weights (K,)``, ``means (K, D)``, ``covariances (K, D, D)``, all float64."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    def component_log_densities(self, points: np.ndarray) -> np.ndarray:
        """``log w_k + log N(z_n; m_k, S_k)``: ``(N, D) -> (N, K)``."""
        points = np.asarray(points, dtype=np.float64)
        chol = np.linalg.cholesky(self.covariances)                                   # (K, D, D)
        out = np.empty((len(points), len(self.weights)))
        for k, (mean, lower) in enumerate(zip(self.means, chol)):
            whitened = np.linalg.solve(lower, (points - mean).T)                     # (D, N) = L^-1 (z - m)
            log_det = 2.0 * np.log(np.diag(lower)).sum()
            out[:, k] = np.log(self.weights[k]) - 0.5 * (points.shape[1] * LOG_2PI + log_det + (whitened ** 2).sum(0))
        return out

    def log_prob(self, points: np.ndarray) -> np.ndarray:
        """``log p(z)`` per point: ``(N, D) -> (N,)``."""
        return _logsumexp(self.component_log_densities(points))

    def sample(self, n: int, seed=0) -> np.ndarray:
        """``n`` draws ``(n, D)``: a component by its weight, then ``m_k + L_k eps``; seeded."""
        rng = np.random.default_rng(seed)
        components = rng.choice(len(self.weights), size=n, p=self.weights / self.weights.sum())
        chol = np.linalg.cholesky(self.covariances)
        eps = rng.standard_normal((n, self.means.shape[1]))
        return self.means[components] + np.einsum("nij,nj->ni", chol[components], eps)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The three arrays by name (for a safetensors checkpoint)."""
        return dict(self._asdict())

    @classmethod
    def from_arrays(cls, arrays) -> "GaussianMixture":
        """Back from :meth:`to_arrays`; checks the shapes agree."""
        weights, means, covariances = (np.asarray(arrays[key], dtype=np.float64) for key in cls._fields)
        k, d = means.shape if means.ndim == 2 else (None, None)
        if k is None or weights.shape != (k,) or covariances.shape != (k, d, d):
            raise ValueError(f"a Gaussian mixture needs weights (K,), means (K, D), covariances (K, D, D); got "
                             f"{weights.shape}, {means.shape}, {covariances.shape}")
        return cls(weights, means, covariances)


def save_mixture(path: str | os.PathLike, mixture: GaussianMixture, info: dict[str, Any]) -> None:
    """Write ``mixture`` and its fit ``info`` as a checkpoint at ``path`` (safetensors + JSON)."""
    from neuralab.train.checkpoint import save_checkpoint  # noqa: PLC0415 - keep this module NumPy-only to import

    save_checkpoint(path, {"mixture": mixture.to_arrays(), "fit": info})


def load_mixture(path: str | os.PathLike) -> GaussianMixture:
    """The mixture :func:`save_mixture` wrote at ``path``; a clear error when there is none."""
    from neuralab.train.checkpoint import checkpoint_paths, load_checkpoint  # noqa: PLC0415

    tensors, _ = checkpoint_paths(path)
    if not tensors.exists():
        raise FileNotFoundError(f"{tensors} does not exist: the run finished before fitting its prior")
    return GaussianMixture.from_arrays(load_checkpoint(path)["mixture"])


def _logsumexp(values: np.ndarray) -> np.ndarray:
    """``log sum_k exp(values[:, k])`` without overflow: ``(N, K) -> (N,)``."""
    top = values.max(axis=1)
    return top + np.log(np.exp(values - top[:, None]).sum(axis=1))


def squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """``|x_n - c_k|^2``: ``(N, D), (K, D) -> (N, K)``."""
    return (points ** 2).sum(1)[:, None] - 2 * points @ centres.T + (centres ** 2).sum(1)[None, :]


def kmeans_plus_plus(points: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 10) -> np.ndarray:
    """``k`` centres ``(k, D)``: k-means++ seeding (each next centre drawn with probability ~ squared
    distance to the nearest chosen one), then ``rounds`` Lloyd updates."""
    centres = [points[rng.integers(len(points))]]
    nearest = ((points - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        centres.append(points[rng.choice(len(points), p=nearest / nearest.sum())])
        nearest = np.minimum(nearest, ((points - centres[-1]) ** 2).sum(1))
    centres = np.array(centres)
    for _ in range(rounds):
        assignment = squared_distances(points, centres).argmin(1)
        centres = np.array([points[assignment == j].mean(0) if (assignment == j).any() else centres[j] for j in range(k)])
    return centres


def fit_gaussian_mixture(points: np.ndarray, components: int, seed=0, iterations: int = 100, tol: float = 1e-5,
                         reg: float = 1e-6) -> tuple[GaussianMixture, dict[str, float]]:
    """Fit a ``components``-Gaussian mixture to ``points (N, D)`` by EM.

    Stops after ``iterations`` rounds or when the mean log-likelihood gains less than ``tol``
    nats. Returns ``(mixture, info)`` with ``info = {"log_likelihood": mean log p(z) per point,
    "iterations": rounds run}``.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or not np.isfinite(points).all():
        raise ValueError(f"fit_gaussian_mixture needs finite points shaped (N, D); got shape {points.shape}")
    n = len(points)
    if not 1 <= components <= n:
        raise ValueError(f"components must be between 1 and the number of points ({n}); got {components}")
    rng = np.random.default_rng(seed)
    centres = kmeans_plus_plus(points, components, rng)
    # Start from hard k-means assignments: one M step on one-hot responsibilities.
    responsibilities = np.eye(components)[squared_distances(points, centres).argmin(1)]
    mixture, previous, rounds = _m_step(points, responsibilities, reg), -np.inf, 0
    for rounds in range(1, iterations + 1):
        log_joint = mixture.component_log_densities(points)
        log_p = _logsumexp(log_joint)
        mean_log_likelihood = float(log_p.mean())
        responsibilities = np.exp(log_joint - log_p[:, None])
        mixture = _m_step(points, responsibilities, reg)
        if mean_log_likelihood - previous < tol:
            break
        previous = mean_log_likelihood
    return mixture, {"log_likelihood": float(mixture.log_prob(points).mean()), "iterations": rounds}


def _m_step(points: np.ndarray, responsibilities: np.ndarray, reg: float) -> GaussianMixture:
    """Weighted maximum-likelihood weights, means and covariances (+ ``reg`` on the diagonal)."""
    counts = responsibilities.sum(0) + 1e-12                                          # (K,)
    means = responsibilities.T @ points / counts[:, None]                             # (K, D)
    covariances = np.empty((len(counts), points.shape[1], points.shape[1]))
    for k in range(len(counts)):
        centred = points - means[k]
        covariances[k] = (responsibilities[:, k, None] * centred).T @ centred / counts[k] + reg * np.eye(points.shape[1])
    return GaussianMixture(counts / counts.sum(), means, covariances)
