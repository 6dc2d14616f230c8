"""Run records: one folder per training run.

::

    runs/<recipe>-<YYYYmmdd-HHMMSS>[-N]/
        config.json          the resolved configuration (written by the caller, every default spelled out)
        metrics.jsonl        one JSON object per line: per epoch and split, and per evaluation
                             {"epoch", "split", "loss", "accuracy", "lr", "time_s"}
        summary.json         {"recipe", "engine", "device", "seed", "epochs", "wall_time_s",
                              "status", "metrics": {...}, ...}
        checkpoints/         last.{safetensors,json}, best.{safetensors,json}
        figures/             *.png

Every file is replaced atomically (written next to its final name, then renamed), so a
killed run never leaves half a line in ``metrics.jsonl``.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

from neuralab.io import atomic_write_bytes, atomic_write_json

_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class RunRecord:
    """The folder of one run and the files in it; see the module docstring for the layout."""

    def __init__(self, path: str | os.PathLike, recipe: str | None = None):
        self.path = Path(path)
        self.recipe = recipe or self._guess_recipe()
        self._metrics = self.read_metrics() if self.metrics_path.exists() else []

    # ------------------------------------------------------------------ creation

    @classmethod
    def create(cls, root: str | os.PathLike = "runs", name: str | None = None, config: dict[str, Any] | None = None) -> "RunRecord":
        """Make a fresh folder ``root/<name>-<YYYYmmdd-HHMMSS>`` (``-2``, ``-3``... if taken).

        ``name`` is the recipe name (default ``"run"``); ``config`` is written to ``config.json``.
        """
        recipe = _NAME.sub("-", name or "run").strip("-") or "run"
        stem = f"{recipe}-{time.strftime('%Y%m%d-%H%M%S')}"
        Path(root).mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 10_000):
            folder = Path(root) / (stem if attempt == 1 else f"{stem}-{attempt}")
            try:
                folder.mkdir()  # atomic: two runs started in the same second get different folders
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover
            raise RuntimeError(f"could not find a free run folder name for {stem!r} under {root}")
        record = cls(folder, recipe=recipe)
        record.checkpoints_dir.mkdir()
        record.figures_dir.mkdir()
        if config is not None:
            record.write_config(config)
        return record

    @classmethod
    def open(cls, path: str | os.PathLike) -> "RunRecord":
        """An existing run folder."""
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"no run folder at {path} (runs are created by RunRecord.create / `neuralab train`)")
        return cls(path)

    def _guess_recipe(self) -> str:
        for source in (self.summary_path, self.config_path):
            if source.exists():
                try:
                    recipe = json.loads(source.read_text()).get("recipe")
                except (json.JSONDecodeError, AttributeError):
                    recipe = None
                if isinstance(recipe, str):
                    return recipe
        match = re.match(r"(.+?)-\d{8}-\d{6}(-\d+)?$", self.path.name)
        return match.group(1) if match else self.path.name

    # ------------------------------------------------------------------ paths

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    def figure_path(self, name: str) -> Path:
        """``figures/<name>.png`` (the folder is created if needed)."""
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        return self.figures_dir / (name if name.endswith(".png") else f"{name}.png")

    # ------------------------------------------------------------------ config

    def write_config(self, config: dict[str, Any]) -> None:
        """Write ``config.json``; it must be JSON-serialisable as given."""
        try:
            json.dumps(config)
        except TypeError as error:
            raise TypeError(f"config.json must hold plain JSON values (numbers, strings, lists, dicts): {error}") from error
        atomic_write_json(self.config_path, config)

    def read_config(self) -> dict[str, Any]:
        """``config.json``; a folder without one is not a run (``FileNotFoundError``), a damaged one a ``ValueError``."""
        try:
            text = self.config_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"{self.path} is not a run folder: it has no config.json (a run folder is what "
                                    "`neuralab train` writes: config.json, metrics.jsonl, summary.json, checkpoints/)") from None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:  # not JSON, not UTF-8, nested too deep
            raise ValueError(f"{self.config_path} is damaged: expected the JSON object `neuralab train` wrote, "
                             f"got text that is not valid JSON ({error})") from None

    # ------------------------------------------------------------------ metrics.jsonl

    def log(self, **record: Any) -> None:
        """Append one JSON line to ``metrics.jsonl`` (non-finite numbers become ``null``)."""
        self._metrics.append({k: _finite_or_none(v) for k, v in record.items()})
        self._write_metrics()

    def log_epoch(self, epoch: int, split: str, loss: float | None, accuracy: float | None, lr: float | None, time_s: float | None) -> None:
        """One epoch's numbers for one split (``"train"``, ``"val"``)."""
        self.log(epoch=epoch, split=split, loss=loss, accuracy=accuracy, lr=lr, time_s=time_s)

    def read_metrics(self) -> list[dict[str, Any]]:
        """All lines of ``metrics.jsonl`` as dicts."""
        if not self.metrics_path.exists():
            return []
        lines = self.metrics_path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def truncate_metrics(self, epoch: int) -> None:
        """Drop lines of epochs after ``epoch`` (a resume from the checkpoint of ``epoch``)."""
        self._metrics = [m for m in self._metrics if m.get("epoch") is None or m["epoch"] <= epoch]
        self._write_metrics()

    def _write_metrics(self) -> None:
        text = "".join(json.dumps(m) + "\n" for m in self._metrics)
        atomic_write_bytes(self.metrics_path, text.encode())

    # ------------------------------------------------------------------ summary.json

    def read_summary(self) -> dict[str, Any]:
        return json.loads(self.summary_path.read_text()) if self.summary_path.exists() else {}

    def finished(self) -> bool:
        """True when the run trained to its end and its runner recorded the final measures (``finish`` in
        ``recipes/common.py`` writes ``run_dir`` last); a run stopped during those measures is not finished."""
        summary = self.read_summary()
        return summary.get("status") in ("completed", "early_stopped") and "run_dir" in summary

    def update_summary(self, metrics: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into ``summary.json``; ``metrics`` merges key by key into ``summary["metrics"]``."""
        summary = self.read_summary()
        summary.setdefault("recipe", self.recipe)
        summary.update({k: _finite_or_none(v) for k, v in fields.items()})
        merged = dict(summary.get("metrics", {}))
        merged.update({k: _finite_or_none(v) for k, v in (metrics or {}).items()})
        summary["metrics"] = merged
        atomic_write_json(self.summary_path, summary)
        return summary

    def __repr__(self) -> str:
        return f"RunRecord({str(self.path)!r})"


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (dict, list, str)):
        return _finite_or_none(value.item())
    return value
