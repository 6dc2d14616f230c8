"""TensorBoard events of real runs, read back with TensorBoard's own reader, and `neuralab board` (issue #18 item 1).

Tiny iris-mlp runs on both engines; the reader is
``tensorboard.backend.event_processing.event_accumulator.EventAccumulator`` (a missing
``tensorboard`` package fails these tests, never skips them).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata

from neuralab import board, engines, models, recipes
from neuralab.cli import main
from neuralab.recipes.common import load_splits
from neuralab.train import RunRecord, Trainer
from neuralab.train import tensorboard as board_events
from neuralab.train.callbacks import Callback


def read_events(folder: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def scalar_series(events: EventAccumulator, tag: str) -> list[tuple[int, float]]:
    return [(event.step, event.value) for event in events.Scalars(tag)]


def train_iris(root: Path, engine: str, *overrides: str) -> Path:
    config = recipes.resolve("iris-mlp", engine=engine, epochs=3, overrides=["threads=1", *overrides])
    summary = recipes.run(config, runs_root=root, progress=False)
    return Path(summary["run_dir"])


@pytest.mark.parametrize("engine, histograms", [("torch", True), ("scratch", False)])
def test_a_runs_events_hold_its_history_steps_figures_metrics_and_hparams(tmp_path, engine, histograms):
    run = train_iris(tmp_path, engine, f"log.histograms={'true' if histograms else 'false'}")
    events = read_events(run / "tensorboard")
    record = RunRecord.open(run)
    summary, config = record.read_summary(), record.read_config()
    history_rows = [row for row in record.read_metrics() if row.get("split") == "val" and row.get("epoch")]
    tags = events.Tags()

    # per step: one train loss for each optimizer step, on steps 1..N
    steps_per_epoch = -(-len(load_splits(config).train) // config["train"]["batch_size"])
    step_losses = scalar_series(events, "step/train_loss")
    assert [step for step, _ in step_losses] == list(range(1, 3 * steps_per_epoch + 1))
    assert all(np.isfinite(value) for _, value in step_losses)

    # per epoch: every History key, at the step that ends the epoch, equal to metrics.jsonl
    for key in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "epoch_time_s"):
        assert f"epoch/{key}" in tags["scalars"], key
    val_loss = scalar_series(events, "epoch/val_loss")
    assert [step for step, _ in val_loss] == [steps_per_epoch * e for e in (1, 2, 3)]
    assert np.allclose([v for _, v in val_loss], [row["loss"] for row in history_rows], rtol=1e-6)
    assert [v for _, v in scalar_series(events, "epoch/epoch")] == [1.0, 2.0, 3.0]

    # the run's figures, byte for byte, and the final metrics of summary.json
    figures = sorted(path.stem for path in record.figures_dir.glob("*.png"))
    assert figures and sorted(tag.split("/", 1)[1] for tag in tags["images"]) == figures
    curves = events.Images("figures/curves")[0]
    assert curves.encoded_image_string == (record.figures_dir / "curves.png").read_bytes()
    assert scalar_series(events, "final/test_accuracy")[0][1] == pytest.approx(summary["metrics"]["test_accuracy"])

    # hyperparameters: the flattened config, for the HPARAMS tab
    start = events.Tensors(hparams_metadata.SESSION_START_INFO_TAG)
    assert len(start) == 1
    plugin = events.SummaryMetadata(hparams_metadata.SESSION_START_INFO_TAG).plugin_data.content
    info = hparams_metadata.parse_session_start_info_plugin_data(plugin)
    assert info.hparams["optimizer.lr"].number_value == pytest.approx(config["optimizer"]["lr"])
    assert info.hparams["engine"].string_value == engine

    # weights: one histogram per parameter per epoch, only when asked for
    if histograms:
        parameters = {"1.weight": 4 * 10, "1.bias": 10, "3.weight": 10 * 3, "3.bias": 3}
        assert sorted(tags["histograms"]) == sorted(f"weights/{name}" for name in parameters)
        for name, count in parameters.items():
            series = events.Histograms(f"weights/{name}")
            assert [event.step for event in series] == [steps_per_epoch * e for e in (1, 2, 3)]
            assert all(event.histogram_value.num == count for event in series)
            assert sum(series[-1].histogram_value.bucket) == count
    else:
        assert tags["histograms"] == []


class InterruptAt(Callback):
    """Ctrl-C after optimizer step ``step`` (mid-epoch), as a user would."""

    def __init__(self, step: int):
        self.step = step

    def on_batch_end(self, trainer, step, logs):
        if step == self.step:
            raise KeyboardInterrupt


def fit_mlp(run: RunRecord, *, epochs: int, resume: bool, extra: tuple = ()) -> board_events.TensorBoardLogger:
    T = engines.get("scratch")
    T.manual_seed(0)
    model = models.build("mlp", T, sizes=[2, 8, 2])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    logger = board_events.TensorBoardLogger(run.path / "tensorboard", figures=run.figures_dir)
    trainer = Trainer(model, T.optim.SGD(model.parameters(), lr=0.1), T.nn.functional.cross_entropy, engine=T,
                      callbacks=[logger, *extra], progress=False, run=run, seed=0)
    try:
        trainer.fit((x, y), (x, y), epochs=epochs, batch_size=16, resume=True if resume else None)
    finally:
        logger.close()  # what the exit of an interrupted process does (the writer's finalizer)
    return logger


def test_a_resumed_run_continues_its_steps_without_repeating_events(tmp_path):
    """Killed in epoch 3 (after its first steps were logged), resumed from epoch 2's checkpoint:
    TensorBoard shows every step once, with the values an uninterrupted run logs."""
    interrupted = RunRecord.create(tmp_path / "a", name="mlp")
    with pytest.raises(KeyboardInterrupt):
        fit_mlp(interrupted, epochs=4, resume=False, extra=(InterruptAt(step=10),))  # 4 steps per epoch
    fit_mlp(interrupted, epochs=4, resume=True)
    straight = RunRecord.create(tmp_path / "b", name="mlp")
    fit_mlp(straight, epochs=4, resume=False)

    resumed, reference = read_events(interrupted.path / "tensorboard"), read_events(straight.path / "tensorboard")
    assert len(list((interrupted.path / "tensorboard").glob("events.out.tfevents.*"))) == 2  # one file per session
    for tag in ("step/train_loss", "epoch/train_loss", "epoch/val_loss", "epoch/epoch"):
        got, want = scalar_series(resumed, tag), scalar_series(reference, tag)
        assert [step for step, _ in got] == [step for step, _ in want], tag  # no step twice, none missing
        assert np.allclose([v for _, v in got], [v for _, v in want], rtol=1e-6), tag
    assert [step for step, _ in scalar_series(resumed, "step/train_loss")] == list(range(1, 17))


def test_without_the_tensorboard_package_runs_train_and_say_so_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboard.summary.writer.record_writer", None)  # import fails
    monkeypatch.setattr(board_events, "_said_off", False)
    run = train_iris(tmp_path, "scratch")
    train_iris(tmp_path, "scratch")
    err = capsys.readouterr().err
    assert err.count("TensorBoard logs are off") == 1
    assert "pip install 'neuralab[tensorboard]'" in err
    assert json.loads((run / "summary.json").read_text())["status"] == "completed"
    assert not (run / "tensorboard").exists()


def test_only_rank_0_and_runs_that_want_them_write_events(tmp_path, monkeypatch):
    record = RunRecord.create(tmp_path, name="x")
    on = {"tensorboard": True, "histograms": False}
    assert board_events.logger_for(record, on, {}) is not None
    assert board_events.logger_for(record, {**on, "tensorboard": False}, {}) is None
    monkeypatch.setenv("RANK", "1")
    assert board_events.logger_for(record, on, {}) is None


def test_log_settings_must_be_booleans():
    with pytest.raises(ValueError, match="log.histograms must be true or false; got 'yes'"):
        recipes.resolve("iris-mlp", overrides=["log.histograms=yes"])
    with pytest.raises(KeyError, match="unknown config key 'log.histogram'"):
        recipes.resolve("iris-mlp", overrides=["log.histogram=true"])


# ---------------------------------------------------------------------- neuralab board


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_board_serves_a_runs_scalars_over_http_until_ctrl_c(tmp_path):
    """The real TensorBoard, started by `neuralab board` on a runs folder, answers its HTTP API
    with the steps the run logged; Ctrl-C stops it and frees the port."""
    run = RunRecord.create(tmp_path, name="mlp")
    fit_mlp(run, epochs=2, resume=False)
    logged = scalar_series(read_events(run.path / "tensorboard"), "step/train_loss")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "neuralab", "board", str(tmp_path), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    served = board.Board(process, f"http://127.0.0.1:{port}/")
    try:
        served.wait_ready(timeout=120)
        deadline, tags = time.monotonic() + 60, {}
        while not tags and time.monotonic() < deadline:  # TensorBoard reads the folder in the background
            tags = served.get_json("data/plugin/scalars/tags")
            time.sleep(0.5)
        assert list(tags) == [f"{run.path.name}/tensorboard"]
        assert {"step/train_loss", "epoch/val_loss"} <= set(tags[f"{run.path.name}/tensorboard"])
        query = urllib.parse.urlencode({"run": f"{run.path.name}/tensorboard", "tag": "step/train_loss"})
        points = served.get_json(f"data/plugin/scalars/scalars?{query}")  # [[wall time, step, value], ...]
        assert [step for _, step, _ in points] == [step for step, _ in logged]
        assert np.allclose([value for _, _, value in points], [value for _, value in logged])
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, out
    assert f"TensorBoard at http://127.0.0.1:{port}/ on {tmp_path}: 1 run(s) with TensorBoard events" in out
    with pytest.raises(urllib.error.URLError):  # TensorBoard went with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)


def test_board_refuses_a_missing_folder_and_a_missing_package_clearly(tmp_path, capsys, monkeypatch):
    assert main(["board", str(tmp_path / "nowhere")]) == 2
    assert f"no runs folder at {tmp_path / 'nowhere'}" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    assert main(["board", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "needs the Python package 'tensorboard'" in err and "pip install 'neuralab[tensorboard]'" in err
    assert "Traceback" not in err
