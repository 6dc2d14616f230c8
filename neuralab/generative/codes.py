"""Coarse codes of images: their leading principal components, whitened. NumPy, no labels.

A code-conditioned GAN (``models.dcgan`` with ``code_dim``) draws an image from noise *and* a
code that says roughly what to draw; a density fitted to the codes of the training images
(``neuralab.generative.mixture``) says which codes to ask for. The code is a blurry summary
(32 numbers for a 784-pixel digit in ``mnist-dcgan``) but enough to tell digits apart, so
the generator no longer has to carve ten digits out of one Gaussian noise space, where the
borders are blends.

    x (N, D) -> c = (x - mean) @ V_k / sqrt(lambda_k)        (N, k)

with ``V_k`` the eigenvectors of the training covariance with the ``k`` largest eigenvalues
``lambda_k``; whitening gives every code dimension unit variance over the training set.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class PCACode(NamedTuple):
    """``mean (D,)``, ``components (D, k)`` (orthonormal columns), ``scales (k,)`` = sqrt(eigenvalues)."""

    mean: np.ndarray
    components: np.ndarray
    scales: np.ndarray

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Codes ``(N, k)`` float32 of ``images`` shaped ``(N, ...)`` like the training images."""
        flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        if flat.shape[1] != len(self.mean):
            raise ValueError(f"the code was fitted to images of {len(self.mean)} values; got {flat.shape[1]} per image")
        return ((flat - self.mean) @ self.components / self.scales).astype(np.float32)


def fit_pca_code(images: np.ndarray, dim: int) -> PCACode:
    """The ``dim`` leading principal components of ``images (N, ...)``, from the eigendecomposition
    of their covariance; deterministic (each component's sign is fixed so its largest entry is positive)."""
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    if not 1 <= dim <= min(flat.shape):
        raise ValueError(f"code dim must be between 1 and min(images, values per image) = {min(flat.shape)}; got {dim}")
    mean = flat.mean(0)
    values, vectors = np.linalg.eigh(np.cov(flat - mean, rowvar=False))
    top = np.argsort(values)[::-1][:dim]
    components = vectors[:, top]
    components *= np.sign(components[np.abs(components).argmax(0), np.arange(dim)])  # eigh's signs are arbitrary
    return PCACode(mean, components, np.sqrt(np.maximum(values[top], 1e-12)))
