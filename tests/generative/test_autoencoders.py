"""VAE math (closed-form KL, ELBO, reparameterization, binarization) and the MNIST autoencoder
recipes end to end on a few hundred images (mechanics only: the targets need the defaults)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from neuralab import models, recipes
from neuralab.cli import main
from neuralab.generative.vae import (StochasticBinarize, bernoulli_nll, binarize, elbo_terms, gaussian_kl,
                                     reparameterize)


def test_closed_form_kl_matches_hand_values_and_a_monte_carlo_estimate():
    # Standard normal: 0. One dim with mu = 1, var = e: 1/2 (1 + e - 1 - 1) = (e - 1) / 2.
    mu = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    assert gaussian_kl(mu, logvar).tolist() == pytest.approx([0.0, (math.e - 1) / 2], abs=1e-6)

    # KL = E_q[log q(z) - log p(z)], estimated from 400,000 draws of z ~ q.
    torch.manual_seed(0)
    mu, logvar = torch.tensor([[0.5, -1.0, 2.0]]), torch.tensor([[-0.7, 0.4, 0.0]])
    z = reparameterize(torch, mu.expand(400_000, 3), logvar.expand(400_000, 3)).double()
    std = (0.5 * logvar).exp().double()
    log_q = (-0.5 * ((z - mu.double()) / std) ** 2 - std.log() - 0.5 * math.log(2 * math.pi)).sum(1)
    log_p = (-0.5 * z ** 2 - 0.5 * math.log(2 * math.pi)).sum(1)
    assert float((log_q - log_p).mean()) == pytest.approx(float(gaussian_kl(mu, logvar)), abs=0.02)


class _TinyVAE(torch.nn.Module):
    """Encoder: fixed (mu, logvar); decoder: logits = w * z (one pixel per latent dim)."""

    def __init__(self):
        super().__init__()
        self.mu = torch.nn.Parameter(torch.tensor([[0.5, -0.5]]))
        self.logvar = torch.nn.Parameter(torch.tensor([[math.log(0.25), 0.0]]))
        self.w = torch.tensor([2.0, -1.0])

    def encode(self, x):
        return self.mu.expand(len(x), 2), self.logvar.expand(len(x), 2)

    def decode(self, z):
        return z * self.w


def test_elbo_on_a_tiny_model_equals_the_hand_computed_value():
    model, x = _TinyVAE(), torch.tensor([[1.0, 0.0]])
    torch.manual_seed(3)
    terms, logits = elbo_terms(torch, model, x)
    torch.manual_seed(3)
    eps = torch.randn(1, 2)  # the same draw the ELBO used
    z = np.array([0.5 + 0.5 * float(eps[0, 0]), -0.5 + 1.0 * float(eps[0, 1])])
    p = 1 / (1 + np.exp(-z * np.array([2.0, -1.0])))
    reconstruction = -(np.log(p[0]) + np.log(1 - p[1]))
    kl = 0.5 * ((0.25 + 0.25 - math.log(0.25) - 1) + (0.25 + 1 - 0 - 1))
    assert float(terms.reconstruction.detach()) == pytest.approx(reconstruction, rel=1e-5)
    assert float(terms.kl.detach()) == pytest.approx(kl, rel=1e-6)
    assert float(terms.loss().detach()) == pytest.approx(reconstruction + kl, rel=1e-5)
    assert float(terms.loss(beta=4.0).detach()) == pytest.approx(reconstruction + 4 * kl, rel=1e-5)
    assert logits.shape == (1, 2)


def test_bernoulli_nll_is_binary_cross_entropy_summed_over_pixels():
    logits, x = torch.tensor([[[0.0, 2.0], [-1.0, 3.0]]]), torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    p = torch.sigmoid(logits)
    expected = -(x * p.log() + (1 - x) * (1 - p).log()).sum()
    assert float(bernoulli_nll(torch, logits, x)[0]) == pytest.approx(float(expected), rel=1e-6)


def test_reparameterization_passes_gradients_to_mu_and_logvar():
    mu = torch.zeros(4, 3, requires_grad=True)
    logvar = torch.zeros(4, 3, requires_grad=True)
    torch.manual_seed(0)
    z = reparameterize(torch, mu, logvar)
    torch.manual_seed(0)
    eps = torch.randn(4, 3)
    (z ** 2).sum().backward()
    # z = mu + exp(logvar / 2) eps: dz/dmu = 1, dz/dlogvar = eps exp(logvar / 2) / 2 (= eps / 2 here).
    assert torch.allclose(mu.grad, 2 * z.detach())
    assert torch.allclose(logvar.grad, 2 * z.detach() * eps / 2)
    assert float(logvar.grad.abs().sum()) > 0


def test_binarization_is_deterministic_for_a_seed():
    grey = np.random.default_rng(1).random((50, 1, 28, 28)).astype(np.float32)
    first, again, other = binarize(grey, seed=7), binarize(grey, seed=7), binarize(grey, seed=8)
    assert first.dtype == np.float32 and set(np.unique(first)) <= {0.0, 1.0}
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert abs(first.mean() - grey.mean()) < 0.01  # pixel ~ Bernoulli(grey level)
    assert np.array_equal(binarize(grey, seed=None), (grey > 0.5).astype(np.float32))
    dynamic = StochasticBinarize()
    assert np.array_equal(dynamic(grey, np.random.default_rng([0, 3])), dynamic(grey, np.random.default_rng([0, 3])))


def test_vae_model_shapes():
    model = models.build("vae", torch, input_shape=(1, 4, 4), hidden=(8,), latent=3)
    x = torch.rand(5, 1, 4, 4)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 3) and model.decode(mu).shape == (5, 1, 4, 4)
    mean, mu2, _ = model(x)
    assert mean.shape == (5, 1, 4, 4) and torch.equal(mu, mu2) and float(mean.detach().min()) >= 0


def test_convolutional_vae_shapes_and_size_check():
    model = models.build("vae", torch, input_shape=(1, 8, 8), hidden=(8,), latent=3, channels=(2, 4))
    x = torch.rand(5, 1, 8, 8)
    mu, _ = model.encode(x)
    assert mu.shape == (5, 3) and model.decode(mu).shape == (5, 1, 8, 8)
    with pytest.raises(ValueError, match="divisible by 4"):
        models.build("vae", torch, input_shape=(1, 6, 6), channels=(2, 4))


TINY = ["--epochs", "1", "--set", "threads=1", "--set", "data.subset=200", "--set", "eval.batch_size=100", "--quiet"]
CASES = {
    "mnist-ae": ([], {"test_mse", "test_bce"}, {"curves", "reconstructions"}),
    "mnist-ae2d": ([], {"test_mse", "test_bce"}, {"curves", "reconstructions", "latent"}),
    "mnist-dae": ([], {"test_mse", "test_mse_noisy", "test_mse_denoised", "mse_ratio"}, {"curves", "denoised"}),
    "mnist-vae": (["--set", "vae.grid=4", "--set", "vae.samples=4", "--set", "eval.samples=200"],
                  {"test_nelbo_nats", "elbo_nats", "test_reconstruction_nats", "test_kl_nats", "recognized", "fid"},
                  {"curves", "reconstructions", "samples", "manifold", "interpolation"}),
    "mnist-vae2d": (["--set", "model.latent=2", "--set", "vae.grid=4", "--set", "vae.samples=4", "--set", "vae.binarize=threshold",
                     "--set", "eval.samples=200"],
                    {"test_nelbo_nats"}, {"manifold", "latent"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mnist_autoencoder_recipes_run_end_to_end(case, tmp_path, capsys, patched_feature_net):
    extra, metric_names, figures = CASES[case]
    name = "mnist-vae" if case.startswith("mnist-vae") else case
    assert main(["train", name, "--out", str(tmp_path), *TINY, *extra]) == 0
    out = capsys.readouterr().out
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    assert summary["recipe"] == name and summary["epochs"] == 1 and config["data"]["subset"] == 200
    assert metric_names <= set(summary["metrics"]), summary["metrics"]
    for metric, verdict in summary["targets"].items():
        assert set(verdict) == {"target", "measured", "met", "op"} and f"target {metric} {verdict['op']}" in out
    assert (run_dir / "checkpoints" / "last.safetensors").is_file()
    assert {p.stem for p in (run_dir / "figures").glob("*.png")} >= figures


def test_autoencoder_settings_are_checked_before_training():
    with pytest.raises(ValueError, match="vae.binarize must be one of"):
        recipes.resolve("mnist-vae", overrides=["vae.binarize=otsu"])
    with pytest.raises(ValueError, match="denoise.noise must be a std >= 0"):
        recipes.resolve("mnist-dae", overrides=["denoise.noise=-1"])
    assert recipes.resolve("mnist-vae")["targets"] == {"test_nelbo_nats": 100.0, "recognized": 0.80}
