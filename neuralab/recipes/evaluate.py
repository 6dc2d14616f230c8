"""Evaluate a finished run from its config and saved weights (``neuralab eval RUN``).

Classification runs are re-measured on their test split. Generative runs (``gan``, ``vae``,
``diffusion`` on MNIST) generate ``eval.samples`` images (10,000 by default) from the saved
weights and report MNIST-FID beside the real-vs-real floor (``neuralab.generative.fid``),
written to ``RUN/eval.json``; a GAN on a 2-D toy set gets its sample measures instead. A
diffusion run samples as it did after training (its sampler, DDIM steps and guidance) from
its weight average (``ema``) when it kept one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuralab import engines
from neuralab.io import atomic_write_json
from neuralab.recipes.common import build_model, load_splits
from neuralab.recipes.generation import sample_conditions
from neuralab.train import RunRecord, Trainer, load_weights, metrics


GENERATIVE_TASKS = ("gan", "vae", "diffusion")


def evaluate_run(run_dir: str | Path, checkpoint: str = "best", samples: int | None = None) -> dict[str, Any]:
    """Test-split metrics of ``run_dir``'s ``best`` (or ``last``) weights; nothing in the run is changed.

    A generative run is measured by :func:`evaluate_generative` instead (``samples`` images).
    """
    record = RunRecord.open(run_dir)
    config = record.read_config()
    if config.get("task", "classify") != "classify":
        return evaluate_generative(record, config, checkpoint, samples)
    weights = record.checkpoints_dir / checkpoint
    if not weights.with_suffix(".safetensors").exists():
        raise FileNotFoundError(f"{weights.with_suffix('.safetensors')} does not exist: the run saved no {checkpoint!r} checkpoint")
    T = engines.get(config["engine"])
    model = load_weights(build_model(T, config), weights, T)
    splits = load_splits(config)
    device = engines.resolve_device(T, "auto" if config["device"] == "cpu" else config["device"])
    trainer = Trainer(model, None, T.nn.functional.cross_entropy, engine=T, device=device, progress=False)
    results = trainer.evaluate((splits.test.x, splits.test.y), batch_size=config["eval"]["batch_size"], split=None)
    predictions = trainer.predict(splits.test.x, batch_size=config["eval"]["batch_size"]).argmax(axis=1)
    details = metrics.classification_report(splits.test.y, predictions, class_names=list(splits.classes))
    return {
        "recipe": config["recipe"],
        "weights": str(weights.with_suffix(".safetensors")),
        "test_accuracy": results["accuracy"],
        "test_loss": results["loss"],
        "test_macro_precision": details["macro"]["precision"],
        "test_macro_recall": details["macro"]["recall"],
        "test_macro_f1": details["macro"]["f1"],
        "per_class": details["classes"],
    }


def evaluate_generative(record: RunRecord, config: dict[str, Any], checkpoint: str = "best", samples: int | None = None) -> dict[str, Any]:
    """Generate ``samples`` (default ``eval.samples``, else 10,000) from the run's weights, measure
    them and write ``eval.json`` into the run folder; returns what it wrote.

    GAN runs save only ``last``, which is what they are measured from. Diffusion runs read
    ``ema`` for ``best`` when they kept a weight average (``checkpoint="last"`` still means ``last``).
    """
    from neuralab.generative.fid import SAMPLE_METRICS, mnist_fid  # noqa: PLC0415
    from neuralab.recipes import gan  # noqa: PLC0415

    task = config["task"]
    if task not in GENERATIVE_TASKS:
        raise ValueError(f"`neuralab eval` measures classify, gan, vae and diffusion runs; {record.path} is a {task!r} run")
    if task == "diffusion":
        return _evaluate_diffusion(record, config, checkpoint, samples)
    n = int(samples or config["eval"].get("samples") or 10000)
    if task == "gan":  # G and D from `last`, the only checkpoint a GAN run writes
        T, model, config, weights, prior = gan.load_trained(record.path)
        asked = sample_conditions(n, config, prior, seed=config["seed"] + 1)
        images = gan.generate(T, model, n, config["model"]["noise_dim"], seed=config["seed"] + 1, labels=asked)
        labels = asked if config["model"].get("num_classes") else None
        if config["data"]["name"] not in gan.IMAGE_SETS:  # a 2-D toy set: its own sample measures
            measured, _ = gan.measure(images, config)
            return _write_eval(record, config, weights, n, measured)
        result = mnist_fid(images.reshape(n, 1, 28, 28), reference="test", seed=config["seed"], labels=labels)
    else:  # vae: decoder means for z from the run's sampling prior, measured as at the end of training
        from neuralab.recipes import vae  # noqa: PLC0415

        T, model, config, weights, prior = vae.load_trained(record.path, checkpoint=checkpoint)
        result = vae.measure_prior_samples(T, model, config, n, prior=prior)
    measured = {k: result[k] for k in SAMPLE_METRICS if k in result}
    return _write_eval(record, config, weights, n, measured, feature_net_accuracy=result["feature_net_accuracy"])


def _evaluate_diffusion(record: RunRecord, config: dict[str, Any], checkpoint: str, samples: int | None) -> dict[str, Any]:
    """MNIST-FID of a diffusion run's digits, drawn as after training (same sampler, steps, guidance, seed)."""
    from neuralab.generative.fid import SAMPLE_METRICS, mnist_fid  # noqa: PLC0415
    from neuralab.recipes import diffusion  # noqa: PLC0415

    if config["data"]["name"] not in diffusion.IMAGE_SETS:
        raise ValueError(f"`neuralab eval` measures diffusion runs on images; {record.path} trained on {config['data']['name']!r} "
                         "(its summary.json holds the sample measures)")
    T, model, schedule, config, weights = diffusion.load_trained(record.path, checkpoint="ema" if checkpoint == "best" else checkpoint)
    n = int(samples or config["eval"].get("samples") or 10000)
    labels = sample_conditions(n, config)
    images = diffusion.generate_images(T, model, schedule, config, n, seed=config["seed"] + 1, labels=labels)
    result = mnist_fid(images, reference="test", seed=config["seed"], labels=labels)
    measured = {k: result[k] for k in SAMPLE_METRICS if k in result}
    return _write_eval(record, config, weights, n, measured, feature_net_accuracy=result["feature_net_accuracy"],
                       sampler=diffusion.sampler_text(config))


def _write_eval(record: RunRecord, config: dict[str, Any], weights: Path, n: int, measured: dict[str, Any], **extra: Any) -> dict[str, Any]:
    results = {"recipe": config["recipe"], "task": config["task"], "weights": str(weights.with_suffix(".safetensors")),
               "samples": n, "metrics": measured, **extra}
    atomic_write_json(record.path / "eval.json", results)
    return results
