"""The curriculum as runnable lessons, each with measured verdicts.

One module per lesson, in curriculum order (:data:`LESSONS`). A lesson module holds
``ABOUT`` (title, part, seed section, claim ids, typical seconds, engines) and
``run(lesson)``; it reads top to bottom like the seed section it follows, in
``# %%`` cells, so jupytext turns it into a notebook unchanged.

``run_lesson`` runs one and writes ``NAME/lesson.json`` + ``NAME/figures/``;
``verify`` runs many and writes ``report.html`` + ``verdicts.json`` (see ``runner``).
"""

from __future__ import annotations

import difflib
import importlib
from types import ModuleType
from typing import Any

from neuralab.extras import missing_extra

# Curriculum order: the report's contents follow this tuple.
LESSONS: tuple[str, ...] = (
    # Lessons I: foundations
    "perceptron",        # 004:31-72      E1 E2 D18
    "classical_limits",  # 004:97-281     E3-E6
    "neuron",            # 004:282-826    E7-E13
    "gradient_descent",  # 004:841-925    E14 D2; 002:64-67 E55 (V1)
    "optimizers",        # 004:1076-1201  E16 D5
    "xor",               # 004:1010-1640  E15 D3 D4 E17-E20
    "architectures",     # 004:1641-1717  E21; 002:74-77 E57 (V3)
    "convolution",       # 004:1730-2401  E22 E23
    "depth_gradients",   # 002:69-72      E56 (V2)
    # Lessons II: the architecture families
    "cnn",               # 004:2405-2801  E24 D8 D9
    "recurrent",         # 004:2802-3463  E25-E30 D7 D17
    "autoencoders",      # 004:3464-4227  E31-E34 D10
    "gans",              # 004:4228-4919  E35-E39 D11 D12
    "attention",         # 004:4920-5649  E40-E44 D6 D13
    "diffusion",         # 000:63         (no seed code)
    # Lessons III: practice
    "regularization",    # 004:5650-6004  E45-E48 D14
    "tuning",            # 004:6005-6105  E49 E50 E59 D20
    "preprocessing",     # 004:6106-6182  E51
    "batchnorm",         # 004:6183-6438  E52 D15
    "debugging",         # 004:6439-6558  E53 E54 E58 E60
    "other_families",    # 002:41-52      RBF networks, SOMs, ensembles
    "derivations",       # 004:2040-6274  the seven sympy derivations
    "applications",      # 004:6559-7116  A1-A5 D16 D21
)

ABOUT_KEYS = ("title", "part", "section", "claims", "seconds", "engines")


def names() -> tuple[str, ...]:
    return LESSONS


def load(name: str) -> ModuleType:
    """The lesson module ``name``; an unknown name gets the closest one suggested."""
    if name not in LESSONS:
        hint = difflib.get_close_matches(name, LESSONS, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; `neuralab lessons` lists them"
        raise ValueError(f"unknown lesson {name!r}{suggestion}")
    try:
        module = importlib.import_module(f"neuralab.lessons.{name}")
    except ModuleNotFoundError as error:  # scikit-learn, sympy ...: the lessons extra
        if (error.name or "").startswith("neuralab"):
            raise
        raise missing_extra(error, "lessons", f"the lesson {name!r}") from error
    missing = [key for key in ABOUT_KEYS if key not in module.ABOUT]
    if missing:
        raise TypeError(f"lesson {name}: ABOUT lacks {missing}")
    return module


def about(name: str) -> dict[str, Any]:
    return dict(load(name).ABOUT, name=name)
