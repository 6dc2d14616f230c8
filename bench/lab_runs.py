"""Runs dashboard latency: how soon a metrics line reaches the run page, in a real browser.

    python bench/lab_runs.py [--lines 20]

A run folder is written the way the Trainer writes it (``RunRecord.log_epoch``: the whole
``metrics.jsonl`` replaced atomically per line) while Debian's chromium shows the run's page
from a real ``neuralab lab`` server. Each line's write time (``time.time()`` just after the
rename) is compared with the time its point reached the page (``Date.now()`` in the SSE handler,
the same clock). Printed: median, 90th percentile and worst latency in ms. Target: < 1 s.

A benchmark, not a test: it prints. The load average is printed with it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralab.lab.server import LabServer  # noqa: E402
from neuralab.train import RunRecord  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def curve_latency(lines: int) -> list[float]:
    """Milliseconds from each metrics line written to its point on the run page."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    root = Path(tempfile.mkdtemp(prefix="lab-runs-bench-"))
    record = RunRecord.create(root, name="bench", config={"recipe": "bench", "task": "classify"})
    record.log_epoch(1, "train", 1.0, 0.5, 0.01, 0.1)
    server = LabServer("127.0.0.1", 0, quiet=True, runs_dir=str(root)).start()
    written = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
            page = browser.new_page()
            page.goto(f"{server.base_url}/run?name={record.path.name}&token={server.token}")
            page.wait_for_function("() => Number(document.body.dataset.lastEpoch || 0) >= 1", timeout=30_000)
            for epoch in range(2, lines + 2):
                time.sleep(random.uniform(0.3, 0.6))  # off the server's poll phase
                record.log_epoch(epoch, "train", 1.0 / epoch, 0.5, 0.01, 0.1)
                written[epoch] = time.time() * 1000
            page.wait_for_function(f"() => Number(document.body.dataset.lastEpoch) >= {lines + 1}", timeout=30_000)
            arrived = page.evaluate("() => window.__arrivals")
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return [arrived[str(epoch)] - written[epoch] for epoch in written]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20, help="metrics lines to time (default 20)")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    latency = sorted(curve_latency(args.lines))
    p90 = latency[min(len(latency) - 1, int(0.9 * len(latency)))]
    print(f"metrics line -> point on the run page, {len(latency)} lines: median {statistics.median(latency):.0f} ms, "
          f"p90 {p90:.0f} ms, worst {latency[-1]:.0f} ms (target < 1000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
