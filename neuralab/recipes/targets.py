"""Target verdicts shared by every runner: which way a metric must go, and whether it did.

Most targets are floors (``test_accuracy >= 0.98``); errors, ratios, losses and
negative log-likelihoods are ceilings (``radius_error <= 0.1``, ``elbo_nats <= 100``).
"""

from __future__ import annotations

from typing import Any, Mapping

# A metric whose name ends with one of these must stay at or below its target.
LOWER_IS_BETTER_SUFFIXES = ("_error", "_ratio", "_loss", "_mse", "_nats")


def comparison(metric: str) -> str:
    """``"<="`` for metrics where lower is better, else ``">="``."""
    return "<=" if metric.endswith(LOWER_IS_BETTER_SUFFIXES) else ">="


def verdicts(goals: Mapping[str, float], measured: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{metric: {"target", "measured", "met", "op"}}`` for each goal; a metric that was
    not measured is never met."""
    results = {}
    for name, goal in goals.items():
        value = measured.get(name)
        op = comparison(name)
        met = value is not None and (value <= goal if op == "<=" else value >= goal)
        results[name] = {"target": goal, "measured": value, "met": bool(met), "op": op}
    return results


def metrics_line(measured: Mapping[str, Any]) -> str:
    """One line naming each measured number, for a runner's progress output."""
    return "measured: " + ", ".join(f"{name} {value:.4g}" if isinstance(value, float) else f"{name} {value}"
                                    for name, value in measured.items())
