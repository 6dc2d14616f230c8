"""Scratch-engine suite: shared harness on sys.path, one torch thread, and the worst parity
error per dtype printed at the end of the run."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny tensors: extra intra-op threads only contend for the 2 cores of CI machines."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_terminal_summary(terminalreporter):
    from harness import STATS
    if not STATS:
        return
    terminalreporter.section("scratch engine: worst parity error vs torch (|a-b| / (|b| + floor/rtol))")
    for dtype, entry in sorted(STATS.items()):
        terminalreporter.write_line(
            f"{dtype:<8} max rel {entry['max_rel']:.2e} over {entry['checks']} comparisons (at {entry['where']})"
        )
