"""The U-Net noise predictor, classifier-free guidance, and the mnist-ddpm recipe end to end.

Tiny settings throughout; the MNIST-FID feature net is a tiny random cnn patched in (the
``patched_feature_net`` fixture of ``conftest.py``), so nothing trains it and the numbers are
meaningless but the mechanics are real.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import neuralab.scratch as scratch
from neuralab import models
from neuralab.cli import main
from neuralab.generative import diffusion, fid

TINY_UNET = {"channels": [4, 8], "time_dim": 8, "embed_dim": 16, "groups": 2}
TINY_RUN = ["--epochs", "1", "--quiet", "--set", "threads=1", "--set", "data.subset=64", "--set", "eval.samples=30",
            "--set", "model.channels=[4,8]", "--set", "model.groups=2", "--set", "model.embed_dim=16",
            "--set", "diffusion.ddim_steps=3", "--set", "diffusion.ema=0.9"]


def _inputs(n=3, classes=10):
    x = torch.randn(n, 1, 28, 28)
    t = torch.tensor([0, 500, 999][:n])
    labels = torch.arange(n) % classes
    return x, t, labels


@pytest.mark.parametrize("num_classes", [0, 10])
def test_unet_output_has_the_input_shape(num_classes):
    torch.manual_seed(0)
    net = models.build("unet", torch, num_classes=num_classes, **TINY_UNET)
    x, t, labels = _inputs()
    out = net(x, t, labels if num_classes else None)
    assert out.shape == x.shape
    if num_classes:  # no labels = the null label
        assert net.null_label == 10
        np.testing.assert_allclose(net(x, t).detach().numpy(), net(x, t, torch.full((3,), 10)).detach().numpy(), atol=1e-6)
    else:
        with pytest.raises(ValueError, match="unconditional"):
            net(x, t, labels)


def test_unet_refuses_sizes_it_cannot_halve():
    net = models.build("unet", torch, **TINY_UNET)
    with pytest.raises(ValueError, match="divisible by 2"):
        net(torch.randn(2, 1, 27, 27), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="groups"):
        models.build("unet", torch, channels=[4, 6], groups=4)


def test_guidance_zero_is_the_conditional_prediction_and_the_pair_is_batched():
    torch.manual_seed(0)
    net = models.build("unet", torch, num_classes=10, **TINY_UNET).eval()
    x, t, labels = _inputs()
    with torch.no_grad():
        conditional, unconditional = net(x, t, labels), net(x, t)
        np.testing.assert_allclose(diffusion.guided_noise(torch, net, x, t, labels, guidance=0.0).numpy(), conditional.numpy(), atol=1e-6)
        guided = diffusion.guided_noise(torch, net, x, t, labels, guidance=1.5)
    np.testing.assert_allclose(guided.numpy(), (conditional + 1.5 * (conditional - unconditional)).numpy(), atol=1e-5)


def test_label_dropout_uses_the_null_label():
    torch.manual_seed(0)
    labels = torch.arange(1000) % 10
    dropped = diffusion.drop_labels(torch, labels, 0.3, null_label=10)
    changed = dropped != labels
    assert torch.all(dropped[changed] == 10)
    assert 0.25 < changed.float().mean().item() < 0.35
    assert torch.all(diffusion.drop_labels(torch, labels, 0.0, null_label=10) == labels)

    seen = []

    class Spy(torch.nn.Module):
        null_label = 10

        def forward(self, x, t, y):
            seen.append(y)
            return x

    diffusion.denoising_loss(torch, Spy(), diffusion.noise_schedule("linear", 10), torch.zeros(8, 1, 4, 4),
                             labels=labels[:8], label_dropout=0.999999)
    assert torch.all(seen[0] == 10)


def test_scratch_and_torch_unets_agree_on_the_same_weights():
    torch.manual_seed(0)
    reference = models.build("unet", torch, num_classes=10, **TINY_UNET).eval()
    twin = models.build("unet", scratch, num_classes=10, **TINY_UNET)
    twin.load_state_dict({k: scratch.from_numpy(v.detach().numpy().copy()) for k, v in reference.state_dict().items()})
    twin.eval()
    x, t, labels = _inputs()
    with torch.no_grad():
        expected = reference(x, t, labels).numpy()
    with scratch.no_grad():
        got = twin(scratch.from_numpy(x.numpy()), scratch.from_numpy(t.numpy()), scratch.from_numpy(labels.numpy())).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_ddim_trajectory_ends_where_ddim_sample_does():
    torch.manual_seed(0)
    net = models.build("unet", torch, num_classes=10, **TINY_UNET)
    schedule = diffusion.noise_schedule("linear", 50, beta_start=0.001, beta_end=0.2)
    noise, labels = torch.randn(2, 1, 28, 28), torch.tensor([3, 7])
    final = diffusion.ddim_sample(torch, net, schedule, noise, steps=5, labels=labels, guidance=2.0, clip=1.0)
    last, snapshots = diffusion.ddim_trajectory(torch, net, schedule, noise, steps=5, labels=labels, guidance=2.0, clip=1.0)
    np.testing.assert_allclose(last, final.numpy(), atol=1e-6)
    assert sorted(snapshots, reverse=True) == [50, 37, 24, 12, 0] and np.abs(last).max() <= 1.0


def test_mnist_ddpm_trains_samples_and_evaluates(tmp_path, capsys, patched_feature_net):
    assert main(["train", "mnist-ddpm", "--out", str(tmp_path / "runs"), *TINY_RUN]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert set(fid.SAMPLE_METRICS) <= set(summary["metrics"]) and set(summary["targets"]) == {"recognized", "rarest_class"}
    assert summary["sample_images_per_s"] > 0 and summary["train_images_per_s"] > 0
    for figure in ("samples", "trajectory", "curves"):
        assert (run_dir / "figures" / f"{figure}.png").is_file()
    assert (run_dir / "checkpoints" / "ema.safetensors").is_file()

    out = tmp_path / "three.png"
    assert main(["sample", str(run_dir), "--n", "4", "--label", "3", "--steps", "2", "--seed", "1", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["sample", str(run_dir), "--label", "10", "--out", str(out)]) != 0
    assert "--label must be a class in 0..9" in capsys.readouterr().err

    assert main(["eval", str(run_dir), "--samples", "20"]) == 0
    assert "fid_floor" in capsys.readouterr().out
    evaluated = json.loads((run_dir / "eval.json").read_text())
    assert evaluated["task"] == "diffusion" and evaluated["samples"] == 20 and evaluated["weights"].endswith("ema.safetensors")
    assert set(fid.SAMPLE_METRICS) <= set(evaluated["metrics"])


def test_unconditional_mnist_ddpm_samples_with_ddpm(tmp_path, patched_feature_net):
    overrides = ["--set", "model.num_classes=0", "--set", "diffusion.guidance=0", "--set", "diffusion.sampler=ddpm",
                 "--set", "diffusion.steps=20", "--set", "diffusion.ema=null"]
    assert main(["train", "mnist-ddpm", "--out", str(tmp_path), *TINY_RUN, *overrides]) == 0
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "label_accuracy" not in summary["metrics"] and "fid" in summary["metrics"]
    assert main(["sample", str(run_dir), "--n", "4", "--out", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").is_file()


def test_mnist_ddpm_settings_are_checked():
    from neuralab import recipes

    with pytest.raises(ValueError, match="guidance"):
        recipes.resolve("mnist-ddpm", overrides=["model.num_classes=0"])
    with pytest.raises(ValueError, match="sampler"):
        recipes.resolve("mnist-ddpm", overrides=["diffusion.sampler=euler"])
    with pytest.raises(ValueError, match="unet"):
        recipes.resolve("mnist-ddpm", overrides=["model.name=denoiser"])
