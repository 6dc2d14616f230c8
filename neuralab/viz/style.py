"""Shared figure plumbing: Agg-backed figures, one look, atomic PNG writes.

Figures are made with ``matplotlib.figure.Figure`` on an Agg canvas, never through
``pyplot``: no global backend switch, no window, no figure left open in a registry.
"""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neuralab.io import atomic_path

DPI = 120
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#d62728"


def new_figure(width: float = 6.4, height: float = 4.8) -> Figure:
    """A blank figure drawn by the Agg backend (size in inches)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure: Figure, path: str | os.PathLike, dpi: int = DPI) -> Path:
    """Write ``figure`` as a PNG at ``path`` atomically; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi)
    return path
