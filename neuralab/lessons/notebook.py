"""A lesson as a Jupyter notebook: its py:percent source through jupytext, unchanged."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from neuralab import lessons
from neuralab.extras import require
from neuralab.io import atomic_write_bytes


def write_notebook(name: str, path: str | Path) -> Path:
    """Write lesson ``name`` as ``.ipynb`` at ``path`` (atomically)."""
    lessons.load(name)  # refuses unknown names with a suggestion
    jupytext = require("jupytext", "lessons", "--notebook")
    path = Path(path)
    if path.suffix != ".ipynb":
        raise ValueError(f"--notebook writes a .ipynb file; got {str(path)!r}")
    source = Path(importlib.util.find_spec(f"neuralab.lessons.{name}").origin)
    notebook = jupytext.read(source, fmt="py:percent")
    atomic_write_bytes(path, jupytext.writes(notebook, fmt="ipynb").encode("utf-8"))
    return path
