"""Run a diffusion (DDPM) recipe on a 2-D toy set: train eps_theta, sample, measure.

The ``Trainer`` fits the noise predictor through ``compute_loss`` (the DDPM loss of
``neuralab.generative.diffusion``). Then ``eval.samples`` points are drawn twice, by
ancestral DDPM sampling over every step and by deterministic DDIM in
``diffusion.ddim_steps`` steps, and measured against the noiseless data manifold:
``manifold_fraction`` is the share of DDPM samples within ``diffusion.tolerance`` of it
(``ddim_manifold_fraction`` the same for DDIM, ``data_manifold_fraction`` for real test
points, the ceiling a perfect model would reach).
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data, engines, models
from neuralab.generative import diffusion
from neuralab.generative.metrics import manifold_distance
from neuralab.recipes.classify import build, schedule_spec, spell_out
from neuralab.recipes.config import require
from neuralab.recipes.targets import metrics_line, verdicts
from neuralab.train import RunRecord, Trainer
from neuralab.train.checkpoint import to_numpy
from neuralab.viz import plot_history
from neuralab.viz.samples import plot_samples
from neuralab.viz.trajectory import plot_trajectory

# Config keys only diffusion recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {
    "data": {"options": {}},
    # Ho et al.'s linear betas (1e-4 -> 0.02 over 1000 steps) scaled to 100 steps. The cosine
    # schedule's last steps drive abar to ~1e-7, which makes DDIM's first jump amplify the
    # network's error several hundred times (measured: 10% of DDIM samples on the ring).
    "diffusion": {"schedule": "linear", "steps": 100, "beta_start": 0.001, "beta_end": 0.2,
                  "ddim_steps": 20, "tolerance": 0.3},
    "eval": {"samples": 10000},
}


def validate(config: dict[str, Any]) -> None:
    """Diffusion-only checks (the shared ones live in ``recipes.validate``)."""
    settings = config["diffusion"]
    require(config["data"]["name"] in ("ring", "moons"), f"diffusion recipes train on 'ring' or 'moons'; got {config['data']['name']!r}")
    require(settings["schedule"] in diffusion.SCHEDULES, f"diffusion.schedule must be one of {diffusion.SCHEDULES}; got {settings['schedule']!r}")
    require(isinstance(settings["steps"], int) and settings["steps"] >= 2, f"diffusion.steps must be an integer >= 2; got {settings['steps']!r}")
    require(isinstance(settings["ddim_steps"], int) and 1 <= settings["ddim_steps"] <= settings["steps"],
            f"diffusion.ddim_steps must be an integer in [1, diffusion.steps]; got {settings['ddim_steps']!r}")
    require(settings["tolerance"] > 0, f"diffusion.tolerance must be positive; got {settings['tolerance']!r}")
    require(isinstance(config["eval"]["samples"], int) and config["eval"]["samples"] >= 1,
            f"eval.samples must be an integer >= 1; got {config['eval']['samples']!r}")


def make_schedule(config: dict[str, Any]) -> diffusion.NoiseSchedule:
    """The noise schedule named in ``config["diffusion"]``."""
    settings = config["diffusion"]
    return diffusion.noise_schedule(settings["schedule"], settings["steps"], beta_start=settings["beta_start"], beta_end=settings["beta_end"])


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train, sample and measure one diffusion config; returns the summary dict."""
    splits = data.load(config["data"]["name"], seed=config["seed"], **config["data"]["options"])
    T, model, optimizer = build(config)
    device = engines.resolve_device(T, config["device"])
    config = spell_out(config, optimizer, len(splits.train))
    config["device"] = device
    record = RunRecord.open(resume) if resume else RunRecord.create(runs_root, name=config["recipe"])
    record.write_config(config)
    schedule = make_schedule(config)
    train = config["train"]

    def compute_loss(net, xb, _yb):
        return diffusion.denoising_loss(T, net, schedule, xb), None

    trainer = Trainer(model, optimizer, engine=T, device=device, schedule=schedule_spec(config), clip_grad_norm=train["clip_grad_norm"],
                      metrics=(), seed=config["seed"], progress=progress, run=record, threads=config["threads"], compute_loss=compute_loss)
    history = trainer.fit(train=splits.train.x, val=splits.val.x, epochs=train["epochs"], batch_size=train["batch_size"],
                          eval_batch_size=config["eval"]["batch_size"], resume=True if resume else None)

    started = time.perf_counter()
    settings, n = config["diffusion"], config["eval"]["samples"]
    record_at = sorted({schedule.steps, *(int(f * schedule.steps) for f in (0.6, 0.3, 0.15, 0.05)), 0}, reverse=True)
    samples, snapshots = diffusion.ddpm_sample(T, model, schedule, (n, splits.input_shape[0]), seed=config["seed"] + 1,
                                               device=device, record=record_at)
    noise = T.from_numpy(np.random.default_rng(config["seed"] + 2).standard_normal((n, splits.input_shape[0])).astype(np.float32)).to(device)
    ddim_samples = to_numpy(diffusion.ddim_sample(T, model, schedule, noise, steps=settings["ddim_steps"]))
    sampling_s = time.perf_counter() - started

    shape = dict(config["data"]["options"])
    distance = functools.partial(manifold_distance, dataset=config["data"]["name"], **({"radius": shape.get("radius", 2.0)}))
    tolerance = settings["tolerance"]
    measured = {
        "manifold_fraction": float((distance(samples) < tolerance).mean()),
        "ddim_manifold_fraction": float((distance(ddim_samples) < tolerance).mean()),
        "data_manifold_fraction": float((distance(splits.test.x) < tolerance).mean()),
        "mean_manifold_distance": float(distance(samples).mean()),
        "test_loss": trainer.evaluate(splits.test.x, batch_size=config["eval"]["batch_size"], split="test")["loss"],
    }
    if progress:
        print(metrics_line(measured), flush=True)
    title = f"{config['recipe']} ({settings['schedule']} schedule, {schedule.steps} steps, seed {config['seed']})"
    plot_history(history, record.figure_path("curves"), title=f"{config['recipe']}: noise-prediction loss")
    plot_samples(splits.test.x, samples, record.figure_path("samples"), title=title + ", DDPM")
    plot_samples(splits.test.x, ddim_samples, record.figure_path("samples_ddim"), title=title + f", DDIM {settings['ddim_steps']} steps")
    plot_trajectory(snapshots, record.figure_path("trajectory"), title=f"{config['recipe']}: denoising from x_T to x_0 (DDPM)")
    return record.update_summary(metrics=measured, targets=verdicts(config["targets"], measured), sampling_s=sampling_s,
                                 parameters=models.count_parameters(model), run_dir=str(record.path))
