"""Settings of the playgrounds: one typed spec per key, one normalizer for all kinds.

A spec says a key's type, default, allowed values and whether a change applies live
(learning rate, batch size, ...) or rebuilds the network. :func:`normalize` turns a partial,
possibly hand-written settings dict into a complete, checked one, or raises
:class:`PlaygroundError` naming the key, what it expects and what came.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from neuralab.playground.errors import PlaygroundError
from neuralab.playground.limits import LIMITS

# How a change to a key takes effect.
LIVE = "live"          # applies to the next step, nothing rebuilt
DATA = "data"          # the data are drawn again; the network keeps its weights
REBUILD = "rebuild"    # network (and data) rebuilt from the seed: step 0
VIEW = "view"          # only what frame() shows


@dataclass(frozen=True)
class Setting:
    """One settings key. ``type`` is one of bool, int, float, choice, str, widths, choice_list, points."""

    name: str
    type: str
    default: Any
    effect: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    nullable: bool = False
    about: str = ""
    extra: dict = field(default_factory=dict)


def _expected(spec: Setting) -> str:
    if spec.type == "bool":
        return "true or false"
    if spec.type in ("int", "float"):
        kind = "an integer" if spec.type == "int" else "a number"
        return f"{kind} in [{spec.low:g}, {spec.high:g}]"
    if spec.type == "choice":
        return "one of " + ", ".join(map(str, spec.choices))
    if spec.type == "str":
        return "a text of at most 64 characters"
    if spec.type == "widths":
        return (f"a list of at most {LIMITS['max_layers']} hidden widths, each an integer in "
                f"[1, {LIMITS['max_neurons']}] (hash form \"8,8\")")
    if spec.type == "choice_list":
        return "null or a list with one of " + ", ".join(spec.choices) + " per hidden layer"
    if spec.type == "points":
        return f"null or a list of at most {LIMITS['max_points']} points"
    return spec.type


def _fail(spec: Setting, value: Any, why: str = "") -> PlaygroundError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return PlaygroundError(f"{spec.name}: expected {_expected(spec)}, got {shown}{why}")


def _number(spec: Setting, value: Any, integer: bool):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(spec, value)
    if not math.isfinite(value):
        raise _fail(spec, value)
    if integer:
        if value != int(value):
            raise _fail(spec, value)
        value = int(value)
    else:
        value = float(value)
    if not spec.low <= value <= spec.high:
        raise _fail(spec, value)
    return value


def check_value(spec: Setting, value: Any) -> Any:
    """``value`` checked and normalized for ``spec`` (ints as int, numbers as float, lists as lists)."""
    if value is None and spec.nullable:
        return None
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise _fail(spec, value)
        return value
    if spec.type in ("int", "float"):
        return _number(spec, value, spec.type == "int")
    if spec.type == "choice":
        if value not in spec.choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in spec.choices], n=1)
            raise _fail(spec, value, f"; did you mean {close[0]!r}?" if close else "")
        return value
    if spec.type == "str":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or len(str(value)) > 64:
            raise _fail(spec, value)
        return str(value)
    if spec.type == "widths":
        if not isinstance(value, (list, tuple)) or len(value) > LIMITS["max_layers"]:
            raise _fail(spec, value)
        widths = []
        for width in value:
            if isinstance(width, bool) or not isinstance(width, (int, float)) or width != int(width) \
                    or not 1 <= width <= LIMITS["max_neurons"]:
                raise _fail(spec, value, f" (the width {width!r} is outside [1, {LIMITS['max_neurons']}])")
            widths.append(int(width))
        return widths
    if spec.type == "choice_list":
        if not isinstance(value, (list, tuple)) or any(item not in spec.choices for item in value):
            raise _fail(spec, value)
        return list(value)
    if spec.type == "points":
        return check_points(spec.name, value, spec.extra.get("sizes", (3,)))
    raise AssertionError(f"unknown setting type {spec.type}")


def check_points(name: str, value: Any, sizes=(3,)) -> list[list[float]]:
    """A list of ``[x1, x2, label]`` (or, where ``sizes`` allows, ``[x1, x2]``) with finite numbers,
    at most ``max_points`` long."""
    shape = " or ".join({2: "[x1, x2]", 3: "[x1, x2, label]"}[size] for size in sizes)
    if not isinstance(value, (list, tuple)):
        raise PlaygroundError(f"{name}: expected a list of {shape} points, got {type(value).__name__}")
    if len(value) > LIMITS["max_points"]:
        raise PlaygroundError(f"{name}: expected at most {LIMITS['max_points']} points, got {len(value)}")
    points = []
    for index, point in enumerate(value):
        if not isinstance(point, (list, tuple)) or len(point) not in sizes or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in point):
            raise PlaygroundError(f"{name}[{index}]: expected {shape} with finite numbers, got {point!r}"[:200])
        points.append([float(v) for v in point])
    return points


def normalize(kind: str, specs: dict[str, Setting], settings: dict | None, base: dict | None = None) -> dict:
    """``base`` (default: every spec's default) updated with ``settings``, each value checked.

    Unknown keys are refused with the closest known key as a hint.
    """
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise PlaygroundError(f"{kind} settings: expected an object of key: value, got {type(settings).__name__}")
    result = dict(base) if base is not None else {name: spec.default for name, spec in specs.items()}
    for key, value in settings.items():
        if key not in specs:
            raise unknown_key(kind, key, specs)
        result[key] = check_value(specs[key], value)
    return result


def unknown_key(kind: str, key: str, known) -> PlaygroundError:
    """The error for a key no spec knows, with the closest known key as a hint."""
    close = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return PlaygroundError(f"unknown {kind} setting {key!r}{hint} (known: {', '.join(sorted(known))})")


def changed_effect(specs: dict[str, Setting], old: dict, new: dict) -> str | None:
    """The strongest effect among the keys whose value changed (REBUILD > DATA > LIVE > VIEW)."""
    order = [None, VIEW, LIVE, DATA, REBUILD]
    strongest = None
    for key, spec in specs.items():
        if old.get(key) != new.get(key) and order.index(spec.effect) > order.index(strongest):
            strongest = spec.effect
    return strongest
