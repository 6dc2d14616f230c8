"""The CI pass: every fuzz target under real atheris (coverage-guided) for a few seconds.

Each target runs as ``python -m fuzz.fuzz_<name>`` (libFuzzer ends the process at the end,
so it cannot run inside pytest), from its generated seeds, with the harness's limits (1 s
per input, the RSS cap). Any crash makes libFuzzer exit non-zero with the input written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import TARGETS

pytest.importorskip("atheris")

SECONDS = 3
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", TARGETS)
def test_short_pass_finds_no_crash(name, tmp_path):
    corpus, artifacts = tmp_path / "corpus", tmp_path / "crash-"
    corpus.mkdir()
    command = [sys.executable, "-m", f"fuzz.fuzz_{name}", "-seed=1", "-runs=200000", f"-max_total_time={SECONDS}",
               f"-artifact_prefix={artifacts}", "-print_final_stats=1", str(corpus)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, errors="replace", timeout=300)
    log = result.stderr + result.stdout
    report = log[log.find("=== Uncaught"):][:3000] if "=== Uncaught" in log else log[-3000:]
    assert result.returncode == 0, f"fuzz target {name} crashed:\n{report}"
    executed = int(log.split("stat::number_of_executed_units:")[1].split()[0])
    assert executed > len(list(corpus.iterdir())), f"{name}: only {executed} executions: {log[-2000:]}"
