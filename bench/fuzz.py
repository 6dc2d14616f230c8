"""Run every fuzz target under atheris (coverage-guided) and print what it did.

    python bench/fuzz.py                       # 1,000,000 executions per target
    python bench/fuzz.py --runs 20000 idx text # fewer, some targets
    nice -n 19 python bench/fuzz.py --max-time 900 --keep corpora/

Each target runs in its own process (``python -m fuzz.fuzz_<name>``), one after another,
starting from its generated seeds (plus ``--keep``'s saved corpus, if any). libFuzzer stops
a process at its first crash; ``--crashes K`` restarts it after a crash (with the rest of
the executions) until K crashes were seen. Printed per target: executions, seconds, exec/s,
crashes, and the file holding each crashing input.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz import TARGETS  # noqa: E402 - the repository root first


def run_once(name: str, runs: int, seed: int, max_time: int | None, corpus: Path, artifacts: Path) -> dict:
    """One libFuzzer process: ``{"executions", "seconds", "crash" (path or None), "log"}``."""
    command = [sys.executable, "-m", f"fuzz.fuzz_{name}", f"-runs={runs}", f"-seed={seed}",
               f"-artifact_prefix={artifacts}/{name}-", "-print_final_stats=1", str(corpus)]
    if max_time:
        command.insert(-1, f"-max_total_time={max_time}")
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, errors="replace")
    seconds = time.perf_counter() - start
    log = result.stderr + result.stdout
    executed = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    if executed is None:  # a crash can end the process before the final stats
        counts = re.findall(r"^#(\d+)\s", log, flags=re.M)
        executed_units = int(counts[-1]) if counts else 0
    else:
        executed_units = int(executed.group(1))
    crash = re.search(r"Test unit written to (\S+)", log)
    if result.returncode != 0 and crash is None:
        crash_path = f"(exit status {result.returncode}, no input written)"
    else:
        crash_path = crash.group(1) if crash else None
    return {"executions": executed_units, "seconds": seconds, "crash": crash_path, "log": log}


def fuzz_target(name: str, runs: int, seed: int, max_time: int | None, max_crashes: int, keep: Path | None,
                artifacts: Path) -> dict:
    corpus = (keep / name) if keep else Path(tempfile.mkdtemp(prefix=f"neuralab-corpus-{name}-"))
    corpus.mkdir(parents=True, exist_ok=True)
    total = {"executions": 0, "seconds": 0.0, "crashes": []}
    while total["executions"] < runs and len(total["crashes"]) < max_crashes:
        left_time = None if not max_time else int(max_time - total["seconds"])
        if left_time is not None and left_time <= 0:
            break
        one = run_once(name, runs - total["executions"], seed + len(total["crashes"]), left_time, corpus, artifacts)
        total["executions"] += one["executions"]
        total["seconds"] += one["seconds"]
        if not one["crash"]:
            break
        total["crashes"].append(one["crash"])
        tail = one["log"][one["log"].find("=== Uncaught"):][:1500] if "=== Uncaught" in one["log"] else one["log"][-1500:]
        print(f"--- {name}: crash after {one['executions']:,} executions\n{tail}", flush=True)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=list(TARGETS), help=f"targets to run (default: all of {', '.join(TARGETS)})")
    parser.add_argument("--runs", type=int, default=1_000_000, help="executions per target (default 1,000,000)")
    parser.add_argument("--max-time", type=int, help="seconds per target at most (default: no limit)")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed")
    parser.add_argument("--crashes", type=int, default=1, help="crashes to collect per target before moving on")
    parser.add_argument("--keep", type=Path, help="folder keeping each target's corpus between runs")
    parser.add_argument("--artifacts", type=Path, default=Path(tempfile.gettempdir()) / "neuralab-fuzz-crashes",
                        help="folder receiving crashing inputs")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown targets {unknown}: expected some of {list(TARGETS)}")
    args.artifacts.mkdir(parents=True, exist_ok=True)
    print(f"{'target':<12} {'executions':>12} {'seconds':>9} {'exec/s':>8} {'crashes':>8}", flush=True)
    found = 0
    for name in args.targets:
        total = fuzz_target(name, args.runs, args.seed, args.max_time, args.crashes, args.keep, args.artifacts)
        rate = total["executions"] / total["seconds"] if total["seconds"] else 0.0
        print(f"{name:<12} {total['executions']:>12,} {total['seconds']:>9.1f} {rate:>8.0f} {len(total['crashes']):>8}"
              + "".join(f"\n    crash input: {path}" for path in total["crashes"]), flush=True)
        found += len(total["crashes"])
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
