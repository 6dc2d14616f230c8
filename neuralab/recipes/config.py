"""Run configurations: nested dicts resolved from a recipe plus user overrides.

A resolved config spells out every default, so ``config.json`` in a run folder
is enough to rerun it. Overrides use dotted keys (``--set model.dropout=0.2``);
a key that does not exist is refused with the closest valid key suggested.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import json
from typing import Any, Callable, Iterable, Iterator


def flatten_keys(config: dict, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    flat = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten_keys(value, path + "."))
        else:
            flat[path] = value
    return flat


def parse_value(text: str) -> Any:
    """Read an override value as JSON when it parses (1, 0.5, [32, 64], null, true), else as text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


# Sections whose keys are not fixed by the recipe: a dataset's loader options. A new key is accepted
# there (``--set data.options.path=my.csv``); the task's validate checks it against the loader's options.
OPEN_SECTIONS = ("data.options",)


def set_key(config: dict, dotted_key: str, value: Any) -> None:
    """Set ``config[a][b] = value`` for ``"a.b"``; the key (a leaf or a section) must already exist,
    unless its parent is one of ``OPEN_SECTIONS``."""
    known = flatten_keys(config)
    sections = {key.rsplit(".", i)[0] for key in known for i in range(1, key.count(".") + 1)}
    parent = dotted_key.rsplit(".", 1)[0] if "." in dotted_key else ""
    open_key = parent in OPEN_SECTIONS and (parent in known or parent in sections)
    if dotted_key not in known and dotted_key not in sections and not open_key:
        close = difflib.get_close_matches(dotted_key, known, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown config key {dotted_key!r}{hint} (see config.json of a run for every key)")
    *parents, leaf = dotted_key.split(".")
    node = config
    for depth, part in enumerate(parents, 1):
        node = node[part]
        if not isinstance(node, dict):  # e.g. data.options=5 set before data.options.path=...
            section = ".".join(parents[:depth])
            raise ValueError(f"cannot set {dotted_key!r}: {section!r} must be a section (an object); "
                             f"it holds {node!r}")
    node[leaf] = value


def apply_overrides(config: dict, assignments: Iterable[str]) -> dict:
    """Return a copy of ``config`` with ``key=value`` assignments applied."""
    config = copy.deepcopy(config)
    for assignment in assignments:
        if "=" not in assignment:
            raise ValueError(f"--set expects key=value (e.g. model.dropout=0.2); got {assignment!r}")
        key, text = assignment.split("=", 1)
        set_key(config, key.strip(), parse_value(text.strip()))
    return config


def require_structure(config: Any, reference: dict, prefix: str = "") -> None:
    """Refuse (``ValueError``) a config lacking a key of ``reference``, or holding something
    other than an object where ``reference`` has a section; checked before anything indexes
    it, so a hand-edited ``config.json`` or ``--set train=5`` gets a sentence, not a bare
    ``KeyError('epochs')``. Empty sections of ``reference`` (``targets``) take any keys."""
    where = f"config key {prefix[:-1]!r}" if prefix else "a config"
    if not isinstance(config, dict):
        raise ValueError(f"{where} must be an object of keys (like config.json of a run); got {type(config).__name__} {config!r:.60}")
    for key, expected in reference.items():
        if key not in config:
            raise ValueError(f"config lacks key {prefix + key!r} (every resolved config has it; see config.json of a run)")
        if isinstance(expected, dict) and expected:
            require_structure(config[key], expected, f"{prefix}{key}.")


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return {int: "number", float: "number", str: "string", list: "list", dict: "object"}.get(type(value), type(value).__name__)


@contextlib.contextmanager
def wrong_types_refused(config: dict, reference: Callable[[], dict], task: str) -> Iterator[None]:
    """Checks of ``config`` run inside this: a ``TypeError`` (``None > 0``, ``[1] < 2``) or a bare
    ``KeyError``/``IndexError``/``AttributeError`` they trip on becomes a ``ValueError`` naming
    the keys whose values are of another kind than in ``reference()`` (the recipe's own config,
    built only when needed)."""
    try:
        yield
    except KeyError as error:
        if error.args and isinstance(error.args[0], str) and " " in error.args[0]:
            raise  # already a sentence (an unknown name with a suggestion)
        raise ValueError(f"the {task} config lacks key {error.args[0] if error.args else ''!r} it needs "
                         "(see config.json of a run for every key)") from None
    except (TypeError, IndexError, AttributeError) as error:
        defaults = flatten_keys(reference())
        suspects = [f"{key} = {json.dumps(value)[:40]} ({_kind(value)}; the default is {_kind(defaults[key])})"
                    for key, value in flatten_keys(config).items()
                    if key in defaults and _kind(value) != _kind(defaults[key])]
        hint = f": check {', '.join(suspects[:4])}" if suspects else ""
        raise ValueError(f"a value of the {task} config has the wrong type ({error}){hint}") from None


def require(condition: bool, message: str) -> None:
    """Raise ``ValueError(message)`` unless ``condition``: config checks read as one line each."""
    if not condition:
        raise ValueError(message)
