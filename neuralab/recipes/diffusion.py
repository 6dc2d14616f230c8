"""Run a diffusion (DDPM) recipe on a 2-D toy set or on MNIST: train eps_theta, sample, measure.

The ``Trainer`` fits the noise predictor through ``compute_loss`` (the DDPM loss of
``neuralab.generative.diffusion``). ``diffusion.ema`` (a decay, or null) keeps a moving
average of the weights (``neuralab.train.ema``), saved as ``checkpoints/ema`` and used for
every sample drawn after training.

On a 2-D set, ``eval.samples`` points are drawn twice, by ancestral DDPM sampling over every
step and by deterministic DDIM in ``diffusion.ddim_steps`` steps, and measured against the
noiseless data manifold: ``manifold_fraction`` is the share of DDPM samples within
``diffusion.tolerance`` of it (``ddim_manifold_fraction`` the same for DDIM,
``data_manifold_fraction`` for real test points, the ceiling a perfect model would reach).

On MNIST (model ``unet``, pixels scaled to [-1, 1]) ``eval.samples`` digits are drawn with
``diffusion.sampler`` (``ddim`` in ``diffusion.ddim_steps`` steps, or ``ddpm`` over every
step) and measured by MNIST-FID against the test set (``neuralab.generative.fid``). A
conditional U-Net (``model.num_classes = 10``) is trained with ``diffusion.label_dropout`` of
its labels replaced by the null label and sampled with classifier-free guidance of scale
``diffusion.guidance``, asking for every digit in turn (``label_accuracy``).
``data.subset`` keeps the first N training images (quick checks).
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
from neuralab.recipes.common import finish, fit, make_trainer, model_options, prepare, steps_for
from neuralab.recipes.config import require
from neuralab.recipes.generation import sample_conditions
from neuralab.train import RunRecord, load_weights, save_checkpoint
from neuralab.train.checkpoint import to_numpy
from neuralab.train.ema import WeightEMA
from neuralab.viz import plot_history
from neuralab.viz.class_grid import plot_class_grid
from neuralab.viz.latent import plot_image_grid
from neuralab.viz.samples import plot_samples
from neuralab.viz.trajectory import plot_trajectory

POINT_SETS = ("ring", "moons")
IMAGE_SETS = ("mnist",)
SAMPLERS = ("ddim", "ddpm")
VAL_IMAGES = 1000  # the per-epoch validation loss on images uses the first 1,000 validation images: cheap, enough to see a trend

# Config keys only diffusion recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {
    # Ho et al.'s linear betas (1e-4 -> 0.02 over 1000 steps) scaled to 100 steps. The cosine
    # schedule's last steps drive abar to ~1e-7, which makes DDIM's first jump amplify the
    # network's error several hundred times (measured: 10% of DDIM samples on the ring).
    "diffusion": {"schedule": "linear", "steps": 100, "beta_start": 0.001, "beta_end": 0.2,
                  "ddim_steps": 20, "tolerance": 0.3,
                  # image sets only: the sampler of the measured samples, guidance scale w, share of labels
                  # dropped in training, bound on DDIM's x0 prediction (null: none)
                  "sampler": "ddim", "guidance": 0.0, "label_dropout": 0.1, "clip": None,
                  "ema": None},  # decay of the weight average used for sampling (null: sample the last weights)
    "data": {"options": {}, "subset": None},
    "eval": {"samples": 10000, "sample_batch": 64},  # CFG doubles each batch; ~128 images per forward runs fastest on CPU
}


def validate(config: dict[str, Any]) -> None:
    """Diffusion-only checks (the shared ones live in ``recipes.validate``)."""
    settings, name, model = config["diffusion"], config["data"]["name"], config["model"]
    require(name in POINT_SETS + IMAGE_SETS, f"diffusion recipes train on one of {POINT_SETS + IMAGE_SETS}; got {name!r}")
    expected_model = "unet" if name in IMAGE_SETS else "denoiser"
    require(model["name"] == expected_model, f"diffusion recipes on {name!r} use the {expected_model} model; got {model['name']!r}")
    require(name in IMAGE_SETS or not model.get("num_classes"), "class conditioning needs an image set")
    require(settings["schedule"] in diffusion.SCHEDULES, f"diffusion.schedule must be one of {diffusion.SCHEDULES}; got {settings['schedule']!r}")
    require(isinstance(settings["steps"], int) and settings["steps"] >= 2, f"diffusion.steps must be an integer >= 2; got {settings['steps']!r}")
    require(isinstance(settings["ddim_steps"], int) and 1 <= settings["ddim_steps"] <= settings["steps"],
            f"diffusion.ddim_steps must be an integer in [1, diffusion.steps]; got {settings['ddim_steps']!r}")
    require(settings["tolerance"] > 0, f"diffusion.tolerance must be positive; got {settings['tolerance']!r}")
    require(settings["sampler"] in SAMPLERS, f"diffusion.sampler must be one of {SAMPLERS}; got {settings['sampler']!r}")
    require(isinstance(settings["guidance"], (int, float)) and settings["guidance"] >= 0,
            f"diffusion.guidance must be a number >= 0; got {settings['guidance']!r}")
    require(not settings["guidance"] or model.get("num_classes"), "diffusion.guidance needs a conditional model (model.num_classes > 0)")
    require(isinstance(settings["label_dropout"], (int, float)) and 0 <= settings["label_dropout"] < 1,
            f"diffusion.label_dropout must be in [0, 1); got {settings['label_dropout']!r}")
    require(settings["clip"] is None or settings["clip"] > 0, f"diffusion.clip must be positive or null; got {settings['clip']!r}")
    require(settings["ema"] is None or 0 <= settings["ema"] < 1, f"diffusion.ema must be in [0, 1) or null; got {settings['ema']!r}")
    subset = config["data"]["subset"]
    require(subset is None or (isinstance(subset, int) and subset >= 2), f"data.subset must be an integer >= 2 or null; got {subset!r}")
    require(isinstance(config["eval"]["sample_batch"], int) and config["eval"]["sample_batch"] >= 1,
            f"eval.sample_batch must be an integer >= 1; got {config['eval']['sample_batch']!r}")
    least = 2 if name in IMAGE_SETS else 1  # a Gaussian fit of the features needs two samples
    require(isinstance(config["eval"]["samples"], int) and config["eval"]["samples"] >= least,
            f"eval.samples must be an integer >= {least}; got {config['eval']['samples']!r}")


def make_schedule(config: dict[str, Any]) -> diffusion.NoiseSchedule:
    """The noise schedule named in ``config["diffusion"]``."""
    settings = config["diffusion"]
    return diffusion.noise_schedule(settings["schedule"], settings["steps"], beta_start=settings["beta_start"], beta_end=settings["beta_end"])


def load_training_data(config: dict[str, Any]):
    """``(splits, x_train, y_train, x_val)``: images scaled to [-1, 1], labels only for a conditional
    model (else None), cut to the first ``data.subset`` training examples when set."""
    name = config["data"]["name"]
    if name in IMAGE_SETS:
        splits = data.load(name, **config["data"]["options"])
        x_val = to_signed(splits.val.x[:VAL_IMAGES])
    else:
        splits = data.load(name, seed=config["seed"], **config["data"]["options"])
        x_val = splits.val.x
    n = config["data"]["subset"] or len(splits.train)
    x = to_signed(splits.train.x[:n]) if name in IMAGE_SETS else splits.train.x[:n]
    labels = splits.train.y[:n].astype(np.int64) if config["model"].get("num_classes") else None
    return splits, x, labels, x_val


def to_signed(images: np.ndarray) -> np.ndarray:
    """Pixels in [0, 1] -> [-1, 1] (float32), the range the forward process starts from."""
    return np.ascontiguousarray(images, dtype=np.float32) * 2 - 1


def to_unit(images: np.ndarray) -> np.ndarray:
    """Model images in [-1, 1] -> [0, 1], clipped (intermediate x_t can stray outside)."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1) / 2, 0, 1)


def generate_images(T, model, schedule: diffusion.NoiseSchedule, config: dict[str, Any], n: int, *, seed: int,
                    labels: np.ndarray | None = None, steps: int | None = None, device: str = "cpu") -> np.ndarray:
    """``n`` images ``(n, C, H, W)`` in [0, 1] (on a 2-D set, ``n`` points ``(n, data_dim)``) from
    ``config["diffusion"]``'s sampler, guidance and clip, in batches of ``eval.sample_batch``;
    ``steps`` overrides ``diffusion.ddim_steps``.

    The starting noise (and for DDPM each batch's noise) comes from NumPy with ``seed``: the
    same weights and seed give the same digits on any engine.
    """
    settings = config["diffusion"]
    on_images = config["data"]["name"] in IMAGE_SETS
    shape = (n, *(image_shape(config) if on_images else (config["model"]["data_dim"],)))
    batch = config["eval"]["sample_batch"]
    noise = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    chunks = []
    for index, start in enumerate(range(0, n, batch)):
        asked = None if labels is None else T.from_numpy(np.ascontiguousarray(labels[start:start + batch], dtype=np.int64)).to(device)
        if settings["sampler"] == "ddpm":
            x, _ = diffusion.ddpm_sample(T, model, schedule, noise[start:start + batch].shape, seed=[seed, index], device=device,
                                         labels=asked, guidance=settings["guidance"])
        else:
            x = to_numpy(diffusion.ddim_sample(T, model, schedule, T.from_numpy(noise[start:start + batch]).to(device),
                                               steps=steps or settings["ddim_steps"], labels=asked,
                                               guidance=settings["guidance"], clip=settings["clip"]))
        chunks.append(to_unit(x) if on_images else x)
    return np.concatenate(chunks)


def image_shape(config: dict[str, Any]) -> tuple[int, int, int]:
    """``(C, H, W)`` of the images a diffusion run on an image set makes."""
    return (config["model"]["image_channels"], 28, 28)


def load_trained(run_dir: str | Path, engine: str | None = None, checkpoint: str = "ema"):
    """``(T, model, schedule, config, weights)`` of a finished diffusion run: the ``ema`` weights when
    the run kept an average (else ``best``, else ``last``), in eval mode on the CPU."""
    record = RunRecord.open(run_dir)
    config = record.read_config()
    require(config.get("task") == "diffusion", f"{run_dir} is a {config.get('task')!r} run, not a diffusion run")
    T, _ = engines.setup(engine or config["engine"], threads=config.get("threads"), device="cpu")
    model = models.build(config["model"]["name"], T, **model_options(config))
    candidates = [checkpoint] + [name for name in ("ema", "best", "last") if name != checkpoint]
    weights = next((record.checkpoints_dir / name for name in candidates
                    if (record.checkpoints_dir / f"{name}.safetensors").exists()), None)
    if weights is None:
        raise FileNotFoundError(f"{record.checkpoints_dir} holds no saved weights (no ema, best or last checkpoint)")
    load_weights(model, weights, T)
    model.eval()
    return T, model, make_schedule(config), config, weights


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train, sample and measure one diffusion config; returns the summary dict."""
    splits, x_train, y_train, x_val = load_training_data(config)
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(len(x_train), config))
    config, T, device, model, record = prepared.config, prepared.T, prepared.device, prepared.model, prepared.record
    schedule = make_schedule(config)
    train, settings = config["train"], config["diffusion"]

    def compute_loss(net, xb, yb):
        return diffusion.denoising_loss(T, net, schedule, xb, labels=yb, label_dropout=settings["label_dropout"]), None

    ema = WeightEMA(settings["ema"]) if settings["ema"] is not None else None
    trainer = make_trainer(prepared, progress, compute_loss=compute_loss, callbacks=(ema,) if ema else ())
    val_labels = splits.val.y[:len(x_val)].astype(np.int64) if y_train is not None else None
    history = fit(trainer, prepared, (x_train, y_train), (x_val, val_labels), resume=resume)
    training_s = record.read_summary()["wall_time_s"]
    if ema is not None:  # sample from the average; keep it beside the checkpoints for eval and sample
        trainer.load_model_arrays(ema.model_weights(model.state_dict()))
        save_checkpoint(record.checkpoints_dir / "ema", {"engine": config["engine"], "epoch": trainer.epoch, "ema_decay": ema.decay,
                                                         "model": model.state_dict()})
    plot_history(history, record.figure_path("curves"), title=f"{config['recipe']}: noise-prediction loss")
    measure = measure_images if config["data"]["name"] in IMAGE_SETS else measure_points
    measured, extra = measure(T, model, schedule, config, splits, record, device, progress)
    measured["test_loss"] = trainer.evaluate(_test_set(splits, config), batch_size=config["eval"]["batch_size"], split="test")["loss"]
    train_images = train["epochs"] * len(x_train)
    return finish(prepared, measured, progress, training_s=training_s, train_images_per_s=train_images / training_s, **extra)


def _test_set(splits, config: dict[str, Any]):
    """The test split as the Trainer's ``compute_loss`` takes it (images in [-1, 1], labels when conditional)."""
    if config["data"]["name"] not in IMAGE_SETS:
        return splits.test.x
    return to_signed(splits.test.x), splits.test.y.astype(np.int64) if config["model"].get("num_classes") else None


def measure_points(T, model, schedule, config, splits, record, device, progress) -> tuple[dict[str, Any], dict[str, Any]]:
    """DDPM and DDIM samples of a 2-D set against its manifold, with the sample and trajectory figures."""
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
    }
    title = f"{config['recipe']} ({settings['schedule']} schedule, {schedule.steps} steps, seed {config['seed']})"
    plot_samples(splits.test.x, samples, record.figure_path("samples"), title=title + ", DDPM")
    plot_samples(splits.test.x, ddim_samples, record.figure_path("samples_ddim"), title=title + f", DDIM {settings['ddim_steps']} steps")
    plot_trajectory(snapshots, record.figure_path("trajectory"), title=f"{config['recipe']}: denoising from x_T to x_0 (DDPM)")
    return measured, {"sampling_s": sampling_s}


def measure_images(T, model, schedule, config, splits, record, device, progress) -> tuple[dict[str, Any], dict[str, Any]]:
    """MNIST-FID and recognizability of ``eval.samples`` generated digits, with the sample grid and
    the denoising trajectory figures."""
    from neuralab.generative.fid import SAMPLE_METRICS, mnist_fid  # noqa: PLC0415 - loads the feature net

    settings, n = config["diffusion"], config["eval"]["samples"]
    asked = sample_conditions(n, config)
    started = time.perf_counter()
    images = generate_images(T, model, schedule, config, n, seed=config["seed"] + 1, labels=asked, device=device)
    sampling_s = time.perf_counter() - started
    result = mnist_fid(images, reference="test", seed=config["seed"], labels=asked)
    measured = {k: result[k] for k in SAMPLE_METRICS if k in result}
    how = sampler_text(config)
    plot_sample_grid(T, model, schedule, config, record.figure_path("samples"), seed=config["seed"] + 2, device=device,
                     title=f"{config['recipe']}: {how}\nFID {measured['fid']:.1f} (floor {measured['fid_floor']:.1f})")
    plot_denoising(T, model, schedule, config, record.figure_path("trajectory"), seed=config["seed"] + 3, device=device,
                   title=f"{config['recipe']}: from noise to digits\n({how})")
    return measured, {"sampling_s": sampling_s, "sample_images_per_s": n / sampling_s, "class_shares": result["class_shares"],
                      "feature_net_accuracy": result["feature_net_accuracy"], "sampler": how}


def sampler_text(config: dict[str, Any], steps: int | None = None) -> str:
    """``"DDIM 25 steps, guidance 2"`` and the like, for titles and summaries."""
    settings = config["diffusion"]
    text = f"DDIM {steps or settings['ddim_steps']} steps" if settings["sampler"] == "ddim" else f"DDPM {settings['steps']} steps"
    return text + (f", guidance {settings['guidance']:g}" if config["model"].get("num_classes") else "")


def plot_sample_grid(T, model, schedule, config: dict[str, Any], path: Path, *, seed: int, device: str = "cpu", title: str,
                     label: int | None = None, n: int = 100, steps: int | None = None) -> Path:
    """A :func:`plot_class_grid` of ``n`` images from :func:`generate_images`."""
    def draw(count: int, labels: np.ndarray | None) -> np.ndarray:
        return generate_images(T, model, schedule, config, count, seed=seed, labels=labels, steps=steps, device=device)

    return plot_class_grid(draw, config["model"].get("num_classes") or 0, path, title=title, label=label, n=n)


def denoising_frames(T, model, schedule, config: dict[str, Any], noise: np.ndarray, *, seed: int, labels: np.ndarray | None = None,
                     frames: int = 8, device: str = "cpu") -> tuple[list[int], np.ndarray]:
    """``(times, images)``: the run's sampler (its DDIM steps and guidance, or DDPM) from ``noise``
    ``(N, C, H, W)`` to the finished images, seen at ``frames`` of the visited steps spread from
    ``t = T`` (pure noise) to ``t = 0``; ``images`` is ``(frames, N, C, H, W)`` in [0, 1].
    ``labels`` (N,) ask a conditional model for those classes; DDPM's noise comes from ``seed``."""
    settings = config["diffusion"]
    asked = None if labels is None else T.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
    if settings["sampler"] == "ddim":
        _, snapshots = diffusion.ddim_trajectory(T, model, schedule, T.from_numpy(noise).to(device), steps=settings["ddim_steps"],
                                                 labels=asked, guidance=settings["guidance"], clip=settings["clip"])
    else:
        record_at = [int(round(v)) for v in np.linspace(schedule.steps, 0, frames)]
        _, snapshots = diffusion.ddpm_sample(T, model, schedule, noise.shape, seed=seed, device=device, record=record_at,
                                             labels=asked, guidance=settings["guidance"])
    visited = sorted(snapshots, reverse=True)
    shown = [visited[int(round(i))] for i in np.linspace(0, len(visited) - 1, min(frames, len(visited)))]
    return shown, np.stack([to_unit(snapshots[t]) for t in shown])


def plot_denoising(T, model, schedule, config: dict[str, Any], path: Path, *, seed: int, device: str = "cpu", title: str,
                   rows: int = 8) -> Path:
    """The denoising trajectory: 10 samples (one per digit when conditional), shown at ``rows``
    steps from pure noise (top) to the finished digits (bottom)."""
    classes = config["model"].get("num_classes") or 0
    count = classes or 10
    noise = np.random.default_rng(seed).standard_normal((count, *image_shape(config))).astype(np.float32)
    shown, images = denoising_frames(T, model, schedule, config, noise, seed=seed, labels=np.arange(count) if classes else None,
                                     frames=rows, device=device)
    return plot_image_grid(images, path, title=title, row_labels=[f"t={t}" for t in shown])
