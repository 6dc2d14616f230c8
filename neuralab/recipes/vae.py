"""Run a variational-autoencoder recipe: fit a VAE to binarized images, then measure its ELBO.

Binarization (``vae.binarize``):

* ``"stochastic"`` (default): pixel ~ Bernoulli(grey level). Validation and test images are drawn
  once from ``vae.binarize_seed`` (the same binary test set whatever the training seed);
  training batches get a fresh draw every epoch (the Trainer's ``augment`` hook) when
  ``vae.dynamic`` is true, else one fixed draw. Published MNIST VAE numbers (~85-100 nats) use
  stochastic binarization.
* ``"threshold"``: pixel = grey level > 0.5; an easier, less noisy data set (fewer nats).

The loss is ``-log p(x|z) + beta * KL(q(z|x) || N(0, I))`` in nats per image. ``summary.json``
gets, on the binarized test set with one z sample per image: ``test_nelbo_nats`` (the negative
ELBO, beta = 1 whatever the training beta; the same number again as ``elbo_nats``),
``test_reconstruction_nats`` and ``test_kl_nats``.

Sampling prior (``vae.prior``). The model is trained against N(0, I), but the training codes
do not fill it: decoding z ~ N(0, I) often lands between digit clusters and draws blends.

* ``"mixture"`` (default): after training, a ``vae.prior_components``-Gaussian mixture
  (``neuralab.generative.mixture``) is fitted by EM to one draw z ~ q(z|x) per training image
  (an ex-post density estimate, as in Ghosh et al. 2020, of the aggregate posterior) and saved as
  ``checkpoints/prior``; samples come from it. Its own ELBO, with a one-sample Monte Carlo KL
  against the mixture, is reported as ``test_nelbo_mixture_prior_nats``.
* ``"normal"``: samples from N(0, I), the prior the ELBO was trained with.

Either way the measures of ``eval.samples`` decoder means from the sampling prior
(``measure_prior_samples``, shared with ``neuralab eval``) are MNIST-FID beside its
real-vs-real floor, ``recognized``, ``rarest_class`` and ``commonest_class``
(``neuralab.generative.fid``); with the mixture prior the N(0, I) samples are measured too
(``normal_prior_fid``, ``normal_prior_recognized``) so the gain is on record.
Figures: curves, reconstructions, samples from the sampling prior (and from N(0, I)), a latent
manifold (the 2-D latent grid, or a traversal of the two most used dims), interpolations
between test digits.
"""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from neuralab import engines, models
from neuralab.generative.mixture import GaussianMixture, fit_gaussian_mixture, load_mixture, require_fitter, save_mixture
from neuralab.generative.vae import StochasticBinarize, binarize, elbo_terms, monte_carlo_kl, per_image_terms, sampled_terms
from neuralab.recipes.common import (finish, first_of_each_split, fit, load_splits, make_trainer, model_options, prepare,
                                     steps_for)
from neuralab.recipes.config import require
from neuralab.train import RunRecord, Trainer, load_weights
from neuralab.train.checkpoint import to_numpy
from neuralab.viz import plot_history
from neuralab.viz.image_rows import plot_image_rows
from neuralab.viz.latent import plot_image_grid, plot_latent_scatter

BINARIZATIONS = ("stochastic", "threshold")
PRIORS = ("mixture", "normal")

# Config keys only VAE recipes have (merged over recipes.BASE_CONFIG).
DEFAULTS: dict[str, Any] = {
    "data": {"options": {}, "subset": None},
    "vae": {"beta": 1.0, "binarize": "stochastic", "binarize_seed": 0, "dynamic": True, "grid": 15, "samples": 64,
            "prior": "mixture", "prior_components": 20},
    "eval": {"samples": 10000},
}


def validate(config: dict[str, Any]) -> None:
    """VAE-only checks (the shared ones live in ``recipes.validate``)."""
    settings = config["vae"]
    require(config["model"]["name"] == "vae", f"vae recipes use the vae model; got {config['model']['name']!r}")
    require(settings["binarize"] in BINARIZATIONS, f"vae.binarize must be one of {BINARIZATIONS}; got {settings['binarize']!r}")
    beta = settings["beta"]
    require(isinstance(beta, (int, float)) and not isinstance(beta, bool) and beta >= 0, f"vae.beta must be a number >= 0; got {beta!r}")
    require(settings["prior"] in PRIORS, f"vae.prior must be one of {PRIORS}; got {settings['prior']!r}")
    for key in ("grid", "samples", "prior_components"):
        require(isinstance(settings[key], int) and settings[key] >= 2, f"vae.{key} must be an integer >= 2; got {settings[key]!r}")
    subset = config["data"]["subset"]
    require(subset is None or (isinstance(subset, int) and subset >= 2), f"data.subset must be an integer >= 2 or null; got {subset!r}")
    samples = config["eval"].get("samples", 10000)  # absent from configs written before it existed
    require(isinstance(samples, int) and samples >= 100, f"eval.samples must be an integer >= 100; got {samples!r}")


def prior_samples(T, model, n: int, seed: int, device: str = "cpu", batch: int = 1000,
                  prior: GaussianMixture | None = None) -> np.ndarray:
    """Decoder means ``sigmoid(decode(z))`` for ``n`` draws z from ``prior`` (None: N(0, I)), drawn
    in NumPy seeded by ``[seed, 7]``: ``(n, *input_shape)``, the same images for the same weights
    on any engine."""
    if prior is None:
        z = np.random.default_rng([seed, 7]).standard_normal((n, model.latent)).astype(np.float32)
    else:
        z = prior.sample(n, seed=[seed, 7]).astype(np.float32)
    model.eval()
    with T.no_grad():
        return np.concatenate([to_numpy(T.sigmoid(model.decode(T.from_numpy(z[i:i + batch]).to(device))))
                               for i in range(0, n, batch)])


def measure_prior_samples(T, model, config: dict[str, Any], n: int | None = None, device: str = "cpu",
                          prior: GaussianMixture | None = None) -> dict[str, Any]:
    """:func:`neuralab.generative.fid.mnist_fid` of ``n`` (default ``eval.samples``) samples from
    ``prior`` (:func:`prior_samples`) against the test set: fid, fid_floor, recognized, class shares..."""
    from neuralab.generative.fid import mnist_fid  # noqa: PLC0415 - loads (or trains once) the feature net

    n = int(n or config["eval"].get("samples") or 10000)
    images = prior_samples(T, model, n, config["seed"], device=device, prior=prior)
    return mnist_fid(images.reshape(n, 1, 28, 28), reference="test", seed=config["seed"])


def fit_prior(trainer: Trainer, config: dict[str, Any], train_images: np.ndarray) -> tuple[GaussianMixture, dict[str, Any]]:
    """The ex-post mixture prior: EM on one draw z ~ q(z|x) per training image (grey images are
    binarized once with ``[vae.binarize_seed, 3]``; eps drawn in NumPy with ``[seed, 11]``).

    Fitting draws rather than means approximates the aggregate posterior ``q(z) = mean_n q(z|x_n)``,
    the prior under which the ELBO is highest; dims the model does not use keep their unit
    spread (means alone would pin them at 0 and wreck the mixture-prior ELBO). Returns
    ``(mixture, fit info)``."""
    settings = config["vae"]
    if settings["binarize"] == "stochastic" and settings["dynamic"]:
        train_images = binarize(train_images, seed=[settings["binarize_seed"], 3])
    mu, logvar = trainer.predict(train_images, batch_size=config["eval"]["batch_size"], fn=lambda m, xb: m.encode(xb))
    z = mu + np.exp(0.5 * logvar) * np.random.default_rng([config["seed"], 11]).standard_normal(mu.shape)
    return fit_gaussian_mixture(z, settings["prior_components"], seed=[config["seed"], 11])


def load_prior(record: RunRecord, config: dict[str, Any]) -> GaussianMixture | None:
    """The run's sampling prior: its saved mixture when ``vae.prior`` is ``"mixture"``, else None
    (N(0, I); also for runs made before the option existed)."""
    if config["vae"].get("prior", "normal") != "mixture":
        return None
    return load_mixture(record.checkpoints_dir / "prior")


def load_trained(run_dir: str | Path, engine: str | None = None, checkpoint: str = "best"):
    """``(T, model, config, weights, prior)`` of a VAE run: the ``checkpoint`` weights (``best`` or
    ``last``) in eval mode on the CPU and its sampling prior (:func:`load_prior`); ``engine``
    overrides the run's."""
    record = RunRecord.open(run_dir)
    config = record.read_config()
    require(config.get("task") == "vae", f"{run_dir} is a {config.get('task')!r} run, not a VAE run")
    weights = record.checkpoints_dir / checkpoint
    T, _ = engines.setup(engine or config["engine"], threads=config.get("threads"), device="cpu")
    model = models.build("vae", T, **model_options(config))
    load_weights(model, weights, T)
    model.eval()
    return T, model, config, weights, load_prior(record, config)


def mixture_prior_nelbo(trainer: Trainer, config: dict[str, Any], test_x: np.ndarray, mixture: GaussianMixture) -> float:
    """Mean ``-log p(x|z) + log q(z|x) - log p_mixture(z)`` over ``test_x``, one z per image: the
    negative ELBO of the model the samples come from."""
    trainer.T.manual_seed(config["seed"])
    nll, z, mu, logvar = trainer.predict(test_x, batch_size=config["eval"]["batch_size"],
                                         fn=lambda m, xb: sampled_terms(trainer.T, m, xb))
    return float(np.mean(nll + monte_carlo_kl(z, mu, logvar, mixture.log_prob(z))))


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
    if config["vae"]["prior"] == "mixture":
        require_fitter()  # scikit-learn fits the prior after training: a missing one stops the run now
    splits = first_of_each_split(load_splits(config, seed_data=True), config["data"]["subset"])
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(len(splits.train), config))
    config, T, device, model, record = prepared.config, prepared.T, prepared.device, prepared.model, prepared.record
    settings = config["vae"]
    train_x, val_x, test_x = binarized_splits(config, splits)
    dynamic = settings["binarize"] == "stochastic" and settings["dynamic"]

    def compute_loss(model, x_batch, _targets):
        terms, _ = elbo_terms(T, model, x_batch)
        return terms.loss(settings["beta"]), None

    trainer = make_trainer(prepared, progress, compute_loss=compute_loss, augment=StochasticBinarize() if dynamic else None)
    fit(trainer, prepared, (train_x, None), (val_x, None), resume=resume)

    T.manual_seed(config["seed"])  # the one z sample per test image is reproducible
    batch = config["eval"]["batch_size"]
    reconstruction, kl = trainer.predict(test_x, batch_size=batch, fn=lambda m, xb: per_image_terms(T, m, xb)[:2])
    nelbo = float(np.mean(reconstruction + kl))
    measured = {"test_nelbo_nats": nelbo, "elbo_nats": nelbo, "test_reconstruction_nats": float(np.mean(reconstruction)),
                "test_kl_nats": float(np.mean(kl))}
    mixture, details = None, {}
    if settings["prior"] == "mixture":
        mixture, fit_info = fit_prior(trainer, config, train_x)
        save_mixture(record.checkpoints_dir / "prior", mixture, fit_info)
        measured["test_nelbo_mixture_prior_nats"] = mixture_prior_nelbo(trainer, config, test_x, mixture)
        details["prior_fit"] = {"components": settings["prior_components"], **fit_info}
    if config["data"]["name"] == "mnist":
        from neuralab.generative.fid import SAMPLE_METRICS  # noqa: PLC0415

        sampled = measure_prior_samples(T, model, config, device=device, prior=mixture)
        measured.update({key: sampled[key] for key in SAMPLE_METRICS if key in sampled})
        details["fid_details"] = {k: sampled[k] for k in ("samples", "reference", "reference_size", "feature_net_accuracy",
                                                          "class_shares")}
        if mixture is not None:
            normal = measure_prior_samples(T, model, config, device=device)
            measured.update({f"normal_prior_{key}": normal[key] for key in ("fid", "recognized", "rarest_class")})
    draw_figures(trainer, record, config, test_x, splits.test.y, splits.classes, measured, mixture)
    return finish(prepared, measured, progress, **details)


def draw_figures(trainer: Trainer, record: RunRecord, config: dict[str, Any], test_x: np.ndarray, test_y: np.ndarray,
                 classes, measured: dict[str, float], mixture: GaussianMixture | None = None) -> None:
    """Curves, reconstructions, prior samples (from ``mixture`` too when given), the latent
    manifold and interpolations."""
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

    columns = int(np.ceil(np.sqrt(settings["samples"])))
    rows = -(-settings["samples"] // columns)
    draws = {"samples_normal_prior" if mixture is not None else "samples":
             ("N(0, I)", np.random.default_rng([config["seed"], 5]).standard_normal((rows * columns, latent)))}
    if mixture is not None:
        draws["samples"] = (f"fitted {len(mixture.weights)}-Gaussian mixture", mixture.sample(rows * columns, seed=[config["seed"], 5]))
    for figure, (source, z) in draws.items():
        samples = decode(z)
        plot_image_grid(samples.reshape(rows, columns, *samples.shape[-2:]), record.figure_path(figure),
                        title=f"{name}: decoded z ~ {source}")

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
