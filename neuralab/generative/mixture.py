"""A Gaussian mixture with full covariances: densities and draws in NumPy, the fit by scikit-learn.

Used as a VAE's *ex-post* prior (Ghosh et al. 2020, "From variational to deterministic
autoencoders"): after training, the codes of the training images do not fill N(0, I)
evenly; they cluster, and leave holes where the decoder has never been asked for a digit.
Decoding z ~ N(0, I) lands in those holes often and draws blends of digits. A mixture
fitted to the codes the decoder was trained on samples from where the digits are.

    p(z) = sum_k w_k N(z; m_k, S_k)                     weights (K,), means (K, D), covariances (K, D, D)
    log N(z; m, S) = -1/2 (D log 2 pi + log det S + |L^-1 (z - m)|^2),   S = L L^T (Cholesky)

The fit is scikit-learn's ``GaussianMixture`` (EM from a k-means start; the ``data`` extra):
on ``mnist-dcgan``'s 50,000 codes with 100 components it fitted in about two thirds of the
CPU time of the hand-written EM this module used to hold, to a mixture of the same quality
(held-out likelihood, the feature net's reading of decoded samples: ``bench/mixture.py``). EM
alternates the responsibilities ``r_nk = w_k N(z_n; m_k, S_k) / p(z_n)`` (E) with the weighted
maximum-likelihood weights, means and covariances (M); each round cannot lower the mean
log-likelihood. ``reg`` is added to every covariance's diagonal so a component that collapses
onto a few points stays invertible. The fitted arrays become a :class:`GaussianMixture`, whose
densities and draws are NumPy (a saved prior samples without scikit-learn); the same data and
seed give the same mixture.

``kmeans_plus_plus`` and ``squared_distances`` stay here for the RBF-network lesson.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, NamedTuple

import numpy as np

from neuralab.extras import require

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
                         reg: float = 1e-6) -> tuple[GaussianMixture, dict[str, Any]]:
    """Fit a ``components``-Gaussian mixture to ``points (N, D)`` by EM (scikit-learn's).

    Stops after ``iterations`` rounds or when the mean log-likelihood gains less than ``tol``
    nats; ``seed`` (an int or a list of ints, as ``np.random.default_rng`` takes) seeds the
    k-means start. Returns ``(mixture, info)`` with ``info = {"log_likelihood": mean log p(z)
    per point, "iterations": rounds run, "converged": whether the gain fell below ``tol``}``.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or not np.isfinite(points).all():
        raise ValueError(f"fit_gaussian_mixture needs finite points shaped (N, D); got shape {points.shape}")
    n = len(points)
    if not 1 <= components <= n:
        raise ValueError(f"components must be between 1 and the number of points ({n}); got {components}")
    sklearn_mixture = require_fitter()
    random_state = int(np.random.SeedSequence(seed).generate_state(1)[0])  # sklearn takes one int
    model = sklearn_mixture.GaussianMixture(components, covariance_type="full", tol=tol, reg_covar=reg,
                                            max_iter=iterations, random_state=random_state)
    with warnings.catch_warnings():  # not converging within `iterations` is reported in info, not warned
        warnings.simplefilter("ignore", category=_convergence_warning())
        model.fit(points)
    mixture = GaussianMixture(np.asarray(model.weights_, dtype=np.float64), np.asarray(model.means_, dtype=np.float64),
                              np.asarray(model.covariances_, dtype=np.float64))
    return mixture, {"log_likelihood": float(mixture.log_prob(points).mean()), "iterations": int(model.n_iter_),
                     "converged": bool(model.converged_)}


def require_fitter():
    """``sklearn.mixture``, or a :class:`~neuralab.extras.MissingExtra` naming the ``data`` extra.
    Recipes that fit a mixture after training call it when their config is checked, so a
    missing scikit-learn stops the run before training, not after."""
    return require("sklearn.mixture", "data", "fitting the Gaussian mixture prior (vae.prior=mixture, a GAN's model.code_dim)")


def _convergence_warning() -> type[Warning]:
    from sklearn.exceptions import ConvergenceWarning  # noqa: PLC0415 - scikit-learn is there once require_fitter passed

    return ConvergenceWarning
