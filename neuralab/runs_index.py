"""What the runs dashboard shows: every run folder under a root, read without ever raising.

A run folder (layout in ``neuralab/train/runs.py``) can be finished, still training (from
the lab or from a terminal), killed, half-written or from an older version. ``scan(root)``
turns each into one *card*; a folder it cannot read gets a card whose ``error`` says why,
so one bad folder never hides the others.

Status of a card:

* ``summary.json`` newer than ``metrics.jsonl``: the status the trainer wrote there
  (``completed``, ``early_stopped``, ``interrupted``, ``failed``, ``diverged``, ``pruned``).
* otherwise the run is still writing: ``running`` while some file in it changed within
  ``STALE_S`` seconds, else ``interrupted`` (killed without a word: SIGKILL, power cut).
  A caller that knows better (the lab's job queue knows its children) passes ``active``.

Files are only ever served from inside the root: ``inside(root, *parts)`` resolves the
path (symlinks included) and refuses anything that lands outside.
"""

from __future__ import annotations

import json
import math
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

STALE_S = 120.0  # a run silent this long without a summary was killed (the slowest epochs log sooner)
FINISHED = ("completed", "early_stopped", "interrupted", "failed", "diverged", "pruned")  # pruned: a tuning trial Optuna stopped
KEY_METRICS = ("test_accuracy", "test_loss", "val_accuracy", "val_loss", "train_loss")
_STARTED = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")


class RunsError(ValueError):
    """A request about runs that cannot be served (unknown run, path outside the root)."""


def inside(root: str | Path, *parts: str) -> Path:
    """``root/parts...`` resolved, refused with ``RunsError`` unless it stays inside ``root``."""
    base = Path(root).resolve()
    for part in parts:
        if not part or "\x00" in part or Path(part).is_absolute():
            raise RunsError(f"refused path {part!r}: expected a name inside the runs folder")
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise RunsError(f"refused path {'/'.join(parts)!r}: it leads outside the runs folder {base}")
    return target


def run_folder(root: str | Path, name: str) -> Path:
    """The folder of run ``name`` (one path component) under ``root``; unknown names are refused."""
    if "/" in name or "\\" in name or name in (".", ".."):
        raise RunsError(f"refused run name {name!r}: expected a folder name such as mnist-mlp-20260101-120000")
    folder = inside(root, name)
    if not folder.is_dir():
        raise RunsError(f"no run {name!r} under {Path(root)}")
    return folder


def _is_run(folder: Path) -> bool:
    return folder.is_dir() and not folder.name.startswith(".") and any(
        (folder / f).exists() for f in ("config.json", "metrics.jsonl", "summary.json"))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise RunsError(f"{path.name} is not valid JSON (line {error.lineno}: {error.msg}); "
                        "the file is half-written or corrupt") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunsError(f"{path.name} cannot be read ({error})") from None


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """The lines of ``metrics.jsonl``; a line that is not a JSON object is an error naming its number."""
    path = folder / "metrics.jsonl"
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise RunsError(f"metrics.jsonl line {number} is not JSON ({line[:40]!r}...): corrupt") from None
        if not isinstance(row, dict):
            raise RunsError(f"metrics.jsonl line {number} is {type(row).__name__}, expected an object")
        rows.append(row)
    return rows


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _last_change(folder: Path) -> float:
    files = [folder, *folder.iterdir(), *(folder / "checkpoints").glob("*")]
    return max(_mtime(f) for f in files)


def status(folder: Path, summary: dict[str, Any] | None, *, now: float | None = None, active: bool = False) -> str:
    """One of ``running``, ``completed``, ``early_stopped``, ``interrupted``, ``failed``, ``diverged``, ``pruned``."""
    if active:
        return "running"
    finished = summary is not None and summary.get("status") in FINISHED and \
        _mtime(folder / "summary.json") >= _mtime(folder / "metrics.jsonl")
    if finished:
        return summary["status"]
    now = time.time() if now is None else now
    return "running" if now - _last_change(folder) < STALE_S else "interrupted"


def started(folder: Path, config_mtime: float) -> str:
    """ISO start time: the folder name's timestamp (local time of the run), else config.json's mtime."""
    match = _STARTED.search(folder.name)
    if match:
        return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S").isoformat()
    stamp = config_mtime or _mtime(folder)
    return datetime.fromtimestamp(stamp, tz=timezone.utc).astimezone().replace(tzinfo=None).isoformat(timespec="seconds")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def _targets(summary: dict[str, Any]) -> bool | None:
    """True when every target was met, False when one was missed, None when not judged."""
    verdicts = summary.get("targets")
    if not isinstance(verdicts, dict) or not verdicts:
        return None
    return all(isinstance(v, dict) and v.get("met") is True for v in verdicts.values())


def card(folder: Path, *, active: bool = False, now: float | None = None) -> dict[str, Any]:
    """One run's line on the dashboard; ``error`` is set (and the rest is what could be read)
    when a file is missing, corrupt or from an older version."""
    entry: dict[str, Any] = {"name": folder.name, "recipe": None, "task": None, "engine": None, "status": None,
                             "targets_met": None, "metrics": {}, "epoch": None, "epochs": None,
                             "started": started(folder, _mtime(folder / "config.json")), "error": None}
    problems = []
    config, summary = None, None
    try:
        config = _read_json(folder / "config.json") if (folder / "config.json").exists() else None
        if config is None:
            problems.append("config.json is missing (the run was stopped before it was written?)")
        elif not isinstance(config, dict) or "task" not in config or "recipe" not in config:
            problems.append("config.json names no recipe/task: written by an older neuralab, or not a run")
            config = config if isinstance(config, dict) else None
    except RunsError as error:
        problems.append(str(error))
    try:
        summary = _read_json(folder / "summary.json") if (folder / "summary.json").exists() else None
        if summary is not None and not isinstance(summary, dict):
            problems.append("summary.json is not an object")
            summary = None
    except RunsError as error:
        problems.append(str(error))
    try:
        rows = read_metrics(folder)
    except RunsError as error:
        problems.append(str(error))
        rows = []
    source = {**(config or {}), **(summary or {})}
    entry["recipe"] = source.get("recipe") if isinstance(source.get("recipe"), str) else None
    entry["task"] = (config or {}).get("task")
    entry["engine"] = source.get("engine") if isinstance(source.get("engine"), str) else None
    epochs = [r["epoch"] for r in rows if isinstance(r.get("epoch"), int)]
    entry["epoch"] = max(epochs) if epochs else 0
    planned = ((config or {}).get("train") or {}).get("epochs") if isinstance((config or {}).get("train"), dict) else None
    entry["epochs"] = (summary or {}).get("epochs_planned") or planned
    entry["status"] = status(folder, summary, now=now, active=active)
    logged = {}  # the latest logged numbers: all a running run has (its summary comes at the end)
    for row in rows:
        for key in ("loss", "accuracy"):
            if isinstance(row.get("split"), str) and _number(row.get(key)) is not None:
                logged[f"{row['split']}_{key}"] = row[key]
    written = (summary or {}).get("metrics")
    written = written if isinstance(written, dict) and entry["status"] != "running" else {}
    measured = {**logged, **written}
    entry["metrics"] = {k: _number(measured[k]) for k in KEY_METRICS if _number(measured.get(k)) is not None}
    entry["targets_met"] = _targets(summary or {})
    if summary and summary.get("message") and entry["status"] in ("failed", "diverged", "interrupted"):
        entry["message"] = str(summary["message"])[:400]
    if problems:
        entry["error"] = "; ".join(problems)
    return entry


def scan(root: str | Path, *, active: Iterable[str] = (), now: float | None = None) -> list[dict[str, Any]]:
    """Cards of every run folder under ``root``, newest first (``active``: names known to be training)."""
    base = Path(root)
    if not base.is_dir():
        return []
    active = set(active)
    cards = []
    for folder in base.iterdir():
        if _is_run(folder):
            try:
                cards.append(card(folder, active=folder.name in active, now=now))
            except OSError as error:  # vanished or unreadable while we looked
                cards.append({"name": folder.name, "error": f"cannot be read ({error})", "status": None,
                              "metrics": {}, "started": None})
    return sorted(cards, key=lambda c: (c.get("started") or "", c["name"]), reverse=True)


def series(rows: list[dict[str, Any]]) -> dict[str, list[list[float]]]:
    """Curves from metrics.jsonl rows: ``{"train_loss": [[epoch, value], ...], "val_accuracy": ...}``.

    Every numeric field of a row with an ``epoch`` and a ``split`` becomes ``<split>_<field>``
    (``time_s`` and ``lr`` once, without split: they are per epoch, not per split).
    """
    curves: dict[str, list[list[float]]] = {}
    for row in rows:
        epoch, split = row.get("epoch"), row.get("split")
        if not isinstance(epoch, (int, float)) or not isinstance(split, str):
            continue
        for key, value in row.items():
            value = _number(value)
            if key in ("epoch", "split") or value is None:
                continue
            name = key if key in ("lr", "time_s") else f"{split}_{key}"
            if key in ("lr", "time_s") and split != "train":
                continue
            curves.setdefault(name, []).append([epoch, value])
    return curves


def figures(folder: Path) -> list[str]:
    """Names of the PNG figures of a run, sorted."""
    return sorted(p.name for p in (folder / "figures").glob("*.png")) if (folder / "figures").is_dir() else []


def detail(root: str | Path, name: str, *, active: bool = False) -> dict[str, Any]:
    """Everything the run page shows: the card, config, summary, curves and figure names."""
    folder = run_folder(root, name)
    entry = card(folder, active=active)
    out = {"card": entry, "config": None, "summary": None, "curves": {}, "rows": 0, "figures": figures(folder)}
    for key, filename in (("config", "config.json"), ("summary", "summary.json")):
        try:
            out[key] = _read_json(folder / filename) if (folder / filename).exists() else None
        except RunsError:
            pass  # already named in the card's error
    try:
        rows = read_metrics(folder)
        out["curves"], out["rows"] = series(rows), len(rows)
    except RunsError:
        pass
    return out


def flatten(config: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    if not isinstance(config, dict):
        return {prefix: config} if prefix else {}
    flat = {}
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten(value, name) if isinstance(value, dict) and value else {name: value})
    return flat


def diff_configs(configs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The keys whose values differ between the runs: ``{"optimizer.lr": {"run-a": 0.1, "run-b": 0.3}}``
    (a key missing from a run shows as ``None``)."""
    flat = {name: flatten(config or {}) for name, config in configs.items()}
    keys = sorted(set().union(*(f.keys() for f in flat.values()))) if flat else []
    return {key: {name: f.get(key) for name, f in flat.items()} for key in keys
            if len({json.dumps(f.get(key), sort_keys=True) for f in flat.values()}) > 1}


class MetricsTail:
    """Follows one run's ``metrics.jsonl`` for a live curve.

    ``poll()`` returns ``None`` while nothing changed, else ``(reset, rows)``: the rows added
    since the last poll, or (``reset`` True) all rows, when the file shrank (a resume truncates
    the epochs after its checkpoint). The file is replaced atomically on every line, so each
    read sees whole lines.
    """

    def __init__(self, folder: Path):
        self.path = folder / "metrics.jsonl"
        self.seen = 0
        self._stamp: tuple[float, int] | None = None

    def poll(self) -> tuple[bool, list[dict[str, Any]]] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            rows = read_metrics(self.path.parent)
        except (RunsError, OSError):
            return None  # corrupt: the card says so; the curve keeps what it had
        reset = len(rows) < self.seen
        new = rows if reset else rows[self.seen:]
        self.seen = len(rows)
        return (reset, new) if new or reset else None
