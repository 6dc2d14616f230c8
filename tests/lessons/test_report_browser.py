"""The report: `neuralab verify` end to end, then report.html opened in a real browser.

The browser is Debian's chromium driven by Playwright through ``executable_path``
(`make test` installs both); nothing is downloaded. The full report is rendered over the
session's quick runs of every lesson (the records the lesson tests check), so no lesson
runs twice.
"""

from __future__ import annotations

import json
import shutil

import pytest

from neuralab import lessons
from neuralab.cli import main
from neuralab.lessons.report import INVENTORY_IDS, NOT_MEASURED, curriculum_map, write_report
from neuralab.lessons.seed_figures import NOT_DRAWN, SEED_FIGURES, coverage

from lesson_helpers import recheck

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_verify_writes_the_report_records_and_map(tmp_path, capsys):
    assert main(["verify", "--quick", "--jobs", "2", "--only", "neuron,conv*", "--out", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "neuron" in table and "convolution" in table and "total" in table
    verdicts = json.loads((tmp_path / "verdicts.json").read_text())
    assert [r["name"] for r in verdicts["lessons"]] == ["neuron", "convolution"]  # curriculum order
    for record in verdicts["lessons"]:
        recheck(record)
        assert record["ok"] and (tmp_path / record["name"] / "lesson.json").is_file()
    assert "| E12 | `neuron` | **holds** |" in (tmp_path / "curriculum-map.md").read_text()
    assert (tmp_path / "report.html").stat().st_size > 0


def test_report_opens_in_chromium_with_contents_verdicts_and_figures(run_lesson, lessons_root):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    records = [run_lesson(name) for name in lessons.names()]
    report = write_report(records, lessons_root / "report.html")
    claims = [(r["name"], c) for r in records for c in r["claims"]]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            # The contents list links every claim of every lesson.
            for name, claim in claims:
                assert page.locator(f'nav a[href="#{name}-{claim["id"]}"]').count() == 1, (name, claim["id"])
            # One block per claim, each with exactly one verdict in its heading, as the record says.
            assert page.locator(".claim").count() == len(claims)
            for name, claim in claims:
                badge = page.locator(f'[id="{name}-{claim["id"]}"] h3 .verdict')
                assert badge.count() == 1 and badge.inner_text() == claim["verdict"], (name, claim["id"])
            # Every figure every claim cites is on the page and decodes.
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.complete && e.naturalWidth > 0])")
            assert {src for src, _ in images} == {f"{name}/{f}" for name, c in claims for f in c["figures"]}
            # The seed's figure types: one row each, linking the lesson figures that draw it.
            assert page.locator("#seed-figures + p + table tr").count() == len(SEED_FIGURES) + 1
            assert all(loaded for _, loaded in images), [src for src, loaded in images if not loaded]
            page.screenshot(path=str(lessons_root / "report.png"))
        finally:
            browser.close()


def test_the_course_covers_every_inventory_id_and_figure_type(run_lesson):
    """Done-when of the Lessons issues: every E1-E60 and D2-D23 has a measured verdict (or a
    stated reason in NOT_MEASURED), and every seed figure type is drawn (or has its reason)."""
    records = [run_lesson(name) for name in lessons.names()]
    measured = {c["id"] for r in records for c in r["claims"]}
    assert set(INVENTORY_IDS) - measured - set(NOT_MEASURED) == set()
    assert not measured & set(NOT_MEASURED), "an id with a verdict must not also be excused"
    drawn = coverage(records)
    for key in SEED_FIGURES:
        assert drawn[key] or key in NOT_DRAWN, f"no lesson draws {key}: {SEED_FIGURES[key]}"
        for path in drawn[key]:
            assert path.split("/", 1)[1] in next(r for r in records if r["name"] == path.split("/")[0])["figures"]
    assert not set(NOT_DRAWN) & {k for k, v in drawn.items() if v}
    text = curriculum_map(records)
    assert "not yet measured" not in text and f"{len(SEED_FIGURES) - len(NOT_DRAWN)} of {len(SEED_FIGURES)} seed figure types" in text
