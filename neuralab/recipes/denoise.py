"""Run an autoencoder recipe: reconstruct images (``denoise.noise = 0``) or map noisy ones to clean ones.

Training inputs get fresh noise every epoch (the Trainer's ``augment`` hook, seeded by
``(seed, epoch)``), clipped to [0, 1] like the curriculum's; the targets are the clean
images. Validation and test inputs carry one fixed draw of noise. ``summary.json`` gets
``test_mse`` and ``test_bce`` (output vs clean, per pixel) and, with noise,
``test_mse_noisy`` (noisy vs clean), ``test_mse_denoised`` (= ``test_mse``) and their
``mse_ratio``: below 1 the model removes noise, below 0.5 it halves the error.
Figures: clean / noisy / output rows, and for a 2-D code the test set's codes by class.
``data.subset`` keeps only the first N images of each split (quick checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neuralab.data.patterns import add_noise
from neuralab.recipes.common import finish, first_of_each_split, fit, load_splits, make_trainer, prepare, steps_for
from neuralab.recipes.config import require
from neuralab.viz import plot_history
from neuralab.viz.image_rows import plot_image_rows
from neuralab.viz.latent import plot_latent_scatter

LOSSES = ("bce", "mse")

# Config keys only denoising recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {"data": {"options": {}, "subset": None}, "denoise": {"noise": 0.3, "loss": "bce"}}


def validate(config: dict[str, Any]) -> None:
    """Denoising-only checks (the shared ones live in ``recipes.validate``)."""
    settings = config["denoise"]
    require(settings["loss"] in LOSSES, f"denoise.loss must be one of {LOSSES}; got {settings['loss']!r}")
    require(isinstance(settings["noise"], (int, float)) and settings["noise"] >= 0,
            f"denoise.noise must be a std >= 0 (0: plain reconstruction); got {settings['noise']!r}")
    subset = config["data"]["subset"]
    require(subset is None or (isinstance(subset, int) and subset >= 1), f"data.subset must be an integer >= 1 or null; got {subset!r}")
    require(config["model"]["name"] == "autoencoder", f"denoising recipes use the autoencoder model; got {config['model']['name']!r}")


class NoiseAugment:
    """``augment(x_batch, rng)``: clean batch -> clipped noisy batch (fresh noise each call)."""

    def __init__(self, std: float):
        self.std = std

    def __call__(self, x_batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return add_noise(x_batch, self.std, rng)


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one autoencoder config; returns the summary dict."""
    splits = first_of_each_split(load_splits(config, seed_data=True), config["data"]["subset"])
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(len(splits.train), config))
    config, T, record = prepared.config, prepared.T, prepared.record
    std = config["denoise"]["noise"]
    loss_fn = T.nn.functional.binary_cross_entropy if config["denoise"]["loss"] == "bce" else T.nn.functional.mse_loss
    rng = np.random.default_rng([config["seed"], 7])
    clean_test = splits.test.x
    if std > 0:
        input_val, input_test = add_noise(splits.val.x, std, rng), add_noise(clean_test, std, rng)
    else:
        input_val, input_test = splits.val.x, clean_test

    trainer = make_trainer(prepared, progress, loss_fn=loss_fn, augment=NoiseAugment(std) if std > 0 else None)
    history = fit(trainer, prepared, (splits.train.x, splits.train.x), (input_val, splits.val.x), resume=resume)
    batch = config["eval"]["batch_size"]
    trainer.evaluate((input_test, clean_test), batch_size=batch, split="test")
    output = trainer.predict(input_test, batch_size=batch)
    measured = {"test_mse": float(np.mean((output - clean_test) ** 2)), "test_bce": pixel_bce(output, clean_test)}
    if std > 0:
        mse_noisy = float(np.mean((input_test - clean_test) ** 2))
        measured.update(test_mse_noisy=mse_noisy, test_mse_denoised=measured["test_mse"], mse_ratio=measured["test_mse"] / mse_noisy)
    plot_history(history, record.figure_path("curves"), title=f"{config['recipe']}: reconstruction loss")
    if std > 0:
        plot_image_rows({"clean": clean_test, "noisy": input_test, "denoised": output}, record.figure_path("denoised"),
                        title=f"{config['recipe']}: noise std {std}, test MSE {measured['test_mse_noisy']:.3g} -> {measured['test_mse']:.3g}")
    else:
        plot_image_rows({"original": clean_test, "reconstructed": output}, record.figure_path("reconstructions"),
                        title=f"{config['recipe']}: latent {config['model']['latent']}, test MSE {measured['test_mse']:.3g} per pixel")
    if config["model"]["latent"] == 2:
        codes = trainer.predict(clean_test, batch_size=batch, fn=lambda m, xb: m.encoder(xb))
        plot_latent_scatter(codes, splits.test.y, record.figure_path("latent"), classes=splits.classes,
                            title=f"{config['recipe']}: codes of {len(codes):,} test images")
    return finish(prepared, measured, progress)


def pixel_bce(output: np.ndarray, target: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy per pixel (nats) of outputs in [0, 1] against targets in [0, 1]."""
    output = np.clip(output.astype(np.float64), eps, 1.0 - eps)
    return float(-np.mean(target * np.log(output) + (1.0 - target) * np.log(1.0 - output)))
