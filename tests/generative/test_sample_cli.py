"""`neuralab sample RUN` on GAN runs (2-D and MNIST, conditional or not), VAE runs and 2-D diffusion runs.

Tiny one-epoch runs; the MNIST-FID feature net measured at the end of an MNIST GAN run is a tiny
random cnn patched in (``patched_feature_net`` of ``conftest.py``).
"""

from __future__ import annotations

import pytest

from neuralab.cli import main
from neuralab.train import RunRecord

PNG = b"\x89PNG\r\n\x1a\n"
QUICK = ["--epochs", "1", "--quiet", "--set", "threads=1", "--set", "eval.samples=200"]
TINY_MNIST_GAN = [*QUICK, "--set", "data.subset=128", "--set", "model.width=8", "--set", "model.noise_dim=8"]


def _train(tmp_path, recipe, *options):
    assert main(["train", recipe, "--out", str(tmp_path / "runs"), *options]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    return str(run_dir)


def _error(capsys, tmp_path, argv) -> str:
    """stderr of a ``main(argv)`` that must fail as a user error (its --out, were it written, under tmp_path)."""
    capsys.readouterr()
    assert main([*argv, "--out", str(tmp_path / "refused.png")]) == 2
    assert not (tmp_path / "refused.png").exists()
    return capsys.readouterr().err


def test_a_2d_gan_run_writes_a_scatter_and_refuses_diffusion_options(tmp_path, capsys):
    run_dir = _train(tmp_path, "ring-gan", *QUICK, "--set", "data.options.n=128")
    out = tmp_path / "ring.png"
    capsys.readouterr()
    assert main(["sample", run_dir, "--seed", "3", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG
    assert "1000 points" in capsys.readouterr().out  # the 2-D default --n
    assert main(["sample", run_dir, "--n", "50", "--out", str(out)]) == 0
    assert "50 points" in capsys.readouterr().out
    assert "--steps and --guidance set a diffusion sampler" in _error(capsys, tmp_path, ["sample", run_dir, "--steps", "5"])
    assert "--steps and --guidance" in _error(capsys, tmp_path, ["sample", run_dir, "--guidance", "1"])
    assert "this run's model is unconditional" in _error(capsys, tmp_path, ["sample", run_dir, "--label", "0"])
    assert "--n must be >= 1" in _error(capsys, tmp_path, ["sample", run_dir, "--n", "0"])


def test_gan_samples_follow_the_seed(tmp_path):
    from neuralab.recipes import gan

    run_dir = _train(tmp_path, "ring-gan", *QUICK, "--set", "data.options.n=128")
    T, model, config, weights, _ = gan.load_trained(run_dir)
    assert weights.name == "last" and config["task"] == "gan"
    draws = [gan.generate(T, model, 20, config["model"]["noise_dim"], seed=seed) for seed in (1, 1, 2)]
    assert (draws[0] == draws[1]).all() and not (draws[0] == draws[2]).all()
    with pytest.raises(ValueError, match="not a GAN run"):
        gan.load_trained(_train(tmp_path / "ddpm", "ring-ddpm", *QUICK, "--set", "data.options.n=128",
                                "--set", "diffusion.steps=10", "--set", "diffusion.ddim_steps=5"))


def test_an_mnist_dcgan_run_writes_an_image_grid(tmp_path, capsys, patched_feature_net):
    run_dir = _train(tmp_path, "mnist-dcgan", *TINY_MNIST_GAN)
    out = tmp_path / "grid.png"
    capsys.readouterr()
    assert main(["sample", run_dir, "--n", "16", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG and "16 images" in capsys.readouterr().out
    assert "this run's model is unconditional" in _error(capsys, tmp_path, ["sample", run_dir, "--label", "3"])


def test_an_mnist_cgan_run_draws_a_chosen_digit(tmp_path, capsys, patched_feature_net):
    run_dir = _train(tmp_path, "mnist-cgan", *TINY_MNIST_GAN)
    out = tmp_path / "three.png"
    assert main(["sample", run_dir, "--n", "8", "--label", "3", "--seed", "1", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG
    assert main(["sample", run_dir, "--n", "20", "--out", str(tmp_path / "rows.png")]) == 0  # one row per class
    assert (tmp_path / "rows.png").read_bytes()[:8] == PNG
    assert "--label must be a class in 0..9; got 10" in _error(capsys, tmp_path, ["sample", run_dir, "--label", "10"])
    assert "--steps and --guidance" in _error(capsys, tmp_path, ["sample", run_dir, "--label", "3", "--steps", "2"])


def test_a_2d_diffusion_run_writes_a_scatter(tmp_path, capsys):
    run_dir = _train(tmp_path, "moons-ddpm", *QUICK, "--set", "data.options.n=256", "--set", "diffusion.steps=10",
                     "--set", "diffusion.ddim_steps=5")
    out = tmp_path / "moons.png"
    capsys.readouterr()
    assert main(["sample", run_dir, "--n", "100", "--steps", "3", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG and "100 points" in capsys.readouterr().out
    assert "this run's model is unconditional" in _error(capsys, tmp_path, ["sample", run_dir, "--label", "1"])
    assert "--steps must be between 1 and the schedule's 10 steps" in _error(capsys, tmp_path, ["sample", run_dir, "--steps", "11"])


def test_a_vae_run_draws_from_its_fitted_prior_or_from_the_standard_normal(tmp_path, capsys, patched_feature_net):
    from neuralab.recipes import vae

    run_dir = _train(tmp_path, "mnist-vae", *QUICK, "--set", "data.subset=64", "--set", "model.hidden=[16]",
                     "--set", "model.latent=2", "--set", "vae.prior_components=3")
    fitted, normal = tmp_path / "fitted.png", tmp_path / "normal.png"
    capsys.readouterr()
    assert main(["sample", run_dir, "--n", "16", "--out", str(fitted)]) == 0
    assert "16 images" in capsys.readouterr().out
    assert main(["sample", run_dir, "--n", "16", "--prior", "normal", "--out", str(normal)]) == 0
    assert fitted.read_bytes()[:8] == PNG and normal.read_bytes()[:8] == PNG
    T, model, _, _, prior = vae.load_trained(run_dir)
    assert len(prior.weights) == 3
    # Different priors, different codes, different images (same seed).
    assert abs(vae.prior_samples(T, model, 16, 0, prior=prior) - vae.prior_samples(T, model, 16, 0)).max() > 1e-3
    assert "a VAE decodes each sample in one pass" in _error(capsys, tmp_path, ["sample", run_dir, "--steps", "3"])
    assert "this run's model is unconditional" in _error(capsys, tmp_path, ["sample", run_dir, "--label", "1"])
