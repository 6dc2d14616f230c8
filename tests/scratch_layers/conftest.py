"""Layers parity suite: puts ``tests/scratch`` (the one parity harness, ``harness.py``) on
sys.path, and prints the largest parity error seen per family at the end of the run."""

from __future__ import annotations

import os
import sys

HARNESS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "scratch"))
if HARNESS not in sys.path:
    sys.path.insert(0, HARNESS)


def pytest_terminal_summary(terminalreporter):
    from harness import MAX_ERRORS
    if not MAX_ERRORS:
        return
    terminalreporter.section("scratch layers: max parity error (relative)")
    for (family, dtype), err in sorted(MAX_ERRORS.items()):
        terminalreporter.write_line(f"{family:<14} {dtype:<8} {err:.2e}")
