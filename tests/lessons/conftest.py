"""Shared fixtures for the lesson tests: run each lesson once per session, into one folder.

All quick runs on a lesson's default engine land in one session folder, so the report
test can render the report over the very records the lesson tests checked.
"""

from __future__ import annotations

import pytest

from neuralab import lessons
from neuralab.lessons import runner
from lesson_helpers import recheck


@pytest.fixture(scope="session")
def lessons_root(tmp_path_factory):
    return tmp_path_factory.mktemp("lessons")


@pytest.fixture(scope="session")
def run_lesson(lessons_root, tmp_path_factory):
    """``run_lesson(name, quick=True, engine=None)`` -> the lesson record, run once per session."""
    cache: dict = {}

    def run(name: str, quick: bool = True, engine: str | None = None) -> dict:
        key = (name, quick, engine)
        if key not in cache:
            default = lessons.load(name).ABOUT["engines"][0]
            out = lessons_root if quick and engine in (None, default) else tmp_path_factory.mktemp(f"lesson-{name}")
            record = runner.run_lesson(name, engine=engine or default, out=out, quick=quick)
            record["out"] = out / name
            recheck(record)
            failed = [c for c in record["checks"] if not c["passed"]]
            assert not failed, f"{name}: failed checks {failed}"
            cache[key] = record
        return cache[key]

    return run
