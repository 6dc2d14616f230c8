"""Evaluate a finished run from its config and saved weights (``neuralab eval RUN``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuralab import engines
from neuralab.recipes.classify import build, load_splits
from neuralab.train import RunRecord, Trainer, load_weights, metrics


def evaluate_run(run_dir: str | Path, checkpoint: str = "best") -> dict[str, Any]:
    """Test-split metrics of ``run_dir``'s ``best`` (or ``last``) weights; nothing in the run is changed."""
    record = RunRecord.open(run_dir)
    config = record.read_config()
    weights = record.checkpoints_dir / checkpoint
    if not weights.with_suffix(".safetensors").exists():
        raise FileNotFoundError(f"{weights.with_suffix('.safetensors')} does not exist: the run saved no {checkpoint!r} checkpoint")
    T, model, optimizer = build(config)
    load_weights(model, weights, T)
    splits = load_splits(config)
    device = engines.resolve_device(T, "auto" if config["device"] == "cpu" else config["device"])
    trainer = Trainer(model, optimizer, T.nn.functional.cross_entropy, engine=T, device=device, progress=False)
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
