"""MNIST-FID: the Fréchet distance, the cached feature net, and the MNIST GAN recipes end to end.

No test trains the real feature net: a tiny random cnn stands in (cached under a temporary
NEURALAB_DATA, or patched in), so the numbers are meaningless but the mechanics are real.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from neuralab import models
from neuralab.cli import main
from neuralab.data.checksums import ChecksumError
from neuralab.generative import fid

TINY_NET = {"channels": [4], "hidden": 8, "dropout": 0.0}
SAMPLE_KEYS = {"fid", "fid_floor", "recognized", "rarest_class", "commonest_class"}
QUICK = ["--epochs", "1", "--quiet", "--set", "data.subset=128", "--set", "eval.samples=200",
         "--set", "model.width=8", "--set", "model.noise_dim=8"]


@pytest.fixture
def tiny_feature_net(monkeypatch, tmp_path):
    """A random 8-feature cnn cached as the feature net under a temporary data home."""
    monkeypatch.setenv("NEURALAB_DATA", str(tmp_path / "data"))
    torch.manual_seed(0)
    net = models.build("cnn", torch, **TINY_NET)
    manifest = fid.save_feature_net(net, TINY_NET, test_accuracy=0.1, source="test")
    return net, manifest


def test_identical_feature_sets_are_at_distance_zero():
    features = np.random.default_rng(0).standard_normal((500, 16))
    assert fid.feature_distance(features, features) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_matches_the_closed_form():
    # Diagonal covariances: Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = sum (sqrt(a) - sqrt(b))^2.
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert fid.frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)
    # A full covariance, rotated: the distance is rotation invariant.
    rotation, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))
    rotated = fid.frechet_distance(rotation @ mu1, rotation @ np.diag(var1) @ rotation.T,
                                   rotation @ mu2, rotation @ np.diag(var2) @ rotation.T)
    assert rotated == pytest.approx(expected, rel=1e-8)
    # Sample estimates converge to the closed form.
    rng = np.random.default_rng(2)
    a = mu1 + rng.standard_normal((200_000, 3)) * np.sqrt(var1)
    b = mu2 + rng.standard_normal((200_000, 3)) * np.sqrt(var2)
    assert fid.feature_distance(a, b) == pytest.approx(expected, rel=0.02)


def test_feature_net_round_trips_through_the_cache(tiny_feature_net):
    net, manifest = tiny_feature_net
    loaded, read = fid.load_feature_net()
    assert read["test_accuracy"] == 0.1 and read["model"]["hidden"] == 8
    images = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    assert fid.extract_features(images, loaded).shape == (5, 8)
    np.testing.assert_allclose(fid.extract_features(images, loaded), fid.extract_features(images, net.eval()), rtol=1e-6)


def test_without_torch_the_feature_net_runs_on_the_scratch_engine(tiny_feature_net, monkeypatch):
    """A core install (NumPy only) measures FID with the scratch engine: the same cached weights,
    the same features to float32 rounding (it had ended a scratch VAE run with "needs torch")."""
    from neuralab import engines, scratch
    from neuralab.extras import MissingExtra

    net, _ = tiny_feature_net
    stored = fid.load_safetensors(fid.cache.read_verified(fid.FEATURE_NET, fid.WEIGHTS))
    assert all(stored[k].shape == tuple(v.shape) for k, v in net.state_dict().items())  # 0-dim stays 0-dim
    real_get = engines.get

    def without_torch(name):
        if name == "torch":
            raise MissingExtra("the torch engine needs the Python package 'torch', which is not installed")
        return real_get(name)
    monkeypatch.setattr(engines, "get", without_torch)
    assert fid.feature_engine() is scratch
    loaded, _ = fid.load_feature_net()
    assert isinstance(loaded, scratch.nn.Module)
    images = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    on_scratch = fid.extract_features(images, loaded)
    monkeypatch.setattr(engines, "get", real_get)
    np.testing.assert_allclose(on_scratch, fid.extract_features(images, net.eval()), rtol=1e-5, atol=1e-6)


def test_a_corrupt_feature_net_is_refused(tiny_feature_net):
    _, manifest = tiny_feature_net
    path = fid.cache.dataset_dir(fid.FEATURE_NET) / fid.WEIGHTS
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF
    path.write_bytes(bytes(blob))
    expected = manifest["files"][fid.WEIGHTS]["sha256"]
    with pytest.raises(ChecksumError, match=expected) as error:
        fid.load_feature_net()
    assert str(path) in str(error.value)


def test_images_of_the_wrong_shape_are_refused(patched_feature_net):
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        fid.mnist_fid(np.zeros((10, 784), dtype=np.float32))


def test_mnist_dcgan_runs_end_to_end_and_eval_writes_eval_json(tmp_path, capsys, patched_feature_net):
    assert main(["train", "mnist-dcgan", "--out", str(tmp_path), *QUICK]) == 0
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and SAMPLE_KEYS <= set(summary["metrics"])
    assert set(summary["targets"]) == {"recognized", "rarest_class"} and summary["images_per_s"] > 0
    assert (run_dir / "figures" / "samples.png").is_file() and (run_dir / "figures" / "curves.png").is_file()
    capsys.readouterr()
    assert main(["eval", str(run_dir), "--samples", "300"]) == 0
    assert "fid_floor" in capsys.readouterr().out
    evaluated = json.loads((run_dir / "eval.json").read_text())
    assert evaluated["samples"] == 300 and evaluated["task"] == "gan" and {"fid", "fid_floor"} <= set(evaluated["metrics"])


def test_mnist_cgan_runs_end_to_end_with_a_label_check(tmp_path, patched_feature_net):
    assert main(["train", "mnist-cgan", "--out", str(tmp_path), *QUICK]) == 0
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert SAMPLE_KEYS | {"label_accuracy"} <= set(summary["metrics"])
    assert set(summary["targets"]) == {"recognized", "rarest_class"}
    assert 0.0 <= summary["metrics"]["label_accuracy"] <= 1.0


@pytest.mark.parametrize("name", ["mnist-dcgan", "mnist-cgan"])
def test_wgan_gp_option_trains_on_images(name):
    from neuralab import recipes
    from neuralab.recipes import gan
    from neuralab.train.optimizers import build_optimizer

    config = recipes.resolve(name, overrides=["gan.loss=wgan-gp", "model.d_batchnorm=false", "model.width=8", "gan.d_steps=2"])
    torch.manual_seed(0)
    model = models.build("dcgan", torch, **{k: v for k, v in config["model"].items() if k != "name"})
    d_opt = build_optimizer(torch, model["discriminator"].parameters(), config["optimizer"])
    g_opt = build_optimizer(torch, model["generator"].parameters(), config["optimizer"])
    # cgan: class labels; dcgan: codes (its default is code-conditioned)
    condition = torch.arange(8) % 10 if config["model"]["num_classes"] else torch.randn(8, config["model"]["code_dim"])
    losses = gan.train_step(torch, model, d_opt, g_opt, torch.rand(8, 1, 28, 28), config, condition)
    assert all(np.isfinite(v) for v in losses.values())


def test_wgan_gp_refuses_a_batchnorm_critic():
    from neuralab import recipes

    with pytest.raises(ValueError, match="d_batchnorm=false"):
        recipes.resolve("mnist-dcgan", overrides=["gan.loss=wgan-gp"])


def test_a_vae_run_measures_prior_samples_and_eval_repeats_the_measure(tmp_path, capsys, patched_feature_net):
    args = ["train", "mnist-vae", "--out", str(tmp_path), "--epochs", "1", "--quiet", "--set", "data.subset=64",
            "--set", "model.hidden=[16]", "--set", "model.latent=2", "--set", "eval.samples=200"]
    assert main(args) == 0
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    metrics = summary["metrics"]
    assert SAMPLE_KEYS | {"elbo_nats", "test_nelbo_nats"} <= set(metrics) and metrics["elbo_nats"] == metrics["test_nelbo_nats"]
    assert summary["targets"]["recognized"]["op"] == ">=" and summary["targets"]["test_nelbo_nats"]["op"] == "<="
    assert summary["fid_details"]["samples"] == 200
    # The default sampling prior is the fitted mixture, saved beside the weights; N(0, I) is measured too.
    assert (run_dir / "checkpoints" / "prior.safetensors").exists() and summary["prior_fit"]["components"] == 20
    assert {"test_nelbo_mixture_prior_nats", "normal_prior_recognized", "normal_prior_fid"} <= set(metrics)
    assert main(["eval", str(run_dir), "--json"]) == 0
    evaluated = json.loads((run_dir / "eval.json").read_text())
    assert evaluated["task"] == "vae" and evaluated["samples"] == 200 and SAMPLE_KEYS <= set(evaluated["metrics"])
    # The same prior samples as at the end of training, so the same numbers.
    assert {k: evaluated["metrics"][k] for k in SAMPLE_KEYS} == pytest.approx({k: metrics[k] for k in SAMPLE_KEYS})


def test_an_interrupted_gan_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch, patched_feature_net):
    from neuralab import recipes
    from neuralab.recipes import gan
    from neuralab.train import load_checkpoint

    config = recipes.resolve("mnist-dcgan", epochs=3, overrides=["threads=1", "data.subset=128", "eval.samples=200",
                                                                 "model.width=8", "model.noise_dim=8"])
    whole = recipes.run(config, runs_root=tmp_path / "whole", progress=False)

    step, calls = gan.train_step, []

    def interrupted_in_epoch_3(*args, **kwargs):  # 2 steps per epoch: stop at the first step of epoch 3
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return step(*args, **kwargs)

    monkeypatch.setattr(gan, "train_step", interrupted_in_epoch_3)
    with pytest.raises(KeyboardInterrupt):
        recipes.run(config, runs_root=tmp_path / "parts", progress=False)
    monkeypatch.setattr(gan, "train_step", step)
    (run_dir,) = (tmp_path / "parts").iterdir()
    assert load_checkpoint(run_dir / "checkpoints" / "last")["epoch"] == 2
    assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0

    resumed = json.loads((run_dir / "summary.json").read_text())
    assert resumed["status"] == "completed" and resumed["metrics"] == pytest.approx(whole["metrics"])
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    expected = [json.loads(line) for line in (tmp_path / "whole" / Path(whole["run_dir"]).name / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1, 2, 3]
    drop_time = lambda rows: [{k: v for k, v in row.items() if k != "time_s"} for row in rows]  # noqa: E731
    assert drop_time(lines) == drop_time(expected)
    ours, theirs = load_checkpoint(run_dir / "checkpoints" / "last"), load_checkpoint(Path(whole["run_dir"]) / "checkpoints" / "last")
    for name, value in theirs["model"].items():
        np.testing.assert_array_equal(ours["model"][name], value, err_msg=name)


def test_recognizability_counts_confident_samples_and_class_shares():
    confident = np.eye(10)[np.arange(100) % 10] * 0.95 + 0.005  # every row sums to 1, top-1 0.955
    uniform = np.full((100, 10), 0.1)
    measured = fid.recognizability(np.concatenate([confident, uniform]))
    assert measured["recognized"] == pytest.approx(0.5)
    assert len(measured["class_shares"]) == 10 and sum(measured["class_shares"]) == pytest.approx(1.0)
    collapsed = fid.recognizability(np.eye(10)[np.full(50, 3)])  # a generator that only draws 3s
    assert collapsed["recognized"] == 1.0 and collapsed["rarest_class"] == 0.0 and collapsed["commonest_class"] == 1.0
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        fid.recognizability(np.zeros(10))


def test_the_feature_net_recognizes_real_digits_but_not_blends_and_noise_shows_as_imbalance():
    """With the project's real feature net (trained once and cached if absent, ~2 min):
    nearly every real test digit is recognized and the classes are balanced; blends of two
    different digits mostly are not; uniform noise is read confidently as one digit, which
    only the class balance exposes (so recognizability is never reported alone)."""
    from neuralab import data

    splits = data.load("mnist")
    net, _ = fid.load_feature_net()
    real = fid.recognizability(fid.class_probabilities(splits.test.x, net))
    assert real["recognized"] >= 0.95 and real["rarest_class"] >= 0.08 and real["commonest_class"] <= 0.12
    rng = np.random.default_rng(0)
    a, b = rng.permutation(len(splits.test))[:2000], rng.permutation(len(splits.test))[:2000]
    different = splits.test.y[a] != splits.test.y[b]
    blends = (splits.test.x[a][different] + splits.test.x[b][different]) / 2
    assert fid.recognizability(fid.class_probabilities(blends, net))["recognized"] < 0.6
    noise = fid.recognizability(fid.class_probabilities(rng.random((500, 1, 28, 28), dtype=np.float32), net))
    assert noise["rarest_class"] == 0.0 and noise["commonest_class"] > 0.5


@pytest.mark.parametrize("reference", ["test", "val"])
def test_the_real_images_of_an_fid_keep_no_other_part_of_mnist_alive(reference):
    """mnist_fid holds only the reference split and the floor's training images through the feature
    net's peak: neither array is a view into the (train + val) images, and they are what the split holds."""
    from neuralab import data

    images, floor = fid._real_images(reference, 300, seed=0)
    splits = data.load("mnist")
    pick = np.sort(np.random.default_rng(0).choice(len(splits.train), size=300, replace=False))
    np.testing.assert_array_equal(images, getattr(splits, reference).x)
    np.testing.assert_array_equal(floor, splits.train.x[pick])
    for array in (images, floor):
        assert array.base is None or array.base.nbytes == array.nbytes
