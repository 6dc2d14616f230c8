"""The runs dashboard, a run's page, the overlay and the lessons page in Debian's chromium.

One server for the module, on a fresh runs folder. The trainings are real ``digits-mlp`` runs
on the scratch engine (seconds each): one started from a terminal (a plain subprocess), one
started, stopped and resumed from the page, whose summary must equal an uninterrupted run's.
Every page's screenshot lands in the session's ``lab-screenshots`` folder.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab_helpers import TOKEN
from neuralab import lessons, recipes
from neuralab.lab.server import LabServer
from test_lab_browser import browser, page  # noqa: F401 - the shared chromium fixtures

TIMEOUT_MS = 120_000  # two shared cores: a child's start-up (imports) alone can take 15 s
# digits-mlp on scratch trains an epoch in about 20 ms on an idle core: enough epochs that
# the page sees each run while it trains, also on a fast machine (40 epochs ended in 0.4 s).
TERMINAL_EPOCHS, LAB_EPOCHS, LAB_SEED = 400, 300, 3


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs-lab")
    root = folder / "runs"
    corrupt = root / "digits-mlp-20000101-000000"
    corrupt.mkdir(parents=True)
    (corrupt / "config.json").write_text('{"recipe": "digits-mlp", "task": ')  # a half-written file
    os.utime(corrupt / "config.json", (946684800, 946684800))
    os.utime(corrupt, (946684800, 946684800))
    server = LabServer("127.0.0.1", 0, token=TOKEN, quiet=True, runs_dir=str(root),
                       lessons_dir=str(folder / "lessons")).start()
    server.root = root
    yield server
    server.stop()


def goto(page, lab, path):
    page.goto(f"{lab.base_url}{path}{'&' if '?' in path else '?'}token={TOKEN}")


def epoch_on_page(page) -> int:
    return int(page.evaluate("() => Number(document.body.dataset.lastEpoch || 0)"))


def test_a_terminal_run_appears_and_its_curve_grows(page, lab, screenshots):
    child = subprocess.Popen([sys.executable, "-m", "neuralab", "train", "digits-mlp", "--engine", "scratch",
                              "--epochs", str(TERMINAL_EPOCHS), "--out", str(lab.root), "--quiet"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        goto(page, lab, "/runs")
        row = page.locator("[data-testid=run-row]", has_text="scratch").filter(has_text="running")
        row.wait_for(timeout=TIMEOUT_MS)
        bad = page.locator("[data-testid=run-row]", has_text="digits-mlp-20000101-000000")
        assert "not valid JSON" in bad.get_by_test_id("card-error").inner_text()
        page.screenshot(path=str(screenshots / "runs-live.png"), full_page=True)
        row.get_by_role("link").click()
        page.wait_for_function("() => Number(document.body.dataset.lastEpoch || 0) >= 1", timeout=TIMEOUT_MS)
        first = epoch_on_page(page)
        assert first < TERMINAL_EPOCHS, "the run ended before the page saw it grow: too few epochs for this machine"
        page.wait_for_function(f"() => Number(document.body.dataset.lastEpoch) > {first}", timeout=TIMEOUT_MS)
        assert page.get_by_test_id("run-status").inner_text() == "running"
        page.screenshot(path=str(screenshots / "run-growing.png"), full_page=True)
        assert child.wait(timeout=TIMEOUT_MS / 1000) == 0, child.stderr.read().decode()[-2000:]
        page.wait_for_function("() => document.body.dataset.status === 'completed'", timeout=30_000)
        page.get_by_test_id("figure").first.wait_for(timeout=30_000)
        assert epoch_on_page(page) == TERMINAL_EPOCHS
        page.screenshot(path=str(screenshots / "run-completed.png"), full_page=True)
    finally:
        child.kill()
        child.wait()


def test_a_lab_run_stops_and_resumes_to_the_uninterrupted_summary(page, lab, screenshots, tmp_path):
    goto(page, lab, "/runs")
    page.get_by_test_id("start-recipe").select_option("digits-mlp")
    page.get_by_test_id("start-engine").select_option("scratch")
    page.get_by_test_id("start-epochs").fill(str(LAB_EPOCHS))
    page.get_by_test_id("start-seed").fill(str(LAB_SEED))
    page.get_by_test_id("start-overrides").fill("model.dropot=0.1")
    page.get_by_test_id("start").click()
    page.get_by_test_id("error").filter(has_text="model.dropout").wait_for(timeout=TIMEOUT_MS)
    assert "did you mean 'model.dropout'" in page.get_by_test_id("error").inner_text()
    page.get_by_test_id("start-overrides").fill("")
    page.get_by_test_id("start").click()
    link = page.get_by_test_id("job-row").first.get_by_role("link")
    link.wait_for(timeout=TIMEOUT_MS)
    run = link.inner_text()
    link.click()
    page.wait_for_function("() => Number(document.body.dataset.lastEpoch || 0) >= 2", timeout=TIMEOUT_MS)
    page.get_by_test_id("stop").click()
    page.wait_for_function("() => document.body.dataset.status === 'interrupted'", timeout=TIMEOUT_MS)
    stopped_at = epoch_on_page(page)
    assert stopped_at < LAB_EPOCHS
    page.screenshot(path=str(screenshots / "run-stopped.png"), full_page=True)
    page.get_by_test_id("resume").click()
    page.wait_for_function("() => document.body.dataset.status === 'completed'", timeout=TIMEOUT_MS)
    resumed = json.loads((lab.root / run / "summary.json").read_text())
    config = recipes.resolve("digits-mlp", engine="scratch", epochs=LAB_EPOCHS, seed=LAB_SEED)
    straight = recipes.run(config, runs_root=tmp_path, progress=False)
    assert resumed["epochs"] == straight["epochs"] == LAB_EPOCHS
    assert resumed["metrics"] == straight["metrics"], f"stopped at epoch {stopped_at}"
    assert resumed["targets"] == straight["targets"]
    page.screenshot(path=str(screenshots / "run-resumed.png"), full_page=True)


def test_two_runs_overlay_and_their_configs_diff(page, lab, screenshots):
    goto(page, lab, "/runs")
    rows = page.locator("[data-testid=run-row]").filter(has_text="completed")
    rows.nth(1).wait_for(timeout=30_000)
    rows.nth(0).get_by_test_id("select-run").check()
    rows.nth(1).get_by_test_id("select-run").check()
    page.get_by_test_id("status-filter").select_option("completed")
    page.screenshot(path=str(screenshots / "runs.png"), full_page=True)
    page.get_by_test_id("compare").click()
    page.wait_for_function("() => document.body.dataset.overlaid === '2'", timeout=30_000)
    keys = page.locator("[data-testid=diff-row] td:first-child").all_inner_texts()
    assert "seed" in keys and "train.epochs" in keys
    page.screenshot(path=str(screenshots / "compare.png"), full_page=True)


def test_refusals_traversal_and_no_token(lab, browser):  # noqa: F811
    run = next(p.name for p in lab.root.iterdir() if (p / "summary.json").exists())
    for path, headers, status in [(f"/api/runs/{run}/files/../../../../etc/passwd", {"X-Neuralab-Token": TOKEN}, 400),
                                  (f"/api/runs/{run}/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd", {"X-Neuralab-Token": TOKEN}, 400),
                                  ("/api/runs", {}, 403), (f"/api/runs/{run}/files/summary.json", {}, 403)]:
        connection = http.client.HTTPConnection("127.0.0.1", lab.port, timeout=10)
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        assert response.status == status, (path, response.read())
        assert b"root:" not in response.read()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{lab.base_url}/runs")  # no ?token=: the page loads, its data does not
        page.get_by_test_id("error").wait_for(timeout=10_000)
        assert "token" in page.get_by_test_id("error").inner_text()
    finally:
        context.close()


def test_the_lessons_page_runs_a_lesson_live(page, lab, screenshots):
    goto(page, lab, "/lessons")
    page.wait_for_function("() => document.body.dataset.loaded === 'true'", timeout=30_000)
    assert page.get_by_test_id("lesson-row").count() == len(lessons.names())
    name = min(lessons.names(), key=lambda n: lessons.about(n)["seconds"])
    page.locator(f"[data-testid=lesson-row][data-name={name}]").get_by_test_id("run-lesson").click()
    page.get_by_test_id("verdict-row").first.wait_for(timeout=TIMEOUT_MS)
    assert page.get_by_test_id("verdict-row").count() == len(lessons.about(name)["claims"])
    assert page.get_by_test_id("lesson-state").inner_text() == "completed"
    page.screenshot(path=str(screenshots / "lessons.png"), full_page=True)


# Mouse strokes on the 280x280 canvas (canvas pixels), one list of points per stroke.
DIGIT_STROKES = {"1": [[(140, 50), (145, 230)]], "7": [[(80, 60), (200, 60), (120, 230)]],
                 "0": [[(140, 50), (90, 90), (85, 170), (140, 230), (195, 170), (190, 90), (140, 50)]],
                 "4": [[(110, 50), (90, 150), (200, 150)], [(170, 80), (170, 240)]]}
# Small and quick: one epoch of a 784-64-10 MLP on torch reaches about 94% on MNIST's test set
MNIST_RUN = dict(engine="torch", epochs=1, overrides=["model.sizes=[784,64,10]", "data.augment.shift=0"])


def draw(page, strokes):
    box = page.get_by_test_id("canvas").bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        page.mouse.up()


def test_a_drawn_digit_is_classified_by_a_trained_run(page, lab, screenshots):
    summary = recipes.run(recipes.resolve("mnist-mlp", **MNIST_RUN), runs_root=lab.root, progress=False)
    assert summary["metrics"]["test_accuracy"] > 0.9
    goto(page, lab, "/digits")
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=30_000)
    assert Path(summary["run_dir"]).name in page.get_by_test_id("model-run").inner_text()
    for digit, strokes in DIGIT_STROKES.items():
        page.get_by_test_id("clear").click()
        answers = int(page.evaluate("() => Number(document.body.dataset.answers || 0)"))
        draw(page, strokes)
        # the answer to the whole drawing: none in flight after the mouse is up
        page.wait_for_function(f"() => Number(document.body.dataset.answers || 0) > {answers} "
                               "&& document.body.dataset.busy === 'false'", timeout=TIMEOUT_MS)
        assert page.get_by_test_id("top-class").inner_text() == digit, f"drew {digit}"
        if digit == "4":
            page.screenshot(path=str(screenshots / "digits.png"), full_page=True)
    assert page.locator("[data-testid=maps] canvas").count() > 0
    page.get_by_test_id("clear").click()
