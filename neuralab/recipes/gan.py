"""Run a GAN recipe on a 2-D toy set or on MNIST: alternating D/G updates, then measure the samples.

The ``Trainer`` runs the epochs with :class:`AlternatingStep` as its step: one epoch is one
pass over the real training points in batches; each batch makes ``gan.d_steps``
discriminator (critic) steps then one generator step. ``summary.json`` gets the sample measures of
``neuralab.generative.metrics`` (mean radius and angular bins for the ring, modes covered
for a Gaussian mixture) over ``eval.samples`` generated points, and the target verdicts.

On MNIST (model ``dcgan``) the measure is MNIST-FID (``neuralab.generative.fid``) of
``eval.samples`` generated digits against the 10,000 test images, beside the real-vs-real
floor (as many training images against the same test set). A conditional model
(``model.num_classes`` > 0) is trained on (image, label) pairs; its samples ask for every digit
in turn and ``label_accuracy`` is the share the feature net reads as the digit asked for.
``data.subset`` keeps the first N training images (quick checks).

A code-conditioned model (``model.code_dim`` > 0, the ``mnist-dcgan`` default) is trained on
(image, code) pairs, the code being the image's whitened leading principal components
(``neuralab.generative.codes``; no labels involved). After training a
``gan.code_components``-Gaussian mixture is fitted to the training codes and saved as
``checkpoints/prior``; samples ask G for codes drawn from it.

Every epoch rewrites the Trainer's ``checkpoints/last`` (G and D, both optimizers, the RNG
states, the history), so ``neuralab train --resume RUN`` continues an interrupted run exactly
as an uninterrupted one goes on. ``summary.json`` gets ``wall_time_s`` (training) and
``images_per_s``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data, engines, models
from neuralab.generative import gan_losses
from neuralab.generative.codes import fit_pca_code
from neuralab.generative.mixture import GaussianMixture, fit_gaussian_mixture, load_mixture, require_fitter, save_mixture
from neuralab.generative import metrics as sample_metrics
from neuralab.recipes.common import finish, fit, make_trainer, model_options, prepare, steps_for
from neuralab.recipes.config import require
from neuralab.recipes.generation import sample_conditions
from neuralab.train import RunRecord, load_checkpoint
from neuralab.train.checkpoint import load_model_state, load_optimizer_state, to_numpy
from neuralab.train.optimizers import build_optimizer
from neuralab.viz.gan_curves import plot_gan_history
from neuralab.viz.latent import plot_image_grid
from neuralab.viz.samples import plot_samples
from neuralab.viz.score_surface import plot_score_surface

LOSSES = ("standard", "wgan-gp")
TOY_SETS = ("ring", "gaussians")
IMAGE_SETS = ("mnist",)

# Config keys only GAN recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {
    "data": {"options": {}, "subset": None},
    "gan": {"loss": "standard", "d_steps": 1, "penalty": 10.0, "real_label": 1.0, "bins": 16, "code_components": 100},
    "eval": {"samples": 10000},
}


def validate(config: dict[str, Any]) -> None:
    """GAN-only checks (the shared ones live in ``recipes.validate``)."""
    gan = config["gan"]
    name, model = config["data"]["name"], config["model"]
    require(name in TOY_SETS + IMAGE_SETS, f"GAN recipes train on one of {TOY_SETS + IMAGE_SETS}; got {name!r}")
    expected_model = "dcgan" if name in IMAGE_SETS else "gan"
    require(model["name"] == expected_model, f"GAN recipes on {name!r} use the {expected_model} model; got {model['name']!r}")
    require(not (gan["loss"] == "wgan-gp" and model.get("d_batchnorm")),
            "gan.loss=wgan-gp needs a critic without BatchNorm (the penalty is per sample): add model.d_batchnorm=false")
    subset = config["data"]["subset"]
    require(subset is None or (isinstance(subset, int) and subset >= 2), f"data.subset must be an integer >= 2 or null; got {subset!r}")
    require(gan["loss"] in LOSSES, f"gan.loss must be one of {LOSSES}; got {gan['loss']!r}")
    require(isinstance(gan["d_steps"], int) and gan["d_steps"] >= 1, f"gan.d_steps must be an integer >= 1; got {gan['d_steps']!r}")
    require(isinstance(gan["penalty"], (int, float)) and gan["penalty"] >= 0, f"gan.penalty must be >= 0; got {gan['penalty']!r}")
    require(0.5 < gan["real_label"] <= 1.0, f"gan.real_label must be in (0.5, 1]; got {gan['real_label']!r}")
    require(isinstance(config["eval"]["samples"], int) and config["eval"]["samples"] >= 100,
            f"eval.samples must be an integer >= 100; got {config['eval']['samples']!r}")
    require(config["schedule"].get("name") is None, "GAN recipes use a constant learning rate (schedule.name must be null)")
    require(not model.get("code_dim") or name in IMAGE_SETS, f"model.code_dim (a code of each image) needs an image set; got {name!r}")
    components = gan["code_components"]
    require(isinstance(components, int) and components >= 1, f"gan.code_components must be an integer >= 1; got {components!r}")


def load_training_data(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """``(x, condition)``: the real training data (toy sets seeded by the run's seed), cut to the
    first ``data.subset`` when set; the condition is the labels of a class-conditional model, the
    codes ``(N, model.code_dim)`` of a code-conditioned one, else None."""
    name, options = config["data"]["name"], config["data"]["options"]
    train = data.load(name, **options).train if name in IMAGE_SETS else data.load(name, seed=config["seed"], **options).train
    n = config["data"].get("subset") or len(train.x)
    x = np.ascontiguousarray(train.x[:n], dtype=np.float32)
    if config["model"].get("num_classes"):
        return x, train.y[:n].astype(np.int64)
    if config["model"].get("code_dim"):
        return x, fit_pca_code(x, config["model"]["code_dim"]).encode(x)
    return x, None


def fit_code_prior(codes: np.ndarray, config: dict[str, Any]) -> tuple[GaussianMixture, dict[str, Any]]:
    """The ``gan.code_components``-Gaussian mixture over the training codes, by EM (seeded)."""
    return fit_gaussian_mixture(codes, min(config["gan"]["code_components"], len(codes)), seed=[config["seed"], 11])


def generate(T, model, n: int, noise_dim: int, seed: int, device: str = "cpu", batch: int = 5000,
             labels: np.ndarray | None = None) -> np.ndarray:
    """``n`` samples G(z) (or G(z, labels), ``labels`` being classes or codes), z ~ N(0, I) drawn
    from NumPy with ``seed``: the same weights and seed give the same points on any engine."""
    noise = np.random.default_rng(seed).standard_normal((n, noise_dim)).astype(np.float32)
    model.eval()
    chunks = []
    with T.no_grad():
        for i in range(0, n, batch):
            extra = () if labels is None else (T.from_numpy(labels[i:i + batch]).to(device),)
            chunks.append(to_numpy(model["generator"](T.from_numpy(noise[i:i + batch]).to(device), *extra)))
    return np.concatenate(chunks)


def score(T, model, points: np.ndarray, standard: bool, device: str = "cpu") -> np.ndarray:
    """D(x) as a probability (standard GAN) or the raw critic score (WGAN)."""
    model.eval()
    with T.no_grad():
        raw = model["discriminator"](T.from_numpy(np.ascontiguousarray(points, dtype=np.float32)).to(device))
        values = T.sigmoid(raw) if standard else raw
    return to_numpy(values).ravel()


def train_step(T, model, d_opt, g_opt, real, config: dict[str, Any], condition=None) -> dict[str, float]:
    """``d_steps`` discriminator updates, then one generator update, on one real batch.

    A conditional GAN gets the batch's ``condition`` (labels or codes): fakes are asked for the
    same ones, so D sees each condition equally often real and fake.
    """
    gan = config["gan"]
    standard = gan["loss"] == "standard"
    extra = () if condition is None else (condition,)
    G = lambda z: model["generator"](z, *extra)  # noqa: E731
    D = lambda x: model["discriminator"](x, *extra)  # noqa: E731
    n, noise_dim = real.shape[0], config["model"]["noise_dim"]
    for _ in range(gan["d_steps"]):
        fake = G(T.randn(n, noise_dim, device=real.device)).detach()
        real_scores, fake_scores = D(real), D(fake)
        if standard:
            d_loss = gan_losses.discriminator_loss(T, real_scores, fake_scores, real_label=gan["real_label"])
        else:
            mix = T.rand(n, *[1] * (real.ndim - 1), device=real.device)  # one weight per sample
            d_loss = gan_losses.critic_loss(real_scores, fake_scores) + gan["penalty"] * gan_losses.gradient_penalty(T, D, real, fake, mix)
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
    fake_scores = D(G(T.randn(n, noise_dim, device=real.device)))
    g_loss = gan_losses.generator_loss(T, fake_scores) if standard else gan_losses.wasserstein_generator_loss(fake_scores)
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    squash = T.sigmoid if standard else (lambda s: s)
    return {"d_loss": float(d_loss.item()), "g_loss": float(g_loss.item()),
            "d_real": float(squash(real_scores.detach()).mean().item()), "d_fake": float(squash(fake_scores.detach()).mean().item())}


def measure(samples: np.ndarray, config: dict[str, Any], labels: np.ndarray | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(metrics, details)``: the sample measures for the dataset (see the module docstring)
    and the per-bin or per-mode fractions behind them."""
    options = config["data"]["options"]
    if config["data"]["name"] in IMAGE_SETS:
        from neuralab.generative.fid import SAMPLE_METRICS, mnist_fid  # noqa: PLC0415 - loads (or trains once) the feature net

        result = mnist_fid(samples, reference="test", seed=config["seed"], labels=labels)
        measured = {key: result[key] for key in SAMPLE_METRICS if key in result}
        return measured, {"fid_details": {k: result[k] for k in ("samples", "reference", "reference_size", "feature_net_accuracy", "class_shares")}}
    if config["data"]["name"] == "ring":
        radius = options.get("radius", 2.0)
        mean_radius, std_radius = sample_metrics.radius_stats(samples)
        bins = sample_metrics.angular_bin_fractions(samples, bins=config["gan"]["bins"])
        within = sample_metrics.distance_to_circle(samples, radius) < 0.3
        return {"mean_radius": mean_radius, "radius_std": std_radius, "radius_error": abs(mean_radius - radius),
                "min_bin_fraction": float(bins.min()), "max_bin_fraction": float(bins.max()),
                "manifold_fraction": float(within.mean())}, {"bin_fractions": [float(b) for b in bins]}
    k, radius, std = options.get("k", 8), options.get("radius", 2.0), options.get("std", 0.1)
    coverage = sample_metrics.mode_coverage(samples, sample_metrics.mixture_centers(k, radius), std)
    return {"modes_covered": coverage["covered"], "modes_total": k, "near_mode_fraction": coverage["near_any"],
            "min_mode_fraction": min(coverage["fractions"])}, {"mode_fractions": coverage["fractions"]}


class AlternatingStep:
    """The Trainer's step for a GAN: :func:`train_step` on each ``(real, condition)`` batch.

    The Trainer holds D's optimizer; G's rides in the checkpoint through ``extra_state``."""

    def __init__(self, T, model, d_opt, g_opt, config: dict[str, Any]):
        self.T, self.model, self.d_opt, self.g_opt, self.config = T, model, d_opt, g_opt, config

    def __call__(self, batch) -> dict[str, float]:
        real, condition = batch
        return train_step(self.T, self.model, self.d_opt, self.g_opt, real, self.config, condition)

    def extra_state(self) -> dict[str, Any]:
        return {"generator_optimizer": self.g_opt.state_dict()}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        load_optimizer_state(self.g_opt, state["generator_optimizer"], self.T, source="the checkpoint's generator optimizer")


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one GAN config (or continue the run folder ``resume``); returns the summary dict."""
    if config["model"].get("code_dim"):
        require_fitter()  # scikit-learn fits the code prior after training: a missing one stops the run now
    real_points, real_conditions = load_training_data(config)
    n = len(real_points)
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(n, config),
                       trained_parameters=lambda model: model["discriminator"].parameters())
    config, T, device, model, record = prepared.config, prepared.T, prepared.device, prepared.model, prepared.record
    g_opt = build_optimizer(T, model["generator"].parameters(), config["optimizer"])
    trainer = make_trainer(prepared, progress, train_step=AlternatingStep(T, model, prepared.optimizer, g_opt, config))
    fit(trainer, prepared, (real_points, real_conditions), resume=resume)
    rows = [row for row in record.read_metrics() if row.get("split") == "train"]
    wall = record.read_summary()["wall_time_s"]

    prior = None
    if config["model"].get("code_dim"):
        prior, fit_info = fit_code_prior(real_conditions, config)
        save_mixture(record.checkpoints_dir / "prior", prior, fit_info)
    asked = sample_conditions(config["eval"]["samples"], config, prior, seed=config["seed"] + 1)
    samples = generate(T, model, config["eval"]["samples"], config["model"]["noise_dim"], seed=config["seed"] + 1,
                       device=device, labels=asked)
    measured, details = measure(samples, config, labels=asked if config["model"].get("num_classes") else None)
    standard = config["gan"]["loss"] == "standard"
    title = f"{config['recipe']} ({config['gan']['loss']} loss, seed {config['seed']})"
    if config["data"]["name"] in IMAGE_SETS:
        plot_image_samples(T, model, config, record, device, prior,
                           f"{config['recipe']}: FID {measured['fid']:.1f} (real-vs-real floor {measured['fid_floor']:.1f})")
    else:
        plot_samples(real_points, samples, record.figure_path("samples"), title=title)
        plot_score_surface(lambda points: score(T, model, points, standard, device), real_points, samples,
                           record.figure_path("discriminator"), label="D(x)" if standard else "critic score", title=title)
    plot_gan_history(rows, record.figure_path("curves"), score_label="D" if standard else "C", title=title)
    epochs = config["train"]["epochs"]
    return finish(prepared, measured, progress, **details, generator_steps=epochs * steps_for(n, config),
                  epoch_time_s=wall / epochs, images_per_s=epochs * n / wall if wall else None)


def plot_image_samples(T, model, config: dict[str, Any], record: RunRecord, device: str, prior, title: str) -> None:
    """A grid of generated images: 10 x 10, one row per digit, for a class-conditional model; else
    8 x 8 (a code-conditioned model asks for codes drawn from ``prior``)."""
    classes = config["model"].get("num_classes") or 0
    rows, columns = (classes, 10) if classes else (8, 8)
    labels = (np.repeat(np.arange(classes, dtype=np.int64), columns) if classes
              else sample_conditions(rows * columns, config, prior, seed=config["seed"] + 2))
    images = generate(T, model, rows * columns, config["model"]["noise_dim"], seed=config["seed"] + 2, device=device, labels=labels)
    plot_image_grid(images.reshape(rows, columns, *images.shape[-2:]), record.figure_path("samples"), title=title,
                    row_labels=[str(c) for c in range(classes)] if classes else None)


def load_trained(run_dir: str | Path, engine: str | None = None):
    """``(T, model, config, weights, prior)`` of a GAN run: G and D from ``checkpoints/last`` (the
    only checkpoint a GAN run writes, rewritten every epoch), in eval mode on the CPU, and the code
    prior of a code-conditioned model (else None); ``engine`` overrides the run's."""
    record = RunRecord.open(run_dir)
    config = record.read_config()
    require(config.get("task") == "gan", f"{run_dir} is a {config.get('task')!r} run, not a GAN run")
    weights = record.checkpoints_dir / "last"
    if not weights.with_suffix(".safetensors").exists():
        raise FileNotFoundError(f"{weights.with_suffix('.safetensors')} does not exist: the run has not finished an epoch")
    T, _ = engines.setup(engine or config["engine"], threads=config.get("threads"), device="cpu")
    model = models.build(config["model"]["name"], T, **model_options(config))
    load_model_state(model, load_checkpoint(weights)["model"], T, source=weights)
    model.eval()
    prior = load_mixture(record.checkpoints_dir / "prior") if config["model"].get("code_dim") else None
    return T, model, config, weights, prior
