"""Run a variational-autoencoder recipe: fit a VAE to binarized images, then measure its ELBO.

Binarization (``vae.binarize``):

* ``"stochastic"`` (default): pixel ~ Bernoulli(grey level). Validation and test images are drawn
  once from ``vae.binarize_seed`` (the same binary test set whatever the training seed);
  training batches get a fresh draw every epoch (the Trainer's ``augment`` hook) when
  ``vae.dynamic`` is true, else one fixed draw. Published MNIST VAE numbers (~85-100 nats) use
  stochastic binarization.
* ``"threshold"``: pixel = grey level > 0.5; an easier, less noisy data set (fewer nats).

The loss is ``-log p(x|z) + beta * KL`` in nats per image. ``summary.json`` gets, on the
binarized test set with one z sample per image: ``test_nelbo_nats`` (the negative ELBO, beta
= 1 whatever the training beta; the same number again as ``elbo_nats``), ``test_reconstruction_nats``
and ``test_kl_nats``; and the measures of ``eval.samples`` decoder means for z ~ N(0, I), the
honest prior (``measure_prior_samples``, shared with ``neuralab eval``): MNIST-FID beside its
real-vs-real floor, ``recognized``, ``rarest_class`` and ``commonest_class``
(``neuralab.generative.fid``).
Figures: curves, reconstructions, samples from the prior, a latent manifold (the 2-D latent
grid, or a traversal of the two most used dims), interpolations between test digits.
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from neuralab import engines, models
from neuralab.generative.vae import StochasticBinarize, binarize, elbo_terms, per_image_terms
from neuralab.recipes.classify import build, schedule_spec, spell_out
from neuralab.recipes.config import require
from neuralab.recipes.denoise import load_splits
from neuralab.recipes.targets import metrics_line, verdicts
from neuralab.train import RunRecord, Trainer
from neuralab.train.checkpoint import to_numpy
from neuralab.viz import plot_history
from neuralab.viz.image_rows import plot_image_rows
from neuralab.viz.latent import plot_image_grid, plot_latent_scatter

BINARIZATIONS = ("stochastic", "threshold")

# Config keys only VAE recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {
    "data": {"options": {}, "subset": None},
    "vae": {"beta": 1.0, "binarize": "stochastic", "binarize_seed": 0, "dynamic": True, "grid": 15, "samples": 64},
    "eval": {"samples": 10000},
}


def validate(config: dict[str, Any]) -> None:
    """VAE-only checks (the shared ones live in ``recipes.validate``)."""
    settings = config["vae"]
    require(config["model"]["name"] == "vae", f"vae recipes use the vae model; got {config['model']['name']!r}")
    require(settings["binarize"] in BINARIZATIONS, f"vae.binarize must be one of {BINARIZATIONS}; got {settings['binarize']!r}")
    beta = settings["beta"]
    require(isinstance(beta, (int, float)) and not isinstance(beta, bool) and beta >= 0, f"vae.beta must be a number >= 0; got {beta!r}")
    for key in ("grid", "samples"):
        require(isinstance(settings[key], int) and settings[key] >= 2, f"vae.{key} must be an integer >= 2; got {settings[key]!r}")
    subset = config["data"]["subset"]
    require(subset is None or (isinstance(subset, int) and subset >= 2), f"data.subset must be an integer >= 2 or null; got {subset!r}")
    samples = config["eval"].get("samples", 10000)  # absent from configs written before it existed
    require(isinstance(samples, int) and samples >= 100, f"eval.samples must be an integer >= 100; got {samples!r}")


def prior_samples(T, model, n: int, seed: int, device: str = "cpu", batch: int = 1000) -> np.ndarray:
    """Decoder means ``sigmoid(decode(z))`` for ``n`` draws z ~ N(0, I) (from NumPy, seeded by
    ``[seed, 7]``): ``(n, *input_shape)``, the same images for the same weights on any engine."""
    z = np.random.default_rng([seed, 7]).standard_normal((n, model.latent)).astype(np.float32)
    model.eval()
    with T.no_grad():
        return np.concatenate([to_numpy(T.sigmoid(model.decode(T.from_numpy(z[i:i + batch]).to(device))))
                               for i in range(0, n, batch)])


def measure_prior_samples(T, model, config: dict[str, Any], n: int | None = None, device: str = "cpu") -> dict[str, Any]:
    """:func:`neuralab.generative.fid.mnist_fid` of ``n`` (default ``eval.samples``) prior samples
    (:func:`prior_samples`) against the test set: fid, fid_floor, recognized, class shares..."""
    from neuralab.generative.fid import mnist_fid  # noqa: PLC0415 - loads (or trains once) the feature net

    n = int(n or config["eval"].get("samples") or 10000)
    images = prior_samples(T, model, n, config["seed"], device=device)
    return mnist_fid(images.reshape(n, 1, 28, 28), reference="test", seed=config["seed"])


def binarized_splits(config: dict[str, Any], splits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(train, val, test)`` inputs: train stays grey when it is binarized afresh each epoch."""
    settings = config["vae"]
    if settings["binarize"] == "threshold":
        return tuple(binarize(part.x, seed=None) for part in (splits.train, splits.val, splits.test))
    seed = settings["binarize_seed"]
    train = splits.train.x if settings["dynamic"] else binarize(splits.train.x, seed=[seed, 0])
    return train, binarize(splits.val.x, seed=[seed, 1]), binarize(splits.test.x, seed=[seed, 2])


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and measure one VAE config; returns the summary dict."""
    splits = load_splits(config)
    T, model, optimizer = build(config)
    device = engines.resolve_device(T, config["device"])
    config = spell_out(config, optimizer, len(splits.train))
    config["device"] = device
    record = RunRecord.open(resume) if resume else RunRecord.create(runs_root, name=config["recipe"])
    record.write_config(config)
    settings, train = config["vae"], config["train"]
    train_x, val_x, test_x = binarized_splits(config, splits)
    dynamic = settings["binarize"] == "stochastic" and settings["dynamic"]

    def compute_loss(model, x_batch, _targets):
        terms, _ = elbo_terms(T, model, x_batch)
        return terms.loss(settings["beta"]), None

    trainer = Trainer(model, optimizer, compute_loss=compute_loss, engine=T, device=device, schedule=schedule_spec(config),
                      clip_grad_norm=train["clip_grad_norm"], metrics=(), seed=config["seed"], progress=progress,
                      run=record, threads=config["threads"], augment=StochasticBinarize() if dynamic else None)
    history = trainer.fit(train=(train_x, None), val=(val_x, None), epochs=train["epochs"], batch_size=train["batch_size"],
                          eval_batch_size=config["eval"]["batch_size"], resume=True if resume else None)

    T.manual_seed(config["seed"])  # the one z sample per test image is reproducible
    batch = config["eval"]["batch_size"]
    reconstruction, kl = trainer.predict(test_x, batch_size=batch, fn=lambda m, xb: per_image_terms(T, m, xb)[:2])
    nelbo = float(np.mean(reconstruction + kl))
    measured = {"test_nelbo_nats": nelbo, "elbo_nats": nelbo, "test_reconstruction_nats": float(np.mean(reconstruction)),
                "test_kl_nats": float(np.mean(kl))}
    if config["data"]["name"] == "mnist":
        from neuralab.generative.fid import SAMPLE_METRICS  # noqa: PLC0415

        sampled = measure_prior_samples(T, model, config, device=device)
        measured.update({key: sampled[key] for key in SAMPLE_METRICS if key in sampled})
        details = {"fid_details": {k: sampled[k] for k in ("samples", "reference", "reference_size", "feature_net_accuracy",
                                                           "class_shares")}}
    else:
        details = {}
    if progress:
        print(metrics_line(measured), flush=True)
    draw_figures(trainer, record, config, test_x, splits.test.y, splits.classes, measured)
    return record.update_summary(metrics=measured, **details, targets=verdicts(config["targets"], measured),
                                 parameters=models.count_parameters(model), run_dir=str(record.path))


def draw_figures(trainer: Trainer, record: RunRecord, config: dict[str, Any], test_x: np.ndarray, test_y: np.ndarray,
                 classes, measured: dict[str, float]) -> None:
    """Curves, reconstructions, prior samples, the latent manifold and interpolations."""
    T, name, settings = trainer.T, config["recipe"], config["vae"]
    batch = config["eval"]["batch_size"]
    latent = config["model"]["latent"]

    def decode(z: np.ndarray) -> np.ndarray:
        return trainer.predict(z.astype(np.float32), batch_size=batch, fn=lambda m, zb: T.sigmoid(m.decode(zb)))

    plot_history(trainer.history, record.figure_path("curves"), title=f"{name}: loss (nats per image)")
    mean_images, mu, logvar = trainer.predict(test_x, batch_size=batch)
    plot_image_rows({"test (binary)": test_x, "reconstruction": mean_images}, record.figure_path("reconstructions"),
                    title=f"{name}: test -ELBO {measured['test_nelbo_nats']:.1f} nats "
                          f"(reconstruction {measured['test_reconstruction_nats']:.1f} + KL {measured['test_kl_nats']:.1f})")

    rng = np.random.default_rng([config["seed"], 5])
    columns = int(np.ceil(np.sqrt(settings["samples"])))
    rows = -(-settings["samples"] // columns)
    samples = decode(rng.standard_normal((rows * columns, latent)))
    plot_image_grid(samples.reshape(rows, columns, *samples.shape[-2:]), record.figure_path("samples"),
                    title=f"{name}: decoder means for z ~ N(0, I)")

    # Grid points at evenly spaced prior quantiles, so each cell covers equal prior mass.
    grid = settings["grid"]
    quantiles = np.array([NormalDist().inv_cdf(q) for q in np.linspace(0.05, 0.95, grid)])
    if latent == 2:
        dims = (0, 1)
        plot_latent_scatter(mu, test_y, record.figure_path("latent"), classes=classes, title=f"{name}: test-set means of q(z|x)")
    else:
        kl_per_dim = 0.5 * np.mean(mu ** 2 + np.exp(logvar) - logvar - 1.0, axis=0)
        dims = tuple(int(d) for d in np.argsort(kl_per_dim)[::-1][:2])  # the two dims the model uses most
    z = np.zeros((grid, grid, latent))
    z[:, :, dims[0]] = quantiles[None, :]
    z[:, :, dims[1]] = quantiles[::-1, None]  # up is positive
    manifold = decode(z.reshape(-1, latent))
    what = "the 2-D latent grid" if latent == 2 else f"z[{dims[0]}] (right) and z[{dims[1]}] (up), other dims 0"
    plot_image_grid(manifold.reshape(grid, grid, *manifold.shape[-2:]), record.figure_path("manifold"),
                    title=f"{name}: decoded {what}")

    # Interpolate from each of the first test images to the next one of another class.
    pairs = [(i, i + 1 + int(np.flatnonzero(test_y[i + 1:] != test_y[i])[0])) for i in range(min(4, len(test_y) - 1))
             if (test_y[i + 1:] != test_y[i]).any()]
    steps = np.linspace(0.0, 1.0, 10)[None, :, None]
    path = np.concatenate([(1 - steps) * mu[a] + steps * mu[b] for a, b in pairs])
    between = decode(path.reshape(-1, latent))
    plot_image_grid(between.reshape(len(pairs), len(steps[0]), *between.shape[-2:]), record.figure_path("interpolation"),
                    title=f"{name}: straight lines between test digits' means in z",
                    row_labels=[f"{classes[test_y[a]]} -> {classes[test_y[b]]}" for a, b in pairs])
