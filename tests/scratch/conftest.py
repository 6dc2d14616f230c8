"""Scratch-engine suite: shared harness on sys.path, modest Hypothesis settings, and the
worst parity error per dtype printed at the end of the run."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

try:
    from hypothesis import settings

    settings.register_profile("scratch", max_examples=25, deadline=None, derandomize=True)
    settings.load_profile("scratch")
except ImportError:  # hypothesis is a test extra
    pass


def pytest_terminal_summary(terminalreporter):
    from harness import STATS
    if not STATS:
        return
    terminalreporter.section("scratch engine: worst parity error vs torch (|a-b| / (|b| + atol/rtol))")
    for dtype, entry in sorted(STATS.items()):
        terminalreporter.write_line(
            f"{dtype:<8} max rel {entry['max_rel']:.2e} over {entry['checks']} comparisons (at {entry['where']})"
        )
