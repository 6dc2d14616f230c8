"""The playground kinds by name: ``create``, ``defaults``."""

from __future__ import annotations

import difflib

from neuralab.playground.diffusion import DiffusionPlayground
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.gan import GanPlayground
from neuralab.playground.network import NetworkPlayground

KINDS = {"network": NetworkPlayground, "gan": GanPlayground, "diffusion": DiffusionPlayground}


def check_kind(kind) -> str:
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), list(KINDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise PlaygroundError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}{hint}")
    return kind


def create(kind: str, settings: dict | None = None, *, engine: str = "scratch", seed: int = 0):
    """A new playground of ``kind`` with ``settings`` (missing keys take their defaults)."""
    return KINDS[check_kind(kind)](settings, engine=engine, seed=seed)


def defaults(kind: str) -> dict:
    """Every setting of ``kind`` with its default value."""
    return {name: spec.default for name, spec in KINDS[check_kind(kind)].SETTINGS.items()}
