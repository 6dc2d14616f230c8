"""VAE and diffusion runs loaded for the lab's Generate page: the VAE's latent walk and the
diffusion model's denoising strip (the sample grids come from ``neuralab sample`` jobs).

* ``VAEModel.walk(start, end, steps, rows)``: the k-th test image of class ``start`` and of class
  ``end`` are encoded to the means ``mu_a``, ``mu_b`` of q(z|x); the row decodes
  ``sigmoid(decode((1 - s) mu_a + s mu_b))`` for ``steps`` values of s from 0 to 1.
* ``DiffusionModel.strip(label, seed, frames)``: one sample drawn by the run's own sampler
  (DDIM steps and guidance as after training) from noise seeded by ``seed``, seen at ``frames``
  steps from x_T (pure noise) to x_0 (``recipes.diffusion.denoising_frames``).

Images travel as base64 uint8 (0 = black, 255 = white), shapes beside them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab.inference.run_models import InputError, RunModelError, bounded, finished_runs, measured_checkpoint, run_config
from neuralab.train.checkpoint import CheckpointError, to_numpy

MAX_STEPS, MAX_ROWS, MAX_FRAMES = 16, 6, 12


def _b64(images: np.ndarray) -> str:
    """Images in [0, 1] as base64 of their uint8 grey levels (one scale for all: no per-image stretch)."""
    return base64.b64encode(np.round(np.clip(images, 0, 1) * 255).astype(np.uint8).tobytes()).decode("ascii")


def generative_runs(root: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Finished runs the walk and the strip take: ``{"vae": [...], "diffusion": [...]}`` (image runs only)."""
    from neuralab.recipes.diffusion import IMAGE_SETS  # noqa: PLC0415

    vae = [{"name": card["name"], "recipe": card["recipe"], "data": config["data"]["name"], "latent": config["model"]["latent"]}
           for card, config in finished_runs(root, ("vae",))]
    diffusion = [{"name": card["name"], "recipe": card["recipe"], "data": config["data"]["name"],
                  "classes": config["model"].get("num_classes") or 0, "sampler": config["diffusion"]["sampler"]}
                 for card, config in finished_runs(root, ("diffusion",)) if config["data"]["name"] in IMAGE_SETS]
    return {"vae": vae, "diffusion": diffusion}


@dataclass
class VAEModel:
    """A loaded VAE run: engine ``T``, the model in eval mode, config, test images and labels."""

    name: str
    T: ModuleType
    model: Any
    config: dict[str, Any]
    test_x: np.ndarray
    test_y: np.ndarray
    classes: tuple[str, ...]

    def walk(self, start: int, end: int, steps: int = 10, rows: int = 3) -> dict[str, Any]:
        """``rows`` straight lines in z from a test image of class ``start`` to one of class ``end``."""
        count = len(self.classes)
        start = bounded("the first class", start, 0, count - 1, integer=True)
        end = bounded("the second class", end, 0, count - 1, integer=True)
        steps = bounded("steps", steps, 2, MAX_STEPS, integer=True)
        rows = bounded("rows", rows, 1, MAX_ROWS, integer=True)
        firsts, seconds = (np.flatnonzero(self.test_y == k)[:rows] for k in (start, end))
        rows = min(len(firsts), len(seconds))
        if rows == 0:
            raise InputError(f"run {self.name}'s test set holds no image of class {start if not len(firsts) else end}")
        T, model = self.T, self.model
        ends = np.concatenate([self.test_x[firsts[:rows]], self.test_x[seconds[:rows]]]).astype(np.float32)
        with T.no_grad():
            mu = to_numpy(model.encode(T.from_numpy(ends))[0])
            s = np.linspace(0.0, 1.0, steps)[None, :, None]
            z = (1 - s) * mu[:rows, None] + s * mu[rows:, None]                 # (rows, steps, latent)
            decoded = to_numpy(T.sigmoid(model.decode(T.from_numpy(z.reshape(rows * steps, -1).astype(np.float32)))))
        height, width = decoded.shape[-2:]
        return {"run": self.name, "rows": rows, "steps": steps, "shape": [height, width],
                "labels": [self.classes[start], self.classes[end]],
                "walk": _b64(decoded.reshape(rows, steps, height, width)),
                "ends": _b64(ends.reshape(2, rows, height, width).transpose(1, 0, 2, 3))}


@dataclass
class DiffusionModel:
    """A loaded diffusion run on images: engine ``T``, the model, its noise schedule and config."""

    name: str
    T: ModuleType
    model: Any
    schedule: Any
    config: dict[str, Any]

    def strip(self, label: int | None = None, seed: int = 0, frames: int = 8) -> dict[str, Any]:
        """One sample seen at ``frames`` steps from x_T to x_0; ``label``: the class (conditional runs)."""
        from neuralab.recipes import diffusion  # noqa: PLC0415

        classes = self.config["model"].get("num_classes") or 0
        if label is not None and not classes:
            raise InputError(f"run {self.name} is an unconditional model: leave the label empty")
        if label is not None:
            label = bounded("label", label, 0, classes - 1, integer=True)
        elif classes:
            label = 0
        seed = bounded("seed", seed, 0, 2 ** 32 - 1, integer=True)
        frames = bounded("frames", frames, 2, MAX_FRAMES, integer=True)
        noise = np.random.default_rng(seed).standard_normal((1, *diffusion.image_shape(self.config))).astype(np.float32)
        times, images = diffusion.denoising_frames(self.T, self.model, self.schedule, self.config, noise, seed=seed,
                                                   labels=None if label is None else np.array([label]), frames=frames)
        height, width = images.shape[-2:]
        return {"run": self.name, "times": times, "label": label, "shape": [height, width],
                "sampler": diffusion.sampler_text(self.config), "frames": _b64(images[:, 0, 0])}


def load_vae(folder: str | Path, engine: str | None = None) -> VAEModel:
    """The VAE run's model and its test images (binarized as the run measured them)."""
    from neuralab.recipes import vae  # noqa: PLC0415
    from neuralab.recipes.common import load_splits  # noqa: PLC0415

    folder = Path(folder)
    run_config(folder, ("vae",))
    try:
        T, model, config, _, _ = vae.load_trained(folder, engine=engine, checkpoint=measured_checkpoint(folder))
    except (ValueError, FileNotFoundError, CheckpointError) as error:
        raise RunModelError(f"run {folder.name}: {error}") from None
    splits = load_splits(config, seed_data=True)
    test_x = vae.binarized_splits(config, splits)[2]
    return VAEModel(folder.name, T, model, config, test_x, np.asarray(splits.test.y), tuple(str(c) for c in splits.classes))


def load_diffusion(folder: str | Path, engine: str | None = None) -> DiffusionModel:
    """The diffusion run's model (its ``ema`` weights when kept) and noise schedule."""
    from neuralab.recipes import diffusion  # noqa: PLC0415

    folder = Path(folder)
    config = run_config(folder, ("diffusion",))
    if config["data"]["name"] not in diffusion.IMAGE_SETS:
        raise RunModelError(f"run {folder.name} draws 2-D points ({config['data']['name']}); the denoising strip needs a run on "
                            f"{' or '.join(diffusion.IMAGE_SETS)} images")
    try:
        T, model, schedule, config, _ = diffusion.load_trained(folder, engine=engine)
    except (ValueError, FileNotFoundError, CheckpointError) as error:
        raise RunModelError(f"run {folder.name}: {error}") from None
    return DiffusionModel(folder.name, T, model, schedule, config)
