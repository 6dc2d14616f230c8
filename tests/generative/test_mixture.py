"""The Gaussian mixture behind the VAE's ex-post prior: EM (scikit-learn's) recovers a known
mixture, densities match the textbook formula, draws are seeded, bad input is refused by name,
and a missing scikit-learn names the extra to install."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
import torch

from neuralab.generative.mixture import GaussianMixture, fit_gaussian_mixture
from neuralab.generative.vae import gaussian_kl, monte_carlo_kl
from neuralab.train import load_checkpoint, save_checkpoint

TRUE = GaussianMixture(
    weights=np.array([0.5, 0.3, 0.2]),
    means=np.array([[0.0, 0.0], [4.0, 1.0], [-3.0, 3.0]]),
    covariances=np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.5, 0.0], [0.0, 2.0]], [[0.3, -0.1], [-0.1, 0.2]]]),
)


def _matched(fitted: GaussianMixture) -> GaussianMixture:
    """``fitted``'s components reordered to the nearest true means (EM's order is arbitrary)."""
    order = [int(np.argmin(((fitted.means - m) ** 2).sum(1))) for m in TRUE.means]
    assert sorted(order) == [0, 1, 2], f"two true components matched one fitted one: {fitted.means}"
    return GaussianMixture(*(array[order] for array in fitted))


def test_em_recovers_a_known_three_component_mixture():
    points = TRUE.sample(20_000, seed=1)
    fitted, info = fit_gaussian_mixture(points, 3, seed=0)
    fitted = _matched(fitted)
    assert fitted.weights == pytest.approx(TRUE.weights, abs=0.015)
    assert np.abs(fitted.means - TRUE.means).max() < 0.06
    assert np.abs(fitted.covariances - TRUE.covariances).max() < 0.08
    # The fit explains its data at least as well as the truth does (it is the maximum-likelihood one).
    assert info["log_likelihood"] >= TRUE.log_prob(points).mean() - 1e-3


def test_log_prob_matches_the_formula_and_sampling_matches_the_moments():
    points = np.array([[0.3, -0.2], [4.0, 0.0], [-2.5, 2.5]])
    expected = []
    for z in points:
        total = 0.0
        for w, m, s in zip(*TRUE):
            diff = z - m
            total += w * math.exp(-0.5 * diff @ np.linalg.inv(s) @ diff) / math.sqrt(np.linalg.det(2 * math.pi * s))
        expected.append(math.log(total))
    assert TRUE.log_prob(points) == pytest.approx(expected, rel=1e-12)

    draws = TRUE.sample(200_000, seed=2)
    mean = (TRUE.weights[:, None] * TRUE.means).sum(0)
    second = sum(w * (s + np.outer(m, m)) for w, m, s in zip(*TRUE))
    assert draws.mean(0) == pytest.approx(mean, abs=0.02)
    assert np.cov(draws.T, bias=True) == pytest.approx(second - np.outer(mean, mean), abs=0.05)


def test_same_seed_same_fit_and_draws_and_em_never_loses_likelihood():
    points = TRUE.sample(3000, seed=3)
    first, _ = fit_gaussian_mixture(points, 3, seed=[0, 11])
    second, _ = fit_gaussian_mixture(points, 3, seed=[0, 11])
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.sample(50, seed=4), second.sample(50, seed=4))
    likelihoods = [fit_gaussian_mixture(points, 3, seed=0, iterations=k, tol=0.0)[1]["log_likelihood"] for k in (1, 2, 5, 20)]
    assert likelihoods == sorted(likelihoods)


def test_the_fit_says_whether_em_converged():
    points = TRUE.sample(3000, seed=6)
    assert fit_gaussian_mixture(points, 3, seed=0)[1]["converged"] is True
    capped = fit_gaussian_mixture(points, 3, seed=0, iterations=1, tol=0.0)[1]
    assert capped["converged"] is False and capped["iterations"] == 1


def test_without_scikit_learn_the_fit_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.mixture", None)  # `import sklearn.mixture` now fails
    with pytest.raises(ValueError, match=r"pip install 'neuralab\[data\]'"):
        fit_gaussian_mixture(TRUE.sample(100, seed=7), 2)


def test_a_mixture_survives_a_checkpoint_round_trip(tmp_path):
    save_checkpoint(tmp_path / "prior", {"mixture": TRUE.to_arrays()})
    loaded = GaussianMixture.from_arrays(load_checkpoint(tmp_path / "prior")["mixture"])
    for a, b in zip(loaded, TRUE):
        np.testing.assert_array_equal(a, b)


def test_bad_input_is_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="between 1 and the number of points"):
        fit_gaussian_mixture(np.zeros((5, 2)), 6)
    with pytest.raises(ValueError, match=r"finite points shaped \(N, D\)"):
        fit_gaussian_mixture(np.array([[0.0, np.nan], [1.0, 1.0]]), 1)
    with pytest.raises(ValueError, match=r"weights \(K,\), means \(K, D\), covariances \(K, D, D\)"):
        GaussianMixture.from_arrays({"weights": np.ones(2), "means": np.zeros((3, 2)), "covariances": np.zeros((3, 2, 2))})


def test_monte_carlo_kl_averages_to_the_closed_form_against_a_standard_normal():
    rng = np.random.default_rng(5)
    mu, logvar = np.array([[0.5, -1.0, 2.0]]), np.array([[-0.7, 0.4, 0.0]])
    z = mu + np.exp(0.5 * logvar) * rng.standard_normal((400_000, 3))
    log_standard_normal = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(1)
    estimate = monte_carlo_kl(z, np.broadcast_to(mu, z.shape), np.broadcast_to(logvar, z.shape), log_standard_normal)
    closed_form = float(gaussian_kl(torch.from_numpy(mu), torch.from_numpy(logvar))[0])
    assert float(estimate.mean()) == pytest.approx(closed_form, abs=0.02)
