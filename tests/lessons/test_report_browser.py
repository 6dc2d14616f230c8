"""`neuralab verify --quick` over every lesson, then report.html opened in a real browser.

The browser is Debian's chromium driven by Playwright through ``executable_path``
(`make test` installs both); nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil

import pytest

from neuralab.cli import main

from lesson_helpers import recheck

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("verify")
    status = main(["verify", "--quick", "--jobs", "2", "--out", str(out)])
    verdicts = json.loads((out / "verdicts.json").read_text())
    return status, out, verdicts


def test_verify_runs_every_lesson_and_each_verdict_follows_its_rule(report):
    status, out, verdicts = report
    failures = [(r["name"], r.get("error"), [c for c in r["checks"] if not c["passed"]])
                for r in verdicts["lessons"] if not r["ok"]]
    assert status == 0, failures
    for record in verdicts["lessons"]:
        recheck(record)
        assert (out / record["name"] / "lesson.json").is_file()


def test_report_opens_in_chromium_with_contents_verdicts_and_figures(report):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    _, out, verdicts = report
    claims = [(r["name"], c) for r in verdicts["lessons"] for c in r["claims"]]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            # The contents list links every claim, in every lesson.
            for name, claim in claims:
                assert page.locator(f'nav a[href="#{name}-{claim["id"]}"]').count() == 1, (name, claim["id"])
            # One block per claim, each with exactly one verdict in its heading, matching verdicts.json.
            for name, claim in claims:
                heading = page.locator(f'[id="{name}-{claim["id"]}"] h3 .verdict')
                assert heading.count() == 1 and heading.inner_text() == claim["verdict"], (name, claim["id"])
            assert page.locator(".claim").count() == len(claims)
            # Every figure loads (decoded, non-empty).
            images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.complete && e.naturalWidth > 0])")
            expected = {f"{name}/{f}" for name, c in claims for f in c["figures"]}
            assert {src for src, _ in images} == expected
            assert all(loaded for _, loaded in images), [src for src, loaded in images if not loaded]
            page.screenshot(path=str(out / "report.png"), full_page=False)
        finally:
            browser.close()
