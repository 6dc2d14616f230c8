"""Layers parity suite: puts ``tests/scratch`` (the shared harness) and this folder on sys.path,
and prints the largest parity error seen per family at the end of the run."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(__file__)
for path in (os.path.join(HERE, "..", "scratch"), HERE):
    path = os.path.abspath(path)
    if path not in sys.path:
        sys.path.insert(0, path)


def pytest_terminal_summary(terminalreporter):
    from parity import MAX_ERRORS
    if not MAX_ERRORS:
        return
    terminalreporter.section("scratch layers: max parity error (relative)")
    for (family, dtype), err in sorted(MAX_ERRORS.items()):
        terminalreporter.write_line(f"{family:<14} {dtype:<8} {err:.2e}")
