"""Claims and the rules that decide their verdicts.

A lesson states what the seed says (in our words, with its line reference), measures
it, and hands the numbers to a :class:`Rule`. The verdict is the rule applied to the
numbers, never typed in: ``Claim.verdict`` is computed when the claim is made, and
anyone can recompute it from ``lesson.json`` with :func:`rule_from_json`.

Verdicts: ``holds`` (every part of the rule is met), ``fails`` (none is), ``partly``
(some are, or a count lands between its two bars).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any

VERDICTS = ("holds", "partly", "fails")
Measured = dict[str, Any]

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
_SEED_REF = re.compile(r"^\d{3}:\d+(-\d+)?(,\s*\d+(-\d+)?)*(;\s*\d{3}:\d+(-\d+)?(,\s*\d+(-\d+)?)*)*$")


def _value(measured: Measured, name: str) -> Any:
    if name not in measured:
        raise KeyError(f"the rule reads {name!r}, which was not measured (measured: {sorted(measured)})")
    return measured[name]


def _show(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else repr(x) if isinstance(x, str) else str(x)


class Rule:
    """Decides a verdict from named measurements."""

    def verdict(self, measured: Measured) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Compare(Rule):
    """``measured[name] OP value``; ``value`` may name another measurement."""

    name: str
    op: str
    value: Any

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(f"comparison must be one of {sorted(_OPS)}; got {self.op!r}")

    def _other(self, measured: Measured) -> Any:
        return _value(measured, self.value) if isinstance(self.value, str) and self.value in measured else self.value

    def verdict(self, measured: Measured) -> str:
        left = _value(measured, self.name)
        return "holds" if _OPS[self.op](left, self._other(measured)) else "fails"

    def describe(self) -> str:
        return f"{self.name} {self.op} {_show(self.value) if not isinstance(self.value, str) else self.value}"

    def to_json(self) -> dict[str, Any]:
        return {"compare": [self.name, self.op, self.value]}


@dataclass(frozen=True)
class Close(Rule):
    """``|measured[name] - target| <= tol``."""

    name: str
    target: float
    tol: float

    def verdict(self, measured: Measured) -> str:
        value = float(_value(measured, self.name))
        return "holds" if math.isfinite(value) and abs(value - self.target) <= self.tol else "fails"

    def describe(self) -> str:
        return f"|{self.name} - {_show(self.target)}| <= {self.tol:g}"

    def to_json(self) -> dict[str, Any]:
        return {"close": [self.name, self.target, self.tol]}


@dataclass(frozen=True)
class Fraction(Rule):
    """A count out of a total: holds at or above ``holds_at``, fails at or below ``fails_at``."""

    count: str
    total: str
    holds_at: float
    fails_at: float

    def __post_init__(self):
        if not 0.0 <= self.fails_at < self.holds_at <= 1.0:
            raise ValueError(f"need 0 <= fails_at < holds_at <= 1; got {self.fails_at}, {self.holds_at}")

    def verdict(self, measured: Measured) -> str:
        share = _value(measured, self.count) / _value(measured, self.total)
        return "holds" if share >= self.holds_at else "fails" if share <= self.fails_at else "partly"

    def describe(self) -> str:
        return (f"{self.count}/{self.total} >= {self.holds_at:g} holds, "
                f"<= {self.fails_at:g} fails, partly between")

    def to_json(self) -> dict[str, Any]:
        return {"fraction": [self.count, self.total, self.holds_at, self.fails_at]}


@dataclass(frozen=True)
class AllOf(Rule):
    """Several parts: holds if all hold, fails if all fail, partly otherwise."""

    parts: tuple[Rule, ...]

    def verdict(self, measured: Measured) -> str:
        verdicts = {part.verdict(measured) for part in self.parts}
        return verdicts.pop() if len(verdicts) == 1 and verdicts <= {"holds", "fails"} else "partly"

    def describe(self) -> str:
        return " and ".join(f"({part.describe()})" if isinstance(part, AllOf) else part.describe() for part in self.parts)

    def to_json(self) -> dict[str, Any]:
        return {"all_of": [part.to_json() for part in self.parts]}


# Short constructors, so a lesson's rule reads like a sentence.
def at_least(name: str, value: Any) -> Rule:
    return Compare(name, ">=", value)


def at_most(name: str, value: Any) -> Rule:
    return Compare(name, "<=", value)


def above(name: str, value: Any) -> Rule:
    return Compare(name, ">", value)


def below(name: str, value: Any) -> Rule:
    return Compare(name, "<", value)


def is_true(name: str) -> Rule:
    return Compare(name, "==", True)


def close(name: str, target: float, tol: float) -> Rule:
    return Close(name, target, tol)


def fraction(count: str, total: str, holds_at: float = 1.0, fails_at: float = 0.5) -> Rule:
    return Fraction(count, total, holds_at, fails_at)


def all_of(*parts: Rule) -> Rule:
    return AllOf(tuple(parts))


def unless_holds(rule: Rule, measured: Measured, correction: str) -> str | None:
    """``correction`` for a claim, unless ``rule`` holds on ``measured`` (a claim that holds needs none)."""
    return None if rule.verdict(measured) == "holds" else correction


def rule_from_json(obj: dict[str, Any]) -> Rule:
    """The inverse of ``Rule.to_json``: lets a reader of ``lesson.json`` recompute a verdict."""
    (kind, args), = obj.items()
    if kind == "all_of":
        return AllOf(tuple(rule_from_json(part) for part in args))
    return {"compare": Compare, "close": Close, "fraction": Fraction}[kind](*args)


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as JSON-ready Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass
class Fix:
    """What is true instead, measured: its rule must hold, or the lesson itself is broken."""

    measured: Measured
    rule: Rule
    verdict: str = field(init=False)

    def __post_init__(self):
        self.measured = {k: _plain(v) for k, v in self.measured.items()}
        self.verdict = self.rule.verdict(self.measured)

    def to_json(self) -> dict[str, Any]:
        return {"measured": self.measured, "rule": self.rule.describe(), "rule_json": self.rule.to_json(),
                "verdict": self.verdict}


@dataclass
class Claim:
    """One seed claim: what it says, what was measured, and the verdict the rule gives."""

    id: str
    seed_ref: str
    claim: str
    measured: Measured
    rule: Rule
    correction: str | None = None
    figures: list[str] = field(default_factory=list)
    fix: Fix | None = None
    verdict: str = field(init=False)

    def __post_init__(self):
        if not _SEED_REF.match(self.seed_ref):
            raise ValueError(f"seed_ref must look like '004:1010-1070' (several: '004:1-2, 5; 002:64'); got {self.seed_ref!r}")
        self.measured = {k: _plain(v) for k, v in self.measured.items()}
        self.verdict = self.rule.verdict(self.measured)
        if self.verdict != "holds" and not self.correction:
            raise ValueError(f"claim {self.id}: a verdict of {self.verdict!r} needs a correction saying what is true instead")

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "seed_ref": self.seed_ref, "claim": self.claim, "measured": self.measured,
               "rule": self.rule.describe(), "rule_json": self.rule.to_json(), "verdict": self.verdict,
               "correction": self.correction, "figures": list(self.figures)}
        if self.fix is not None:
            out["fix"] = self.fix.to_json()
        return out
