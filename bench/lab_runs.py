"""Runs dashboard and model page latency, against a real ``neuralab lab`` server.

    python bench/lab_runs.py [--lines 20] [--predictions 50]

**Live curve.**
A run folder is written the way the Trainer writes it (``RunRecord.log_epoch``: the whole
``metrics.jsonl`` replaced atomically per line) while Debian's chromium shows the run's page
from a real ``neuralab lab`` server. Each line's write time (``time.time()`` just after the
rename) is compared with the time its point reached the page (``Date.now()`` in the SSE handler,
the same clock). Printed: median, 90th percentile and worst latency in ms. Target: < 1 s.

**Digit prediction round trip.** An ``mnist-cnn`` run folder on the scratch engine (the recipe's
config; weights freshly initialised, since the time does not depend on their values) and
``POST /api/models/images/predict`` with a drawn 28x28 digit, answered with the probabilities,
the first layer's maps and the saliency map: time from request sent to answer read, after one
warm-up request (which loads the model). Target: < 50 ms.

A benchmark, not a test: it prints. The load average is printed with it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

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


def cnn_run(root: Path) -> str:
    """An mnist-cnn run folder (scratch engine) with untrained weights as a bare safetensors state dict."""
    from safetensors.numpy import save_file  # noqa: PLC0415

    from neuralab import engines, recipes  # noqa: PLC0415
    from neuralab.recipes.common import build_model  # noqa: PLC0415

    config = recipes.resolve("mnist-cnn", engine="scratch")
    record = RunRecord.create(root, name="mnist-cnn", config=config)
    model = build_model(engines.get("scratch"), config)
    save_file({k: np.array(v.numpy(), order="C") for k, v in model.state_dict().items()},  # 0-d stays 0-d
              str(record.checkpoints_dir / "best.safetensors"))
    record.update_summary(status="completed", engine="scratch")
    return record.path.name


def prediction_round_trip(count: int) -> tuple[list[float], float]:
    """Milliseconds per ``/api/models/images/predict`` request for a drawn digit, and the CPU
    milliseconds per request of this process (server thread and client together): on a loaded
    machine the wall time waits for a core, the CPU time does not."""
    root = Path(tempfile.mkdtemp(prefix="lab-predict-bench-"))
    name = cnn_run(root)
    server = LabServer("127.0.0.1", 0, quiet=True, runs_dir=str(root)).start()
    digit = np.zeros((28, 28))
    digit[5:23, 13:16] = 1.0  # a "1"
    body = json.dumps({"run": name, "pixels": digit.ravel().tolist()})
    headers = {"Content-Type": "application/json", "X-Neuralab-Token": server.token}
    times, cpu = [], 0.0
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        for attempt in range(count + 1):
            start, start_cpu = time.perf_counter(), time.process_time()
            connection.request("POST", "/api/models/images/predict", body=body, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"predict failed: {answer}")
            if attempt:  # the first one loads the model
                times.append((time.perf_counter() - start) * 1000)
                cpu += (time.process_time() - start_cpu) * 1000
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return times, cpu / count


def _line(what: str, values: list[float], target: str) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return (f"{what}, {len(values)} samples: median {statistics.median(values):.0f} ms, p90 {p90:.0f} ms, "
            f"worst {values[-1]:.0f} ms (target {target})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20, help="metrics lines to time (default 20)")
    parser.add_argument("--predictions", type=int, default=50, help="digit predictions to time (default 50)")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(_line("metrics line -> point on the run page", curve_latency(args.lines), "< 1000 ms"))
    times, cpu = prediction_round_trip(args.predictions)
    print(_line("digit prediction round trip, mnist-cnn on the scratch engine", times, "< 50 ms")
          + f"; CPU {cpu:.0f} ms per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
