"""Settings in the URL hash, TensorFlow Playground's way (``src/state.ts``).

``#activation=tanh&batchSize=10&dataset=spiral&networkShape=8,8&x=true&...``: each key is a
setting; TF's keys keep TF's meaning and formats (numbers as text, booleans ``true``/
``false`` where anything but ``false`` counts as true, ``networkShape`` a comma list, an
empty ``networkShape`` no hidden layer). A key with an empty value keeps its default, as
in TF. TF keys that only steer TF's page (``collectStats``, ``tutorial``, ``hideText``,
``*_hide``) are accepted and ignored. The drawn/uploaded ``points`` never go in a hash.
A value TF would silently ignore (``activation=foo``) is refused here with its reason.
"""

from __future__ import annotations

import math
from urllib.parse import quote, unquote

from neuralab.playground.errors import PlaygroundError
from neuralab.playground.settings import Setting, check_value, unknown_key

TF_PAGE_KEYS = ("collectStats", "tutorial", "hideText")
NOT_IN_HASH = ("points",)


def _specs(kind: str) -> dict[str, Setting]:
    from neuralab.playground.registry import KINDS, check_kind

    return KINDS[check_kind(kind)].SETTINGS


def _parse_value(spec: Setting, text: str):
    if spec.type == "bool":
        return text != "false"
    if spec.type in ("int", "float"):
        try:
            number = float(text)
        except ValueError:
            raise PlaygroundError(f"{spec.name}: expected a number, got {text!r}") from None
        if spec.type == "int" and math.isfinite(number) and number == int(number):
            return int(number)
        return number
    if spec.type == "widths":
        parts = [part for part in text.split(",")]
        try:
            return [int(part) if float(part) == int(float(part)) else float(part) for part in parts]
        except ValueError:
            raise PlaygroundError(f"{spec.name}: expected comma-separated integers such as 8,8, got {text!r}") from None
    if spec.type == "choice_list":
        return text.split(",")
    return text


def parse_hash(hash_text: str, kind: str = "network") -> dict:
    """The settings named in a URL hash (with or without the leading ``#``), each checked."""
    if not isinstance(hash_text, str):
        raise PlaygroundError(f"hash: expected text such as '#dataset=spiral&noise=0', got {type(hash_text).__name__}")
    specs = _specs(kind)
    settings: dict = {}
    for pair in hash_text.lstrip("#").split("&"):
        if not pair:
            continue
        key, _, raw = pair.partition("=")
        key, text = unquote(key), unquote(raw)
        if key in TF_PAGE_KEYS or key.endswith("_hide"):
            continue
        if key not in specs or key in NOT_IN_HASH:
            raise unknown_key(kind, key, [k for k in specs if k not in NOT_IN_HASH])
        spec = specs[key]
        if text.strip() == "" and spec.type not in ("widths", "choice_list"):
            continue   # TF: an empty value keeps the default
        if spec.type in ("widths", "choice_list") and text.strip() == "":
            value = [] if spec.type == "widths" else None
        else:
            value = _parse_value(spec, text)
        settings[key] = check_value(spec, value)
    return settings


def parse_tf_hash(hash_text: str) -> dict:
    """A TensorFlow Playground hash (our own keys allowed too) -> network settings."""
    return parse_hash(hash_text, "network")


def _format(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(_format(item) for item in value)
    return str(value)


def to_hash(settings: dict, kind: str = "network") -> str:
    """``#key=value&...`` for every setting that has a value (in spec order), ``points`` left out."""
    specs = _specs(kind)
    pairs = []
    for key in specs:
        if key in NOT_IN_HASH or key not in settings or settings[key] is None:
            continue
        pairs.append(f"{key}={quote(_format(settings[key]), safe=',.-_')}")
    return "#" + "&".join(pairs)
