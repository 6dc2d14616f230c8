"""An image classifier run (MNIST or Fashion-MNIST, 28x28 grey) loaded for the lab's model page.

``image_runs(root)`` lists the finished classify runs on those data sets; ``load(folder)``
rebuilds the model with ``trained.load_classifier`` (config.json, ``best`` weights else
``last``), on the run's engine or another one, and keeps the run's class names and
standardization (training mean and std, when the run used them).
``ImageClassifier.inspect(image)`` answers one drawn picture: probabilities, first-layer
maps and saliency (``inference.classifier``). ``ModelCache`` keeps the last few loaded.
"""

from __future__ import annotations

import base64
import collections
import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab import runs_index, trained
from neuralab.inference import classifier, drawing
from neuralab.train import CheckpointError, RunRecord

IMAGE_SETS = {"mnist": 20, "fashion-mnist": 26}  # data set -> the box a drawing is fitted into (drawing.py)
CACHE_SIZE = 4


class RunModelError(ValueError):
    """A run that cannot serve the model page (not an image classifier, no weights, ...)."""


def image_runs(root: str | Path) -> list[dict[str, Any]]:
    """Finished (completed or early-stopped) classify runs on MNIST / Fashion-MNIST, newest first."""
    found = []
    for card in runs_index.scan(root):
        if card.get("task") != "classify" or card.get("status") not in ("completed", "early_stopped"):
            continue
        config = runs_index.detail(root, card["name"])["config"] or {}
        name = (config.get("data") or {}).get("name")
        if name in IMAGE_SETS:
            found.append({"name": card["name"], "recipe": card["recipe"], "engine": card["engine"], "data": name,
                          "test_accuracy": card["metrics"].get("test_accuracy")})
    return found


@dataclass
class ImageClassifier:
    """A loaded run: engine ``T``, the model in eval mode, class names, optional ``(mean, std)``."""

    name: str
    T: ModuleType
    model: Any
    classes: tuple[str, ...]
    data: str
    statistics: tuple[np.ndarray, np.ndarray] | None

    @property
    def fit(self) -> int:
        return IMAGE_SETS[self.data]

    def inspect(self, image: np.ndarray) -> dict[str, Any]:
        """One 28x28 picture in [0, 1] (light on dark): probabilities, maps, saliency of the top class."""
        x = np.asarray(image, dtype=np.float32).reshape(1, 28, 28)
        if self.statistics is not None:
            mean, std = self.statistics
            x = ((x - mean.reshape(x.shape)) / std.reshape(x.shape)).astype(np.float32)
        seen = classifier.look(self.T, self.model, x)
        return dict(seen, probabilities=seen["probabilities"].tolist(), classes=list(self.classes))

    def answer(self, image: np.ndarray, *, center: bool = True) -> dict[str, Any]:
        """``inspect`` as JSON for a page: images as base64 uint8 (``to_bytes``), with their shapes.
        ``center``: first fit and centre the drawing as the data set's pictures are (``drawing.py``)."""
        image = drawing.center_like_mnist(image, fit=self.fit) if center else np.asarray(image, dtype=np.float32)
        seen = self.inspect(image)
        maps = seen["maps"]
        packed = classifier.to_bytes(maps["maps"], symmetric=maps["kind"] == "dense")
        return {"run": self.name, "classes": seen["classes"], "probabilities": seen["probabilities"], "top": seen["top"],
                "input": _b64(classifier.to_bytes(image)), "saliency": _b64(classifier.to_bytes(seen["saliency"])),
                "maps": _b64(packed), "maps_shape": list(packed.shape), "maps_kind": maps["kind"],
                "maps_index": maps["index"]}


def _b64(image: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).decode("ascii")


def _weights(folder: Path) -> Path:
    try:
        return trained.weights_path(RunRecord.open(folder))
    except FileNotFoundError:
        raise RunModelError(f"run {folder.name} has no weights (checkpoints/best.safetensors or last.safetensors)") from None


def load(folder: str | Path, engine: str | None = None) -> ImageClassifier:
    """The run's trained classifier on ``engine`` (default: the run's own), through ``trained.load_classifier``."""
    folder = Path(folder)
    config = runs_index.detail(folder.parent, folder.name)["config"]
    if not isinstance(config, dict) or config.get("task") != "classify":
        raise RunModelError(f"run {folder.name} is not a classify run (its config.json says task "
                            f"{(config or {}).get('task')!r})")
    data_name = (config.get("data") or {}).get("name")
    if data_name not in IMAGE_SETS:
        raise RunModelError(f"run {folder.name} was trained on {data_name!r}; the drawing page takes "
                            f"{' or '.join(IMAGE_SETS)} runs (28x28 pictures)")
    _weights(folder)
    try:
        model = trained.load_classifier(folder, engine=engine)
    except (ValueError, FileNotFoundError, CheckpointError) as error:
        raise RunModelError(f"run {folder.name}: {error}") from None
    classes = importlib.import_module(f"neuralab.data.{data_name.replace('-', '_')}").SPEC.classes
    statistics = None
    if config["data"].get("standardize"):  # only then is the data set itself needed (seconds to load)
        statistics = model.standardization(model.raw_splits().train.x)
    return ImageClassifier(folder.name, model.T, model.model, tuple(classes), data_name, statistics)


class ModelCache:
    """The last ``size`` loaded runs, reloaded when their weights file changes."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: collections.OrderedDict[tuple, ImageClassifier] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, root: str | Path, name: str, engine: str | None = None) -> ImageClassifier:
        folder = runs_index.run_folder(root, name)
        key = (str(folder), engine, _weights(folder).stat().st_mtime_ns)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        loaded = load(folder, engine)
        with self._lock:
            self._items[key] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded
