"""A translate run (``dates-transformer``: human-written dates -> ISO dates) loaded for the lab's
Translate page.

``translate_runs(root)`` lists the finished runs; ``load(folder)`` rebuilds the encoder-decoder
through ``trained.load_model``. ``Translator.translate(text)`` answers the greedy output and
every layer's attention for that output, through ``recipes.translate.translate_with_attention``
(the function the run's own attention figures come from).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab import trained
from neuralab.inference.run_models import InputError, RunModelError, finished_runs, measured_checkpoint, run_config
from neuralab.recipes import translate
from neuralab.train.checkpoint import CheckpointError

TASKS = ("translate",)


def translate_runs(root: str | Path) -> list[dict[str, Any]]:
    """Finished translate runs, newest first: name, recipe, test exact match, the run's example."""
    return [{"name": card["name"], "recipe": card["recipe"], "engine": card["engine"],
             "test_exact_match": card["metrics"].get("test_exact_match"), "example": config["translate"]["example"],
             "max_source": config["translate"]["max_source"]}
            for card, config in finished_runs(root, TASKS)]


@dataclass
class Translator:
    """A loaded run: engine ``T``, the model in eval mode, its config."""

    name: str
    T: ModuleType
    model: Any
    config: dict[str, Any]

    def check(self, text: str) -> str:
        limit = self.config["translate"]["max_source"]
        if not isinstance(text, str) or not 1 <= len(text) <= limit:
            raise InputError(f"the date must hold 1 to {limit} characters (translate.max_source); "
                             f"got {len(text) if isinstance(text, str) else text!r}")
        unknown = sorted({c for c in text if c not in translate.SOURCE_CHARS})
        if unknown:
            raise InputError(f"the date may use letters, digits, spaces and {' ,./-'.strip()!r} only; got {''.join(unknown)!r}")
        return text

    def translate(self, text: str) -> dict[str, Any]:
        """``{"source", "output", "cross": (layers, heads, L_out + 1, L_source), "encoder": (...)}``
        as nested lists; row i of a cross map is the decoder query that produced output
        character i (the last row produced the end mark)."""
        output, maps = translate.translate_with_attention(self.T, self.model, self.check(text), self.config)
        return {"run": self.name, "source": text, "output": output, "rows": list(output) + ["<end>"],
                "cross": np.stack(maps["cross"]).round(4).tolist(), "encoder": np.stack(maps["encoder"]).round(4).tolist()}


def load(folder: str | Path, engine: str | None = None) -> Translator:
    """The run's translator on ``engine`` (default: the run's own), with the weights its summary was measured with."""
    folder = Path(folder)
    run_config(folder, TASKS)
    try:
        loaded = trained.load_model(folder, measured_checkpoint(folder), engine=engine, tasks=TASKS)
    except (ValueError, FileNotFoundError, CheckpointError) as error:
        raise RunModelError(f"run {folder.name}: {error}") from None
    return Translator(folder.name, loaded.T, loaded.model, loaded.config)
