"""Run a denoising recipe: train a model to map noisy images to clean ones, then measure.

Training inputs get fresh noise every epoch (the Trainer's ``augment`` hook, seeded by
``(seed, epoch)``), clipped to [0, 1] like the curriculum's; the targets are the clean
images. Validation and test inputs carry one fixed draw of noise. ``summary.json`` gets
``test_mse_noisy`` (noisy vs clean), ``test_mse_denoised`` (output vs clean) and their
``mse_ratio``: below 1 the model removes noise, below 0.5 it halves the error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data, engines, models
from neuralab.data.patterns import add_noise
from neuralab.recipes.classify import build, schedule_spec, spell_out
from neuralab.recipes.config import require
from neuralab.recipes.targets import metrics_line, verdicts
from neuralab.train import RunRecord, Trainer
from neuralab.viz import plot_history
from neuralab.viz.image_rows import plot_image_rows

LOSSES = ("bce", "mse")

# Config keys only denoising recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {"data": {"options": {}}, "denoise": {"noise": 0.3, "loss": "bce"}}


def validate(config: dict[str, Any]) -> None:
    """Denoising-only checks (the shared ones live in ``recipes.validate``)."""
    settings = config["denoise"]
    require(settings["loss"] in LOSSES, f"denoise.loss must be one of {LOSSES}; got {settings['loss']!r}")
    require(isinstance(settings["noise"], (int, float)) and settings["noise"] > 0, f"denoise.noise must be a positive std; got {settings['noise']!r}")
    require(config["model"]["name"] == "autoencoder", f"denoising recipes use the autoencoder model; got {config['model']['name']!r}")


class NoiseAugment:
    """``augment(x_batch, rng)``: clean batch -> clipped noisy batch (fresh noise each call)."""

    def __init__(self, std: float):
        self.std = std

    def __call__(self, x_batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return add_noise(x_batch, self.std, rng)


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one denoising config; returns the summary dict."""
    splits = data.load(config["data"]["name"], seed=config["seed"], **config["data"]["options"])
    T, model, optimizer = build(config)
    device = engines.resolve_device(T, config["device"])
    config = spell_out(config, optimizer, len(splits.train))
    config["device"] = device
    record = RunRecord.open(resume) if resume else RunRecord.create(runs_root, name=config["recipe"])
    record.write_config(config)
    std, train = config["denoise"]["noise"], config["train"]
    loss_fn = T.nn.functional.binary_cross_entropy if config["denoise"]["loss"] == "bce" else T.nn.functional.mse_loss
    rng = np.random.default_rng([config["seed"], 7])
    noisy_val, noisy_test = add_noise(splits.val.x, std, rng), add_noise(splits.test.x, std, rng)

    trainer = Trainer(model, optimizer, loss_fn, engine=T, device=device, schedule=schedule_spec(config),
                      clip_grad_norm=train["clip_grad_norm"], metrics=(), seed=config["seed"], progress=progress,
                      run=record, threads=config["threads"], augment=NoiseAugment(std))
    history = trainer.fit(train=(splits.train.x, splits.train.x), val=(noisy_val, splits.val.x), epochs=train["epochs"],
                          batch_size=train["batch_size"], eval_batch_size=config["eval"]["batch_size"], resume=True if resume else None)
    trainer.evaluate((noisy_test, splits.test.x), batch_size=config["eval"]["batch_size"], split="test")
    denoised = trainer.predict(noisy_test, batch_size=config["eval"]["batch_size"])
    mse_noisy = float(np.mean((noisy_test - splits.test.x) ** 2))
    mse_denoised = float(np.mean((denoised - splits.test.x) ** 2))
    measured = {"test_mse_noisy": mse_noisy, "test_mse_denoised": mse_denoised, "mse_ratio": mse_denoised / mse_noisy}
    if progress:
        print(metrics_line(measured), flush=True)
    plot_history(history, record.figure_path("curves"), title=f"{config['recipe']}: reconstruction loss")
    plot_image_rows({"clean": splits.test.x, "noisy": noisy_test, "denoised": denoised}, record.figure_path("denoised"),
                    title=f"{config['recipe']}: noise std {std}, test MSE {mse_noisy:.3g} -> {mse_denoised:.3g}")
    return record.update_summary(metrics=measured, targets=verdicts(config["targets"], measured),
                                 parameters=models.count_parameters(model), run_dir=str(record.path))
