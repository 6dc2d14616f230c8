"""Sample measures on hand-made point sets."""

from __future__ import annotations

import numpy as np
import pytest

from neuralab.generative import metrics


def circle(n, radius=2.0, start=0.0, stop=2 * np.pi):
    angles = np.linspace(start, stop, n, endpoint=False)
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def test_radius_and_bins_of_an_even_ring():
    points = circle(1600, radius=2.0)
    mean, std = metrics.radius_stats(points)
    assert mean == pytest.approx(2.0) and std == pytest.approx(0.0, abs=1e-12)
    bins = metrics.angular_bin_fractions(points, bins=16)
    np.testing.assert_allclose(bins, np.full(16, 1 / 16))


def test_bins_expose_a_half_ring():
    bins = metrics.angular_bin_fractions(circle(800, start=0.0, stop=np.pi), bins=16)
    assert bins[:8].sum() == pytest.approx(1.0) and bins.min() == 0.0


def test_mode_coverage_counts_a_collapsed_set_as_one_of_four():
    centers = metrics.mixture_centers(4, 2.0)
    np.testing.assert_allclose(centers[1], [0.0, 2.0], atol=1e-12)
    rng = np.random.default_rng(0)
    collapsed = centers[2] + 0.1 * rng.standard_normal((1000, 2))
    result = metrics.mode_coverage(collapsed, centers, std=0.1)
    assert result["covered"] == 1 and result["fractions"][2] > 0.99 and result["near_any"] > 0.99
    healthy = centers[np.arange(1000) % 4] + 0.1 * rng.standard_normal((1000, 2))
    assert metrics.mode_coverage(healthy, centers, std=0.1)["covered"] == 4


def test_a_mode_below_five_percent_is_not_covered():
    centers = metrics.mixture_centers(4, 2.0)
    points = np.concatenate([np.repeat(centers[:3], 320, axis=0), np.repeat(centers[3:], 40, axis=0)])  # 4% in mode 3
    result = metrics.mode_coverage(points, centers, std=0.1)
    assert result["covered"] == 3 and result["fractions"][3] == pytest.approx(0.04)


def test_distances_to_the_ring_and_the_moons():
    np.testing.assert_allclose(metrics.manifold_distance(np.array([[0.0, 2.2], [1.0, 0.0]]), "ring", radius=2.0), [0.2, 1.0])
    on_curve = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -0.5], [2.0, 0.5]])
    assert metrics.manifold_distance(on_curve, "moons").max() < 1e-3
    off = metrics.manifold_distance(np.array([[0.0, 1.5]]), "moons")
    assert off[0] == pytest.approx(0.5, abs=1e-3)
    with pytest.raises(ValueError, match="expected 2-D samples"):
        metrics.radius_stats(np.zeros((3, 3)))
