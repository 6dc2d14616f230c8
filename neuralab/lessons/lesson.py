"""The object a lesson runs against: its engine, seed, mode, figures and claims.

A lesson module defines ``run(lesson)`` and calls, cell by cell:

* ``lesson.T`` -- the engine (``neuralab.scratch`` by default, ``torch`` with --engine torch);
* ``lesson.rng(*keys)`` -- a NumPy generator fixed by the lesson's seed and the keys;
* ``lesson.figure(name, fig, shows=...)`` -- saves ``figures/NAME.png`` and returns its path for
  a claim; ``shows`` names the seed figure types it draws (``"V13"``, see ``seed_figures``);
* ``lesson.claim(...)`` -- records a seed claim, its measurements and the rule's verdict;
* ``lesson.check(name, passed, detail)`` -- the lesson's own correctness (a hand-derived
  gradient equals autograd's, the fixed network works). A failed check makes the lesson
  fail; a seed claim that fails is a finding, not a failure.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from neuralab import engines
from neuralab.lessons.claims import Claim, Fix, Measured, Rule
from neuralab.lessons.seed_figures import check_ids
from neuralab.viz.style import save_png

_FIGURE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Lesson:
    """Run context of one lesson (see the module docstring)."""

    def __init__(self, name: str, engine: str = "scratch", seed: int = 0, quick: bool = False,
                 out: str | Path | None = None):
        self.name = name
        self.engine = engine
        self.seed = int(seed)
        self.quick = bool(quick)
        self.out = Path(out if out is not None else Path("lessons-out") / name)
        self.claims: list[Claim] = []
        self.checks: list[dict[str, Any]] = []
        self.figures: list[str] = []
        self.shows: dict[str, list[str]] = {}  # figure path -> seed figure types it draws
        self._T: ModuleType | None = None

    @property
    def T(self) -> ModuleType:
        """The engine module, seeded once with the lesson's seed on first use."""
        if self._T is None:
            self._T = engines.get(self.engine)
            self._T.manual_seed(self.seed)
        return self._T

    def rng(self, *keys: int) -> np.random.Generator:
        """A generator fixed by ``(seed, *keys)``: the same keys give the same numbers."""
        return np.random.default_rng([self.seed, *keys])

    def pick(self, full: Any, quick: Any) -> Any:
        """``quick`` in --quick mode, else ``full`` (epochs, seed counts, sizes)."""
        return quick if self.quick else full

    def figure(self, name: str, fig, shows: str | tuple[str, ...] = ()) -> str:
        """Save a matplotlib figure as ``figures/NAME.png``; returns the path claims cite.

        ``shows``: the seed figure types (``seed_figures.SEED_FIGURES`` ids) this figure draws.
        """
        shown = check_ids(shows)
        if not _FIGURE_NAME.match(name):
            raise ValueError(f"figure names are lower-case words with - or _; got {name!r}")
        if f"figures/{name}.png" in self.figures:
            raise ValueError(f"figure {name!r} was already saved by this lesson")
        save_png(fig, self.out / "figures" / f"{name}.png")
        path = f"figures/{name}.png"
        self.figures.append(path)
        if shown:
            self.shows[path] = list(shown)
        return path

    def claim(self, id: str, seed_ref: str, claim: str, measured: Measured, rule: Rule,
              correction: str | None = None, figures: list[str] | tuple[str, ...] = (),
              fix: tuple[Measured, Rule] | None = None) -> Claim:
        """Record a seed claim; the verdict is ``rule`` applied to ``measured``.

        ``fix`` is ``(measured, rule)`` for the corrected version: its rule must hold.
        """
        missing = [f for f in figures if f not in self.figures]
        if missing:
            raise ValueError(f"claim {id} cites figures this lesson did not save: {missing}")
        made = Claim(id=id, seed_ref=seed_ref, claim=claim, measured=dict(measured), rule=rule,
                     correction=correction, figures=list(figures), fix=Fix(*fix) if fix else None)
        self.claims.append(made)
        if made.fix is not None:
            self.check(f"{id}: the corrected version works", made.fix.verdict == "holds",
                       f"{made.fix.rule.describe()} on {made.fix.measured}")
        return made

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        """Record one of the lesson's own correctness checks."""
        self.checks.append({"name": name, "passed": bool(passed), "detail": detail})
        return bool(passed)

    def claim_by_id(self, id: str) -> Claim:
        for made in self.claims:
            if made.id == id:
                return made
        raise KeyError(f"lesson {self.name} made no claim {id!r}; it made {[c.id for c in self.claims]}")
