"""Precision chosen by measurement: bfloat16 autocast only where it makes the step faster.

Whether bf16 matmuls pay depends on the chip (AVX512-BF16 / AMX CPUs and most GPUs: yes;
older CPUs emulate them and lose), on the model's width and on the batch. So ``auto``
times a few real training steps of the run's own model both ways and keeps the faster::

    t32, t16 = median step time in float32 / under bf16 autocast   (alternating steps)
    picked   = "bf16" if t16 < MARGIN * t32 else "float32"

and float32 where a bf16 step raises (a chip with no bf16 kernel for one of the model's ops).

The result is cached per machine in ``$NEURALAB_DATA/probe.json`` (default
``~/.cache/neuralab``), keyed by CPU model, torch version, device, threads and the model
and batch shape, so only the first run of a configuration on a machine pays the probe
(about 2 x ``STEPS`` steps). A probe whose step times scatter (a busy machine: slowest over
fastest step above ``NOISY``) decides for its own run only and is not cached. ``NEURALAB_PRECISION=float32|bf16`` skips the probe and
forces the pick (CI, tests); the run record says which way it went and why.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from typing import Any, Callable

from neuralab.data.cache import data_home
from neuralab.io import atomic_write_json

FORCE_ENV = "NEURALAB_PRECISION"
PROBE_FILE = "probe.json"
STEPS = 6        # timed steps per precision (after one warm-up each)
MARGIN = 0.95    # bf16 must be at least 5% faster: probe noise never flips a tie to bf16
NOISY = 1.5      # slowest / fastest step of one precision above this: a busy machine, pick not cached


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def probe_key(T, device: str, threads: int | None, shape: str) -> str:
    """What the pick depends on: chip, torch version, device, threads, model and batch shape."""
    chip = T.cuda.get_device_name(device) if device.startswith("cuda") else cpu_model()
    return f"{chip} | torch {T.__version__} | {device} | threads {threads or T.get_num_threads()} | {shape}"


def choose(T, device: str, threads: int | None, shape: str, time_step: Callable[[bool], float]) -> dict[str, Any]:
    """The precision record of a run asking for ``auto``.

    ``time_step(bf16)`` runs one training step (on a copy of the model) and returns its
    seconds. Returns ``{"requested": "auto", "picked", "why", "float32_step_ms",
    "bf16_step_ms", "source": "measured" | "cached" | "forced", "key"}``.
    """
    forced = os.environ.get(FORCE_ENV)
    if forced:
        if forced not in ("float32", "bf16"):
            raise ValueError(f"{FORCE_ENV} must be 'float32' or 'bf16'; got {forced!r}")
        return {"requested": "auto", "picked": forced, "why": f"forced by {FORCE_ENV}={forced}", "source": "forced"}
    key = probe_key(T, device, threads, shape)
    path = data_home() / PROBE_FILE
    cache = _read(path)
    if key in cache:
        return {**cache[key], "source": "cached", "key": key}
    times = {False: [], True: []}
    time_step(False)  # warm-up: first steps allocate and pick kernels
    try:
        time_step(True)
    except RuntimeError as error:  # no bf16 kernel for an op here (oneDNN's LSTM on CPUs without AVX512-BF16)
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        result = {"requested": "auto", "picked": "float32", "why": f"bf16 autocast fails on this machine: {reason}",
                  "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        _store(path, cache, key, result)
        return {**result, "source": "measured", "key": key}
    for _ in range(STEPS):
        for bf16 in (False, True):  # alternate, so a busy machine slows both alike
            times[bf16].append(time_step(bf16))
    t32, t16 = statistics.median(times[False]) * 1e3, statistics.median(times[True]) * 1e3
    picked = "bf16" if t16 < MARGIN * t32 else "float32"
    verdict = "faster" if picked == "bf16" else ("slower" if t16 >= t32 else f"under {1 - MARGIN:.0%} faster")
    noisy = any(max(t) > NOISY * min(t) for t in times.values())
    result = {"requested": "auto", "picked": picked, "float32_step_ms": round(t32, 3), "bf16_step_ms": round(t16, 3),
              "why": f"bf16 step {t16:.1f} ms vs float32 {t32:.1f} ms (median of {STEPS}): bf16 {verdict}"
                     + ("; step times scattered (busy machine): not cached" if noisy else ""),
              "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if not noisy:
        _store(path, cache, key, result)
    return {**result, "source": "measured", "key": key}


def _store(path, cache: dict[str, Any], key: str, result: dict[str, Any]) -> None:
    cache[key] = result
    try:
        atomic_write_json(path, cache)
    except OSError:
        pass  # a read-only cache only costs the next run another probe


def _read(path) -> dict[str, Any]:
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}
