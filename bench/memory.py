"""Peak resident memory of each default recipe's training, against a ceiling per recipe.

    python bench/memory.py [RECIPE ...] [--epochs 1] [--engine torch] [--timeout 1800] [--json FILE]

Each recipe trains in its own process (``python -m neuralab train RECIPE --epochs E --quiet``,
``threads=1``) with its default config: the dataset loaded as a run loads it, the model, one
epoch (the default), then the run's own final measures (test evaluation, samples, FID with the
feature net, figures), which come after the last epoch whatever the count. One epoch is enough
for the peak: nothing a run holds grows with the epoch count (metrics are a few numbers per
epoch; checkpoints are written, not kept), so later epochs repeat the first one's allocations.
Two figures per recipe: ``peak MiB`` is the kernel's high-water mark of the child's resident set
(``ru_maxrss`` from ``wait4``, the VmHWM of ``/proc/PID/status`` at exit), ``sampled MiB`` the
largest ``VmRSS`` read every 20 ms (a check on the first; it misses short peaks). A recipe
fails when its peak passes its ceiling; the script exits 1 if any did.

Ceilings (``CEILINGS_MIB``): where this script measured a recipe (``MEASURED``, one run on the
shared 2-core machine, torch 2.13, figures in docs/reliability.md) the ceiling is that peak plus
a quarter, rounded up to 50 MiB, so a real regression (a second float32 copy of MNIST is 210 MiB)
passes it while allocator noise does not. The others are estimates until measured: the
interpreter with torch, NumPy and matplotlib (355 MiB for xor-mlp, almost all of it; scikit-learn, for iris and digits, adds about 100), plus the
dataset as float32 (MNIST: 210 MiB), plus the model, a batch's activations at the evaluation
batch size, and for generative runs the samples and the FID feature net; the table marks them
``(estimate)``. Replace an estimate by its measurement when this script has run it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neuralab import recipes  # noqa: E402
from neuralab.cli.table import format_table  # noqa: E402

# recipe -> ceiling of the peak resident memory in MiB for one default epoch plus the final measures
CEILINGS_MIB = {
    # measured (MEASURED below), peak MiB, 2026-12-01: xor-mlp 355, mnist-mlp 586, iris-mlp 451, digits-mlp 472,
    # ring-gan 365, mnist-cnn 869; 2026-12-03 (docs/reliability.md): mnist-simplenn 590, fashion-cnn 936,
    # circles-mlp 356, spirals-mlp 360, gaussians-gan 366, gaussians-wgan 365, ring-ddpm 398, moons-ddpm 399,
    # patterns-dae 358, stock-lstm 362, sunspots-lstm 404, dates-transformer 690, shakespeare-rnn 622,
    # shakespeare-lstm 645, shakespeare-gru 644, shakespeare-gpt-small 423, shakespeare-gpt 513, mnist-ae 925,
    # mnist-ae2d 931, mnist-dae 961, mnist-vae 1472, mnist-dcgan 1271, mnist-cgan 1197, mnist-ddpm 1637;
    # after mnist_fid dropped the MNIST it does not score against (later 2026-12-03): mnist-vae 1148,
    # mnist-cgan 1039, mnist-ddpm 1260 (1395 before, that day), mnist-dcgan 1273
    "xor-mlp": 450, "mnist-mlp": 750, "iris-mlp": 600, "digits-mlp": 600, "ring-gan": 500, "mnist-cnn": 1100,
    "mnist-simplenn": 750, "fashion-cnn": 1200, "circles-mlp": 450, "spirals-mlp": 450, "gaussians-gan": 500,
    "gaussians-wgan": 500, "ring-ddpm": 500, "moons-ddpm": 500, "patterns-dae": 450, "stock-lstm": 500,
    "sunspots-lstm": 550, "dates-transformer": 900, "shakespeare-rnn": 800, "shakespeare-lstm": 850,
    "shakespeare-gru": 850, "shakespeare-gpt-small": 550, "shakespeare-gpt": 650, "mnist-ae": 1200,
    "mnist-ae2d": 1200, "mnist-dae": 1250, "mnist-vae": 1450, "mnist-dcgan": 1600, "mnist-cgan": 1300,
    "mnist-ddpm": 1600,
}
MEASURED = set(CEILINGS_MIB)  # ceilings set from a measured peak (+25%, up to 50 MiB); a new recipe starts as an estimate
SAMPLE_S = 0.02


def resident_mib(pid: int, field: str = "VmRSS") -> float | None:
    """``field`` of ``/proc/PID/status`` in MiB (None once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return None


def measure(recipe: str, epochs: int, engine: str, timeout: float) -> dict:
    """Train ``recipe`` in a child process; its peak and sampled resident memory, seconds and exit code."""
    with tempfile.TemporaryDirectory(prefix="neuralab-memory-") as out:
        command = [sys.executable, "-m", "neuralab", "train", recipe, "--epochs", str(epochs), "--engine", engine,
                   "--quiet", "--out", out, "--set", "threads=1"]
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        sampled = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                value = resident_mib(child.pid)
                if value is not None:
                    sampled[0] = max(sampled[0], value)
                done.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        errors = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)  # the kernel's high-water mark of the child's resident set
        child.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        done.set()
        sampler.join()
    return {"recipe": recipe, "peak_mib": usage.ru_maxrss / 1024, "sampled_mib": sampled[0],
            "seconds": time.perf_counter() - started, "code": child.returncode,
            "error": errors.strip().splitlines()[-1] if child.returncode and errors.strip() else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipes", nargs="*", help="recipes to measure (default: every recipe of the catalog)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per recipe (default 1; see the docstring)")
    parser.add_argument("--engine", default="torch", choices=("torch", "scratch"))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per recipe before it is stopped")
    parser.add_argument("--json", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    names = args.recipes or recipes.names()
    unknown = [name for name in names if name not in recipes.names()]
    if unknown:
        parser.error(f"unknown recipes: {', '.join(unknown)} (see `neuralab recipes`)")
    rows, table, failed = [], [], 0
    for name in names:
        row = measure(name, args.epochs, args.engine, args.timeout)
        row["ceiling_mib"] = CEILINGS_MIB.get(name)
        over = row["ceiling_mib"] is not None and row["peak_mib"] > row["ceiling_mib"]
        verdict = "FAILED: " + row["error"] if row["code"] else ("OVER" if over else "ok")
        if row["ceiling_mib"] is None and not row["code"]:
            verdict = "no ceiling declared"
        failed += bool(row["code"] or over or row["ceiling_mib"] is None)
        rows.append(row)
        table.append((name, f"{row['peak_mib']:,.0f}", f"{row['sampled_mib']:,.0f}",
                      (f"{row['ceiling_mib']:,}" + ("" if name in MEASURED else " (estimate)")) if row["ceiling_mib"] else "-",
                      f"{row['seconds']:.0f}", verdict))
        print(f"{name}: peak {row['peak_mib']:,.0f} MiB, {verdict}", file=sys.stderr, flush=True)
    print(f"peak resident memory, {args.engine} engine, {args.epochs} epoch(s) + final measures, threads=1")
    print(format_table(("recipe", "peak MiB", "sampled MiB", "ceiling MiB", "seconds", "verdict"), table,
                       align="lrrrrl"))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
