"""``neuralab.runs_index``: cards of real, running, killed, corrupt and old run folders; paths
kept inside the runs root; curves, config diffs and the metrics tail."""

from __future__ import annotations

import json
import os

import pytest

from neuralab import runs_index
from neuralab.train import RunRecord


def finished_run(root, name="digits-mlp", *, met=True, epochs=3, lr=0.01):
    record = RunRecord.create(root, name=name, config={"recipe": name, "task": "classify", "engine": "scratch",
                                                      "optimizer": {"lr": lr}, "train": {"epochs": epochs}})
    for epoch in range(1, epochs + 1):
        record.log_epoch(epoch, "train", 1.0 / epoch, 0.5 + 0.1 * epoch, lr, 0.1)
        record.log_epoch(epoch, "val", 1.2 / epoch, 0.4 + 0.1 * epoch, lr, 0.1)
    record.update_summary(metrics={"test_accuracy": 0.91, "test_loss": 0.3}, engine="scratch", status="completed",
                          epochs=epochs, epochs_planned=epochs,
                          targets={"test_accuracy": {"target": 0.9, "measured": 0.91, "met": met, "op": ">="}})
    return record


def age(folder, seconds):
    """Make every file of a run look ``seconds`` old."""
    for path in [folder, *folder.rglob("*")]:
        stamp = path.stat().st_mtime - seconds
        os.utime(path, (stamp, stamp))


def test_a_finished_run_is_a_full_card(tmp_path):
    record = finished_run(tmp_path)
    (card,) = runs_index.scan(tmp_path)
    assert card["name"] == record.path.name and card["recipe"] == "digits-mlp" and card["engine"] == "scratch"
    assert card["status"] == "completed" and card["targets_met"] is True and card["error"] is None
    assert card["metrics"]["test_accuracy"] == 0.91 and card["metrics"]["val_loss"] == pytest.approx(0.4)
    assert (card["epoch"], card["epochs"]) == (3, 3)
    assert card["started"].startswith(record.path.name.split("-")[2][:4])


def test_status_running_then_interrupted_when_silent(tmp_path):
    record = RunRecord.create(tmp_path, name="iris-mlp", config={"recipe": "iris-mlp", "task": "classify"})
    record.log_epoch(1, "train", 0.9, 0.6, 0.01, 0.1)
    (card,) = runs_index.scan(tmp_path)
    assert card["status"] == "running" and card["metrics"] == {"train_loss": 0.9}
    age(record.path, runs_index.STALE_S + 5)
    assert runs_index.scan(tmp_path)[0]["status"] == "interrupted"
    assert runs_index.scan(tmp_path, active=[record.path.name])[0]["status"] == "running"


def test_a_resumed_run_is_running_until_its_new_summary(tmp_path):
    record = finished_run(tmp_path)
    record.update_summary(status="interrupted")
    age(record.path, 10)
    record.log_epoch(4, "train", 0.2, 0.9, 0.01, 0.1)  # the resumed child writes on
    assert runs_index.scan(tmp_path)[0]["status"] == "running"


def test_missed_target_and_failure_message(tmp_path):
    record = finished_run(tmp_path, met=False)
    record.update_summary(status="failed", message="RuntimeError: out of memory")
    (card,) = runs_index.scan(tmp_path)
    assert card["targets_met"] is False and card["status"] == "failed" and "out of memory" in card["message"]


@pytest.mark.parametrize("damage, expected", [
    (lambda f: (f / "config.json").write_text('{"recipe": "x", '), "config.json is not valid JSON"),
    (lambda f: (f / "config.json").unlink(), "config.json is missing"),
    (lambda f: (f / "config.json").write_text('{"model": {}}'), "older neuralab"),
    (lambda f: (f / "metrics.jsonl").write_text('{"epoch": 1, "split": "train"}\n{"epoch": 2, "spl'), "metrics.jsonl line 2"),
    (lambda f: (f / "summary.json").write_text("[1, 2]"), "summary.json is not an object"),
])
def test_a_damaged_folder_gets_an_error_card_and_the_others_stay(tmp_path, damage, expected):
    good = finished_run(tmp_path, name="good")
    bad = finished_run(tmp_path, name="bad")
    damage(bad.path)
    cards = {c["name"]: c for c in runs_index.scan(tmp_path)}
    assert expected in cards[bad.path.name]["error"]
    assert cards[good.path.name]["error"] is None and cards[good.path.name]["status"] == "completed"
    runs_index.detail(tmp_path, bad.path.name)  # the run page reads it too, without raising


def test_folders_that_are_not_runs_are_skipped(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / ".lab").mkdir()
    (tmp_path / "file.txt").write_text("x")
    assert runs_index.scan(tmp_path) == [] and runs_index.scan(tmp_path / "absent") == []


def test_paths_stay_inside_the_root(tmp_path):
    root = tmp_path / "runs"
    record = finished_run(root)
    (tmp_path / "secret.json").write_text("{}")
    os.symlink(tmp_path / "secret.json", record.path / "figures" / "link.png")
    assert runs_index.inside(root, record.path.name, "summary.json") == (record.path / "summary.json").resolve()
    for parts in [("..", "secret.json"), (record.path.name, "..", "..", "secret.json"), ("/etc/passwd",),
                  (record.path.name, "figures", "link.png"), ("",), ("a\x00b",)]:
        with pytest.raises(runs_index.RunsError, match="refused"):
            runs_index.inside(root, *parts)
    for name in ["..", "../runs", "a/b", "."]:
        with pytest.raises(runs_index.RunsError, match="refused"):
            runs_index.run_folder(root, name)
    with pytest.raises(runs_index.RunsError, match="no run"):
        runs_index.run_folder(root, "absent-run")


def test_series_and_detail(tmp_path):
    record = finished_run(tmp_path, epochs=2)
    detail = runs_index.detail(tmp_path, record.path.name)
    assert detail["curves"]["train_loss"] == [[1, 1.0], [2, 0.5]]
    assert [p[0] for p in detail["curves"]["val_accuracy"]] == [1, 2] and len(detail["curves"]["lr"]) == 2
    assert "val_lr" not in detail["curves"] and detail["rows"] == 4
    assert detail["config"]["recipe"] == "digits-mlp" and detail["summary"]["status"] == "completed"


def test_diff_configs_names_only_what_differs(tmp_path):
    a = {"seed": 0, "optimizer": {"lr": 0.1, "name": "adam"}, "model": {"sizes": [4, 3]}}
    b = {"seed": 0, "optimizer": {"lr": 0.3, "name": "adam"}, "model": {"sizes": [4, 8, 3]}, "extra": 1}
    diff = runs_index.diff_configs({"a": a, "b": b})
    assert diff == {"extra": {"a": None, "b": 1}, "model.sizes": {"a": [4, 3], "b": [4, 8, 3]},
                    "optimizer.lr": {"a": 0.1, "b": 0.3}}


def test_metrics_tail_sends_new_rows_and_resets_on_truncation(tmp_path):
    record = finished_run(tmp_path, epochs=2)
    tail = runs_index.MetricsTail(record.path)
    reset, rows = tail.poll()
    assert not reset and len(rows) == 4
    assert tail.poll() is None
    record.log_epoch(3, "train", 0.3, 0.9, 0.01, 0.1)
    reset, rows = tail.poll()
    assert not reset and rows == [json.loads(record.metrics_path.read_text().splitlines()[-1])]
    record.truncate_metrics(1)  # a resume from epoch 1's checkpoint
    reset, rows = tail.poll()
    assert reset and [r["epoch"] for r in rows] == [1, 1]
