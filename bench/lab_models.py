"""Model page latency: the Text stream, Translate, Forecast, latent walk and denoising strip,
against a real ``neuralab lab`` server on a runs folder that holds finished runs of those kinds.

    python bench/lab_models.py --runs runs [--repeats 20] [--characters 500]

**Text.** ``POST /api/models/text/sample`` of ``--characters`` characters from the newest
language-model run (prompt ``ROMEO:``, temperature 0.8, seed i): the time to the first streamed
character and the characters per second of the whole stream, read line by line as a page does.
**Round trips.** ``POST /api/models/translate`` (a date), ``/forecast`` (the held-out tail),
``/vae/walk`` (3 rows of 10), ``/diffusion/strip`` (8 frames): time from request sent to
answer read. Each after one warm-up request, which loads the model. Kinds with no run are
skipped and say so.

A benchmark, not a test: it prints. The load average is printed with it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from neuralab.inference import forecast_runs, generative_runs, text_runs, translate_runs  # noqa: E402
from neuralab.lab.server import LabServer  # noqa: E402


def request(server, path: str, body: dict):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    connection.request("POST", path, body=json.dumps(body),
                       headers={"Content-Type": "application/json", "X-Neuralab-Token": server.token})
    return connection, connection.getresponse()


def stream(server, run: str, characters: int, seed: int) -> tuple[float, float]:
    """(ms to the first character, characters per second over the whole stream)."""
    started = time.perf_counter()
    connection, response = request(server, "/api/models/text/sample",
                                   {"run": run, "prompt": "ROMEO:", "length": characters, "seed": seed})
    if response.status != 200:
        raise SystemExit(f"text sample refused: {response.read().decode()}")
    first, count = None, 0
    while line := response.readline():
        item = json.loads(line)
        if "char" in item:
            count += 1
            first = first or time.perf_counter()
    total = time.perf_counter() - started
    connection.close()
    return (first - started) * 1000, count / total


def round_trip(server, path: str, body: dict) -> float:
    started = time.perf_counter()
    connection, response = request(server, path, body)
    payload = response.read()
    if response.status != 200:
        raise SystemExit(f"{path} refused: {payload.decode()[:300]}")
    connection.close()
    return (time.perf_counter() - started) * 1000


def summary(values: list[float], unit: str) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):.1f} {unit}, worst {ordered[-1]:.1f} {unit} ({len(ordered)} requests)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs", help="runs folder with finished model runs (default: runs)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--characters", type=int, default=500)
    args = parser.parse_args()
    root = args.runs
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; runs folder {root}")
    server = LabServer("127.0.0.1", 0, quiet=True, runs_dir=root).start()
    try:
        texts = text_runs.text_runs(root)
        if texts:
            run = texts[0]["name"]
            stream(server, run, 5, 0)
            firsts, rates = zip(*(stream(server, run, args.characters, seed) for seed in range(max(1, args.repeats // 4))))
            print(f"text {run} ({texts[0]['model']}, {texts[0]['engine']}): first character {summary(list(firsts), 'ms')}; "
                  f"{statistics.median(rates):.0f} characters/s median over {args.characters}-character streams")
        else:
            print("text: no finished language-model run")
        trips = []
        found = translate_runs.translate_runs(root)
        trips.append(("translate", found, "/api/models/translate", lambda r: {"run": r, "text": "21st of November 2026"}))
        trips.append(("forecast", forecast_runs.forecast_runs(root), "/api/models/forecast", lambda r: {"run": r}))
        kinds = generative_runs.generative_runs(root)
        trips.append(("latent walk", kinds["vae"], "/api/models/vae/walk", lambda r: {"run": r, "rows": 3, "steps": 10}))
        trips.append(("denoising strip", kinds["diffusion"], "/api/models/diffusion/strip", lambda r: {"run": r, "frames": 8}))
        for what, runs, path, body in trips:
            if not runs:
                print(f"{what}: no finished run of that kind")
                continue
            run = runs[0]["name"]
            round_trip(server, path, body(run))
            repeats = args.repeats if what != "denoising strip" else max(1, args.repeats // 4)
            print(f"{what} {run}: {summary([round_trip(server, path, body(run)) for _ in range(repeats)], 'ms')}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
