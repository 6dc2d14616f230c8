"""Run records: folder layout, metrics.jsonl, summary.json."""

from __future__ import annotations

import json

import pytest

from neuralab.train import RunRecord


def test_create_makes_a_unique_folder_with_the_layout(tmp_path):
    first = RunRecord.create(tmp_path, "mnist-mlp", config={"lr": 0.1, "epochs": 3})
    second = RunRecord.create(tmp_path, "mnist-mlp")
    assert first.path != second.path  # same second, still distinct
    assert first.path.name.startswith("mnist-mlp-") and first.recipe == "mnist-mlp"
    assert (first.path / "checkpoints").is_dir() and (first.path / "figures").is_dir()
    assert json.loads((first.path / "config.json").read_text()) == {"lr": 0.1, "epochs": 3}
    assert RunRecord.open(second.path).recipe == "mnist-mlp"
    assert first.figure_path("curves") == first.path / "figures" / "curves.png"
    with pytest.raises(FileNotFoundError, match="no run folder"):
        RunRecord.open(tmp_path / "missing")
    with pytest.raises(TypeError, match="plain JSON"):
        first.write_config({"bad": object()})


def test_metrics_lines_and_truncation_on_resume(tmp_path):
    run = RunRecord.create(tmp_path, "r")
    for epoch in (1, 2, 3, 4):
        run.log_epoch(epoch, "train", loss=1.0 / epoch, accuracy=None, lr=0.1, time_s=0.5)
    run.log(epoch=4, split="test", loss=float("nan"), accuracy=0.5, lr=None, time_s=0.1)
    lines = (run.path / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 5 and json.loads(lines[-1])["loss"] is None  # strict JSON: NaN -> null
    assert set(json.loads(lines[0])) == {"epoch", "split", "loss", "accuracy", "lr", "time_s"}
    reopened = RunRecord.open(run.path)
    reopened.truncate_metrics(2)
    assert [m["epoch"] for m in RunRecord.open(run.path).read_metrics()] == [1, 2]


def test_update_summary_merges_fields_and_metrics(tmp_path):
    run = RunRecord.create(tmp_path, "r")
    run.update_summary(metrics={"val_loss": 0.3}, engine="torch", epochs=2)
    summary = run.update_summary(metrics={"test_accuracy": 0.9}, wall_time_s=1.5)
    assert summary == json.loads(run.summary_path.read_text())
    assert summary["recipe"] == "r" and summary["engine"] == "torch" and summary["wall_time_s"] == 1.5
    assert summary["metrics"] == {"val_loss": 0.3, "test_accuracy": 0.9}
