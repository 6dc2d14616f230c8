"""Run a classification recipe: data -> model -> Trainer -> test metrics -> figures.

Writes the run folder of ARCHITECTURE.md; ``summary.json`` gets ``test_accuracy``,
``test_loss``, macro precision/recall/F1 and whether each target was met.

Figures: ``curves`` and ``confusion`` always, then by what one input is
(:func:`neuralab.data.input_kind`): images get ``misclassified`` (the worst test images),
points of the plane (the toy sets) get ``decision_boundary`` (the model's regions over the
plane with the train and test points), rows of features (iris) get ``misclassified_table``
(the worst test samples with their feature values).
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import numpy as np

from neuralab import data
from neuralab.data.augment import ImageAugment
from neuralab.recipes.common import Prepared, finish, fit, load_splits, make_trainer, prepare, steps_for
from neuralab.recipes.config import require
from neuralab.train import RunRecord, metrics
from neuralab.viz import (
    plot_confusion_matrix, plot_decision_boundary, plot_history, plot_misclassified, plot_misclassified_table,
)

# Config keys only classification recipes have (merged over recipes.BASE_CONFIG). data.options go to
# data.load (a toy set's n, noise, seed, ...).
DEFAULTS: dict[str, Any] = {"train": {"label_smoothing": 0.0}, "data": {"options": {}}}


def validate(config: dict[str, Any]) -> None:
    """Classification-only checks (the shared ones live in ``recipes.validate``)."""
    smoothing = config["train"]["label_smoothing"]
    require(isinstance(smoothing, (int, float)) and 0.0 <= smoothing < 1.0, f"label_smoothing must be in [0, 1); got {smoothing!r}")
    if config["model"].get("name") == "mlp":
        sizes = config["model"].get("sizes")
        # fit_model_to_data keeps only the hidden widths, so a wrong value must be refused here,
        # not turned into a model: list("a") would have trained a plain 784 -> 10 net
        require(isinstance(sizes, (list, tuple)) and len(sizes) >= 2
                and all(type(width) is int and width >= 1 for width in sizes),
                f"model.sizes must list the layer widths, input first and classes last, each an integer >= 1 "
                f"(e.g. [784, 128, 10]; the first and last are set from the data); got {sizes!r}")
    options = config["data"].get("options", {})  # runs from before data.options have none
    require(isinstance(options, dict), f"data.options must be a mapping; got {options!r}")
    known = data.entry(config["data"]["name"]).options
    unknown = [key for key in options if key not in known]
    require(not unknown, f"{config['data']['name']} has no option {', '.join(map(repr, unknown))} in data.options "
                         f"(options: {', '.join(known) or 'none'}; data.options={{}} clears them)")


def fit_model_to_data(config: dict[str, Any], splits) -> dict[str, Any]:
    """The model's input and output sizes set to the data's: an MLP's first and last widths, a
    CNN's channels, image size and classes.

    So ``--set data.name=xor`` on a recipe built for iris trains a 2-...-2 net, and a folder of
    your own 32x32 RGB pictures trains ``mnist-cnn`` as a 3-channel, 32-pixel CNN, instead of
    failing at the first matrix product; the config written to the run says what was built.
    A CNN needs square images (``C, H, H``); other models are returned unchanged.
    """
    name = config["model"]["name"]
    if name == "mlp":
        sizes = list(config["model"]["sizes"])
        fitted = {"sizes": [int(np.prod(splits.input_shape)), *sizes[1:-1], splits.num_classes]}
    elif name == "cnn":
        shape = tuple(splits.input_shape)
        require(len(shape) == 3 and shape[1] == shape[2],
                f"the cnn takes square images (channels, H, H); {splits.name} inputs are {shape}: resize them "
                "(data.options.size=[H, H] for a folder) or use an MLP recipe (digits-mlp, iris-mlp)")
        fitted = {"in_channels": shape[0], "image_size": shape[1], "num_classes": splits.num_classes}
    else:
        return config
    if all(config["model"].get(key) == value for key, value in fitted.items()):
        return config
    config = copy.deepcopy(config)
    config["model"].update(fitted)
    return config


def pin_user_path(config: dict[str, Any]) -> dict[str, Any]:
    """``data.options.path`` (a user's own csv, folder or npz) made absolute, so ``config.json``
    names the data whatever folder the run is later read from (``neuralab predict``)."""
    path = config["data"].get("options", {}).get("path")
    if not isinstance(path, str) or Path(path).is_absolute():
        return config
    config = copy.deepcopy(config)
    config["data"]["options"]["path"] = str(Path(path).resolve())
    return config


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and evaluate one classification config; returns the summary dict."""
    config = pin_user_path(config)
    splits = load_splits(config)
    config = fit_model_to_data(config, splits)
    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps_for(len(splits.train), config))
    config, T = prepared.config, prepared.T
    augment = ImageAugment(**config["data"]["augment"])
    trainer = make_trainer(prepared, progress, metrics=("accuracy",),
                           loss_fn=functools.partial(T.nn.functional.cross_entropy, label_smoothing=config["train"]["label_smoothing"]),
                           augment=augment if augment.active else None)
    history = fit(trainer, prepared, (splits.train.x, splits.train.y), (splits.val.x, splits.val.y), resume=resume)
    batch = config["eval"]["batch_size"]
    test_results = trainer.evaluate((splits.test.x, splits.test.y), batch_size=batch, split="test")
    logits = trainer.predict(splits.test.x, batch_size=batch)

    def predict_proba(x: np.ndarray) -> np.ndarray:
        return metrics.softmax(trainer.predict(x, batch_size=batch))

    return report(prepared, splits, history, logits, test_results, predict_proba)


def plot_mistakes(record: RunRecord, config, splits, probabilities: np.ndarray, predict_proba=None) -> str:
    """The figure of what the model gets wrong that suits the inputs; returns its name (see the module docstring)."""
    classes, title = list(splits.classes), f"{config['recipe']} ({config['engine']})"
    kind = splits.input_kind
    if kind == "points" and predict_proba is not None:
        plot_decision_boundary(predict_proba, (splits.train.x, splits.train.y), record.figure_path("decision_boundary"),
                               test=(splits.test.x, splits.test.y), class_names=classes,
                               title=f"{title}: decision boundary on {splits.name}")
        return "decision_boundary"
    if kind == "image":
        plot_misclassified(splits.test.x, splits.test.y, probabilities, record.figure_path("misclassified"), class_names=classes)
        return "misclassified"
    scaled = " (standardized)" if config["data"]["standardize"] else ""
    plot_misclassified_table(splits.test.x, splits.test.y, probabilities, record.figure_path("misclassified_table"),
                             class_names=classes, title=f"{title}: most confidently wrong test samples{scaled}")
    return "misclassified_table"


def report(prepared: Prepared, splits, history, logits: np.ndarray, test_results: dict[str, float],
           predict_proba=None) -> dict[str, Any]:
    """Per-class metrics, figures and target verdicts into the run folder; returns the summary.

    ``predict_proba(points (M, 2)) -> (M, C)`` draws the decision boundary of a 2-D data set."""
    record, config = prepared.record, prepared.config
    predictions = logits.argmax(axis=1)
    classes = list(splits.classes)
    details = metrics.classification_report(splits.test.y, predictions, class_names=classes)
    confusion = metrics.confusion_matrix(splits.test.y, predictions, num_classes=len(classes))
    plot_history(history, record.figure_path("curves"), title=f"{config['recipe']} ({config['engine']})")
    plot_confusion_matrix(confusion, record.figure_path("confusion"), class_names=classes)
    plot_mistakes(record, config, splits, metrics.softmax(logits), predict_proba)
    measured = {
        "test_accuracy": test_results["accuracy"],
        "test_loss": test_results["loss"],
        "test_macro_precision": details["macro"]["precision"],
        "test_macro_recall": details["macro"]["recall"],
        "test_macro_f1": details["macro"]["f1"],
    }
    return finish(prepared, measured, False, per_class=details["classes"])
