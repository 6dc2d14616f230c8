"""Whitened PCA codes (the condition of a code-conditioned GAN) and the DCGAN that takes them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuralab import models
from neuralab.generative.codes import fit_pca_code
import neuralab.scratch as scratch


def _data_with_known_axes(n=20_000, seed=0):
    """Points in 5-D whose principal axes are e0 (std 3), e1 (std 2), e2 (std 1) plus small noise."""
    rng = np.random.default_rng(seed)
    points = 0.05 * rng.standard_normal((n, 5))
    points[:, :3] += rng.standard_normal((n, 3)) * np.array([3.0, 2.0, 1.0])
    return points + np.array([1.0, -2.0, 0.5, 0.0, 4.0])


def test_pca_code_finds_the_leading_axes_and_whitens_them():
    points = _data_with_known_axes()
    code = fit_pca_code(points, 2)
    np.testing.assert_allclose(np.abs(code.components), np.eye(5)[:, :2], atol=0.02)
    assert code.scales == pytest.approx([3.0, 2.0], rel=0.03)
    codes = code.encode(points)
    assert codes.dtype == np.float32 and codes.shape == (len(points), 2)
    np.testing.assert_allclose(codes.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.cov(codes, rowvar=False), np.eye(2), atol=1e-3)
    # Deterministic, signs included.
    np.testing.assert_array_equal(fit_pca_code(points, 2).components, code.components)


def test_pca_code_refuses_bad_sizes():
    with pytest.raises(ValueError, match="code dim must be between 1 and"):
        fit_pca_code(np.zeros((10, 4)), 5)
    code = fit_pca_code(_data_with_known_axes(100), 2)
    with pytest.raises(ValueError, match="fitted to images of 5 values; got 3"):
        code.encode(np.zeros((2, 3)))


@pytest.mark.parametrize("T", [torch, scratch], ids=["torch", "scratch"])
def test_a_code_conditioned_dcgan_takes_codes_in_both_networks(T):
    T.manual_seed(0)
    gan = models.build("dcgan", T, noise_dim=8, width=8, code_dim=4)
    z, codes = T.randn(3, 8), T.randn(3, 4)
    gan.eval()
    with T.no_grad():
        images = gan["generator"](z, codes)
        score = gan["discriminator"](images, codes)
        other = T.randn(3, 4)
        changed_image = float((gan["generator"](z, other) - images).abs().max())
        changed_score = float((gan["discriminator"](images, other) - score).abs().max())
    assert tuple(images.shape) == (3, 1, 28, 28) and tuple(score.shape) == (3, 1)
    # The code matters to both: another code, another image and another score.
    assert changed_image > 1e-4 and changed_score > 1e-6


def test_a_dcgan_takes_labels_or_codes_not_both():
    with pytest.raises(ValueError, match="not both > 0"):
        models.build("dcgan", torch, num_classes=10, code_dim=4)
