"""Each generative recipe runs end to end through the CLI with tiny settings and writes
a complete run folder (mechanics only: the targets need the default settings)."""

from __future__ import annotations

import json

import pytest

from neuralab import recipes
from neuralab.cli import main

QUICK = ["--epochs", "1", "--set", "threads=1", "--quiet"]

CASES = {
    "ring-gan": (["--set", "eval.samples=200", "--set", "data.options.n=128"],
                 {"mean_radius", "radius_error", "min_bin_fraction"}, {"samples", "discriminator", "curves"}),
    "gaussians-gan": (["--set", "eval.samples=200", "--set", "data.options.n=128"],
                      {"modes_covered", "near_mode_fraction"}, {"samples", "discriminator", "curves"}),
    "gaussians-wgan": (["--set", "eval.samples=200", "--set", "data.options.n=128", "--set", "gan.d_steps=2"],
                       {"modes_covered"}, {"samples", "discriminator", "curves"}),
    "ring-ddpm": (["--set", "eval.samples=200", "--set", "data.options.n=256", "--set", "diffusion.steps=10",
                   "--set", "diffusion.ddim_steps=5"],
                  {"manifold_fraction", "ddim_manifold_fraction", "data_manifold_fraction"}, {"samples", "samples_ddim", "trajectory", "curves"}),
    "moons-ddpm": (["--set", "eval.samples=200", "--set", "data.options.n=256", "--set", "diffusion.steps=10",
                    "--set", "diffusion.ddim_steps=5"],
                   {"manifold_fraction", "ddim_manifold_fraction"}, {"samples", "trajectory"}),
    "patterns-dae": (["--set", "data.options.n=64"], {"test_mse_noisy", "test_mse_denoised", "mse_ratio"}, {"denoised", "curves"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_recipe_runs_end_to_end(name, tmp_path, capsys):
    extra, metric_names, figures = CASES[name]
    assert main(["train", name, "--out", str(tmp_path), *QUICK, *extra]) == 0
    out = capsys.readouterr().out
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    assert summary["recipe"] == name and summary["epochs"] == 1 and config["train"]["epochs"] == 1
    assert metric_names <= set(summary["metrics"]), summary["metrics"]
    for metric, verdict in summary["targets"].items():
        assert set(verdict) == {"target", "measured", "met", "op"} and f"target {metric} {verdict['op']}" in out
    assert (run_dir / "metrics.jsonl").read_text().strip()
    assert (run_dir / "checkpoints" / "last.safetensors").is_file()
    assert {p.stem for p in (run_dir / "figures").glob("*.png")} >= figures


def test_gan_runs_are_reproducible_with_a_seed(tmp_path):
    config = recipes.resolve("ring-gan", epochs=2, seed=4, overrides=["threads=1", "eval.samples=300", "data.options.n=128"])
    first = recipes.run(config, runs_root=tmp_path, progress=False)["metrics"]
    second = recipes.run(config, runs_root=tmp_path, progress=False)["metrics"]
    assert first == second


def test_eval_of_a_2d_gan_run_repeats_its_sample_measures(tmp_path, capsys):
    assert main(["train", "ring-gan", "--out", str(tmp_path), *QUICK, "--set", "eval.samples=300", "--set", "data.options.n=128"]) == 0
    (run_dir,) = tmp_path.iterdir()
    assert main(["eval", str(run_dir)]) == 0
    evaluated = json.loads((run_dir / "eval.json").read_text())
    measured = json.loads((run_dir / "summary.json").read_text())["metrics"]
    assert evaluated["samples"] == 300 and evaluated["weights"].endswith("last.safetensors")
    assert evaluated["metrics"] == pytest.approx({k: measured[k] for k in evaluated["metrics"]})
    assert {"mean_radius", "min_bin_fraction"} <= set(evaluated["metrics"])


def test_generative_settings_are_checked_before_training():
    with pytest.raises(ValueError, match="gan.loss must be one of"):
        recipes.resolve("ring-gan", overrides=["gan.loss=hinge"])
    with pytest.raises(ValueError, match="diffusion.ddim_steps must be an integer in"):
        recipes.resolve("ring-ddpm", overrides=["diffusion.ddim_steps=500"])
    with pytest.raises(ValueError, match="denoise.loss must be one of"):
        recipes.resolve("patterns-dae", overrides=["denoise.loss=l1"])
