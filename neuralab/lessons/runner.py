"""Run lessons and write their records: ``NAME/lesson.json``, ``verdicts.json``, ``report.html``.

A lesson *fails* (non-zero exit) only when it crashes or one of its own checks fails;
a seed claim whose verdict is ``fails`` is a finding and is reported, not raised.
"""

from __future__ import annotations

import contextlib
import fnmatch
import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterable

from neuralab import engines, lessons
from neuralab.io import atomic_write_bytes, atomic_write_json
from neuralab.lessons.lesson import Lesson


def select(only: str | None = None) -> tuple[str, ...]:
    """Lesson names matching the glob ``only`` (comma-separated globs allowed), in curriculum order."""
    if not only:
        return lessons.names()
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    chosen = tuple(n for n in lessons.names() if any(fnmatch.fnmatch(n, p) for p in patterns))
    if not chosen:
        raise ValueError(f"--only {only!r} matches no lesson; lessons are {', '.join(lessons.names())}")
    return chosen


@contextlib.contextmanager
def _threads(engine: str, threads: int):
    """Limit BLAS (and torch's) threads while a lesson runs: its matrices are small, so more
    threads only contend, many times slower on a shared machine."""
    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415 - installed with scikit-learn
    except ImportError:
        blas = contextlib.nullcontext()
    else:
        blas = threadpool_limits(limits=threads, user_api="blas")
    torch = engines.get("torch") if engine == "torch" else None
    before = torch.get_num_threads() if torch else None
    with blas:
        if torch:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(before)


def run_lesson(name: str, engine: str = "scratch", seed: int = 0, out: str | Path = "lessons-out",
               quick: bool = False, threads: int = 1) -> dict[str, Any]:
    """Run one lesson (BLAS limited to ``threads``); write ``OUT/NAME/lesson.json`` and its figures."""
    module = lessons.load(name)
    about = module.ABOUT
    if engine not in about["engines"]:
        raise ValueError(f"lesson {name} runs on {' or '.join(about['engines'])}; got --engine {engine}")
    lesson = Lesson(name, engine=engine, seed=seed, quick=quick, out=Path(out) / name)
    start = time.perf_counter()
    with _threads(engine, threads):
        module.run(lesson)
    record = {
        "name": name, "title": about["title"], "part": about["part"], "section": about["section"],
        "engine": engine, "seed": seed, "quick": quick, "seconds": round(time.perf_counter() - start, 2),
        "claims": [c.to_json() for c in lesson.claims], "checks": lesson.checks,
        "figures": lesson.figures, "shows": lesson.shows, "ok": all(c["passed"] for c in lesson.checks),
    }
    unlisted = sorted({c.id for c in lesson.claims} - set(about["claims"]))
    record["ok"] = record["ok"] and not unlisted
    if unlisted:
        record["checks"].append({"name": "ABOUT lists every claim id", "passed": False, "detail": f"unlisted: {unlisted}"})
    atomic_write_json(lesson.out / "lesson.json", record)
    return record


def _run_safely(name: str, engine: str, seed: int, out: str, quick: bool) -> dict[str, Any]:
    """``run_lesson`` that turns a crash into a record (so one broken lesson spoils no others)."""
    start = time.perf_counter()
    try:
        return run_lesson(name, engine, seed, out, quick)
    except Exception:  # noqa: BLE001 - reported in the record and the exit status
        about = lessons.load(name).ABOUT
        return {"name": name, "title": about["title"], "part": about["part"], "section": about["section"],
                "engine": engine, "seed": seed, "quick": quick, "seconds": round(time.perf_counter() - start, 2),
                "claims": [], "checks": [], "figures": [], "shows": {}, "ok": False, "error": traceback.format_exc()}


def _worker_threads(jobs: int) -> None:
    # Set before a spawned worker imports NumPy, so N workers share the cores instead of fighting.
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads


def verify(names: Iterable[str], out: str | Path = "lessons-out", quick: bool = False, jobs: int = 1,
           seed: int = 0, progress=None) -> list[dict[str, Any]]:
    """Run ``names`` (``jobs`` at a time); write ``verdicts.json``, ``report.html`` and ``curriculum-map.md`` in ``out``."""
    from neuralab.lessons.report import curriculum_map, write_report  # noqa: PLC0415 - keeps `neuralab lesson` light

    names = list(names)
    out = Path(out)
    records: dict[str, dict[str, Any]] = {}
    engine_of = {name: lessons.load(name).ABOUT["engines"][0] for name in names}
    if jobs <= 1:
        for name in names:
            records[name] = _run_safely(name, engine_of[name], seed, str(out), quick)
            if progress:
                progress(records[name])
    else:
        saved = {v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
        _worker_threads(jobs)
        try:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                futures = {name: pool.submit(_run_safely, name, engine_of[name], seed, str(out), quick) for name in names}
                for name, future in futures.items():
                    records[name] = future.result()
                    if progress:
                        progress(records[name])
        finally:
            for var, value in saved.items():
                if value is None:
                    os.environ.pop(var, None)
                else:
                    os.environ[var] = value
    ordered = [records[name] for name in names]
    atomic_write_json(out / "verdicts.json", {"quick": quick, "seed": seed, "lessons": ordered})
    write_report(ordered, out / "report.html")
    atomic_write_bytes(out / "curriculum-map.md", curriculum_map(ordered).encode("utf-8"))
    return ordered


def tally(record: dict[str, Any]) -> dict[str, int]:
    """How many of a lesson's claims hold, fail and partly hold."""
    counts = {"holds": 0, "partly": 0, "fails": 0}
    for claim in record["claims"]:
        counts[claim["verdict"]] += 1
    return counts


def run_and_show(name: str, **options: Any) -> dict[str, Any]:
    """Run a lesson and print its claims (what ``python -m neuralab.lessons.NAME`` and a notebook do)."""
    from neuralab.lessons.text import format_record  # noqa: PLC0415

    out = options.pop("out", "lessons-out")
    record = run_lesson(name, out=out, **options)
    print(format_record(record, Path(out) / name))
    return record
