"""Search spaces: ``KEY=SPEC`` strings parsed into dimensions Optuna samples.

Specs (the key is any dotted config key, ``optimizer.lr``, ``model.dropout``)::

    log:1e-4:1e-1      a float drawn log-uniformly in [1e-4, 1e-1]
    float:0:0.5        a float drawn uniformly in [0, 0.5]
    int:16:256         an integer in [16, 256] (``int:16:256:log`` draws its log uniformly)
    choice:a,b,c       one of the listed values, each read as JSON when it parses
                       (``choice:32,64``, ``choice:adam,sgd``, ``choice:[784,128,10],[784,256,10]``)

The grid sampler needs finite sets: a ``choice`` is its values, a range its ends and
middle (the geometric middle for ``log``), so ``log:1e-4:1e-2`` tries 1e-4, 1e-3, 1e-2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

from neuralab.recipes.config import parse_value

KINDS = ("log", "float", "int", "choice")
SPEC_HELP = "log:LOW:HIGH, float:LOW:HIGH, int:LOW:HIGH[:log] or choice:A,B,..."


@dataclass(frozen=True)
class Dimension:
    """One tuned config key: ``kind`` and either ``low``/``high`` or ``choices`` (their texts)."""

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        """The spec this dimension was parsed from (normalised): ``log:0.0001:0.1``."""
        if self.kind == "choice":
            return "choice:" + ",".join(self.choices)
        tail = ":log" if self.kind == "int" and self.log else ""
        return f"{self.kind}:{_number_text(self.low)}:{_number_text(self.high)}{tail}"

    def suggest(self, trial: Any) -> Any:
        """The value ``trial`` draws for this key (a choice comes back as its JSON value)."""
        if self.kind == "choice":
            return parse_value(trial.suggest_categorical(self.key, list(self.choices)))
        if self.kind == "int":
            return trial.suggest_int(self.key, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, log=self.kind == "log")

    def distribution(self, optuna: Any) -> Any:
        """The Optuna distribution :meth:`suggest` records for this key."""
        if self.kind == "choice":
            return optuna.distributions.CategoricalDistribution(list(self.choices))
        if self.kind == "int":
            return optuna.distributions.IntDistribution(int(self.low), int(self.high), log=self.log)
        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.kind == "log")

    def values(self) -> list[Any]:
        """Every value a trial could draw, as Optuna stores it (for sanity checks before any trial)."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]

    def grid(self) -> list[Any]:
        """The finite set the grid sampler walks (see the module docstring)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "log" or (self.kind == "int" and self.log):
            middle = math.sqrt(self.low * self.high)
        else:
            middle = (self.low + self.high) / 2
        points = [self.low, middle, self.high]
        if self.kind == "int":
            points = [int(round(p)) for p in points]
        return sorted(set(points))


def parse(assignment: str) -> Dimension:
    """``"optimizer.lr=log:1e-4:1e-1"`` -> a :class:`Dimension`; a bad spec is a ``ValueError``
    naming the expected forms and what came."""
    if "=" not in assignment:
        raise ValueError(f"--space expects KEY=SPEC with SPEC one of {SPEC_HELP}; got {assignment!r}")
    key, spec = (part.strip() for part in assignment.split("=", 1))
    if not key:
        raise ValueError(f"--space {assignment!r} names no config key (expected e.g. optimizer.lr=log:1e-4:1e-1)")
    kind, _, rest = spec.partition(":")
    if kind not in KINDS:
        raise ValueError(f"--space {key}: unknown kind {kind!r} in {spec!r}; expected {SPEC_HELP}")
    if kind == "choice":
        choices = tuple(split_choices(rest))
        if len(choices) < 2 or any(not text for text in choices):
            raise ValueError(f"--space {key}: choice needs two or more non-empty values separated by commas "
                             f"(choice:32,64,128); got {spec!r}")
        return Dimension(key, "choice", choices=choices)
    parts = rest.split(":")
    log = kind == "int" and len(parts) == 3 and parts[2] == "log"
    if len(parts) != (3 if log else 2):
        raise ValueError(f"--space {key}: {kind} needs LOW:HIGH{'[:log]' if kind == 'int' else ''} "
                         f"(e.g. {kind}:{_example(kind)}); got {spec!r}")
    low, high = (_bound(key, kind, text, spec) for text in parts[:2])
    if not low < high:
        raise ValueError(f"--space {key}: LOW must be below HIGH; got {spec!r}")
    if (kind == "log" or log) and low <= 0:
        raise ValueError(f"--space {key}: a log range needs LOW > 0; got {spec!r}")
    return Dimension(key, kind, low=low, high=high, log=log)


def parse_all(assignments: Iterable[str]) -> dict[str, Dimension]:
    """Several ``KEY=SPEC`` strings by key; a key named twice is refused."""
    space: dict[str, Dimension] = {}
    for assignment in assignments:
        dimension = parse(assignment)
        if dimension.key in space:
            raise ValueError(f"--space names {dimension.key!r} twice ({space[dimension.key].spec} and {dimension.spec})")
        space[dimension.key] = dimension
    return space


def split_choices(text: str) -> list[str]:
    """Split on commas outside brackets: ``"[1,2],[3]"`` -> ``["[1,2]", "[3]"]``."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _bound(key: str, kind: str, text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--space {key}: {text!r} in {spec!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"--space {key}: bounds must be finite numbers; got {spec!r}")
    if kind == "int" and value != int(value):
        raise ValueError(f"--space {key}: int bounds must be whole numbers; got {spec!r}")
    return int(value) if kind == "int" else value


def _example(kind: str) -> str:
    return {"log": "1e-4:1e-1", "float": "0:0.5", "int": "16:256"}[kind]


def _number_text(value: float) -> str:
    return f"{value:g}"


def spec_of(distribution: Any) -> str:
    """The spec of a distribution Optuna stored (the inverse of :meth:`Dimension.distribution`)."""
    if hasattr(distribution, "choices"):
        return "choice:" + ",".join(map(str, distribution.choices))
    if type(distribution).__name__.startswith("Int"):
        return f"int:{distribution.low}:{distribution.high}{':log' if distribution.log else ''}"
    return f"{'log' if distribution.log else 'float'}:{_number_text(distribution.low)}:{_number_text(distribution.high)}"
