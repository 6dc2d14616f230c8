"""What the lab's model pages share: finding the finished runs of a task, loading one run's model
once (``RunCache``), and the two kinds of refusal a page shows.

* ``RunModelError`` (from ``image_runs``): the run cannot serve the page (wrong task, no weights);
* ``InputError``: the user's input is out of bounds (a prompt too long, a temperature <= 0, ...);
  its message names what was expected and what came.
"""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from pathlib import Path
from typing import Any

from neuralab import engines, runs_index
from neuralab.inference.image_runs import RunModelError

__all__ = ["InputError", "RunCache", "RunModelError", "bounded", "finished_runs", "measured_checkpoint", "one_thread", "run_config"]
FINISHED = ("completed", "early_stopped")
CACHE_SIZE = 4


class InputError(ValueError):
    """The user's input to a model page is out of bounds; the message says what was expected."""


def finished_runs(root: str | Path, tasks: Iterable[str]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(card, config)`` of every completed or early-stopped run of one of ``tasks``, newest first;
    the card's ``metrics`` are all of the summary's (the dashboard's card keeps a few)."""
    tasks = tuple(tasks)
    found = []
    for card in runs_index.scan(root):
        if card.get("task") in tasks and card.get("status") in FINISHED:
            detail = runs_index.detail(root, card["name"])
            if isinstance(detail["config"], dict):
                measured = (detail["summary"] or {}).get("metrics") or {}
                found.append((dict(card, metrics={**card["metrics"], **measured}), detail["config"]))
    return found


def run_config(folder: Path, tasks: Iterable[str]) -> dict[str, Any]:
    """The run's config, refused (``RunModelError``) unless its task is one of ``tasks``."""
    tasks = tuple(tasks)
    config = runs_index.detail(folder.parent, folder.name)["config"]
    if not isinstance(config, dict) or config.get("task") not in tasks:
        raise RunModelError(f"run {folder.name} is not a {' or '.join(tasks)} run (its config.json says task "
                            f"{(config or {}).get('task') if isinstance(config, dict) else None!r})")
    return config


def measured_checkpoint(folder: Path) -> str:
    """The checkpoint holding the weights the run's summary was measured with: ``best`` when early
    stopping restored them (``weights_from_epoch`` before the last epoch), else ``last`` (the
    model as training left it; ``best`` of a run without validation tracks the training loss)."""
    summary = runs_index.detail(folder.parent, folder.name).get("summary") or {}
    restored, final = summary.get("weights_from_epoch"), summary.get("epochs")
    return "best" if restored is not None and final is not None and restored != final else "last"


def bounded(name: str, value: float, low: float, high: float, *, integer: bool = False) -> float:
    """``value`` when ``low <= value <= high`` (an integer when asked), else an ``InputError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and int(value) != value):
        raise InputError(f"{name} must be {'an integer' if integer else 'a number'} between {low:g} and {high:g}; got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low:g} and {high:g}; got {value:g}")
    return int(value) if integer else float(value)


@contextlib.contextmanager
def one_thread(T: ModuleType) -> Iterator[None]:
    """The engine on one thread for the block, then back to its count. One request's tensors are
    small: on 2 busy cores a GPT sampled 9 characters/s on 2 torch threads, 163/s on one
    (measured, load average 10). The count is process-wide: hold the engine lock around it."""
    if not engines.capabilities(T)["threads"]:
        yield
        return
    before = T.get_num_threads()
    T.set_num_threads(1)
    try:
        yield
    finally:
        T.set_num_threads(before)


def _weights_stamp(folder: Path) -> tuple:
    files = sorted((folder / "checkpoints").glob("*.safetensors"))
    if not files:
        raise RunModelError(f"run {folder.name} has no weights (no checkpoints/*.safetensors): was it finished?")
    return tuple((path.name, path.stat().st_mtime_ns) for path in files)


class RunCache:
    """The last ``size`` runs loaded by ``load(folder, engine)``, reloaded when a weights file changes."""

    def __init__(self, load: Callable[[Path, str | None], Any], size: int = CACHE_SIZE):
        self.load, self.size = load, size
        self._items: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, root: str | Path, name: str, engine: str | None = None) -> Any:
        folder = runs_index.run_folder(root, name)
        key = (str(folder), engine, _weights_stamp(folder))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        loaded = self.load(folder, engine)
        with self._lock:
            self._items[key] = loaded
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded
