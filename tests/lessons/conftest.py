"""Shared fixtures for the lesson tests: run a lesson once per session, look up its claims."""

from __future__ import annotations

import pytest

from neuralab import lessons
from neuralab.lessons import runner
from lesson_helpers import recheck


@pytest.fixture(scope="session")
def run_lesson(tmp_path_factory):
    """``run_lesson(name, quick=True, engine=None)`` -> the lesson record, run once per session."""
    cache: dict = {}

    def run(name: str, quick: bool = True, engine: str | None = None) -> dict:
        key = (name, quick, engine)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"lesson-{name}")
            engine_name = engine or lessons.load(name).ABOUT["engines"][0]
            record = runner.run_lesson(name, engine=engine_name, out=out, quick=quick)
            record["out"] = out / name
            recheck(record)
            failed = [c for c in record["checks"] if not c["passed"]]
            assert not failed, f"{name}: failed checks {failed}"
            cache[key] = record
        return cache[key]

    return run
