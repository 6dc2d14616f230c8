"""Catalogue: the environment's faults. Read-only and unwritable folders, a full disk during a
checkpoint write, SIGTERM and SIGINT mid-epoch, two runs into one --out in the same second, two
fetches of one dataset at once. Nothing written before is lost, and what stopped can resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from faults import TINY, StopAt, assert_refused, neuralab, only_run, tree_hashes, with_callback
from neuralab import cli, data
from neuralab.train import Callback, load_checkpoint

REAL_MNIST = Path.home() / ".cache" / "neuralab" / "mnist"


def last_epoch(run: Path) -> int:
    return load_checkpoint(run / "checkpoints" / "last")["epoch"]


def same_weights(run: Path, other: Path) -> None:
    ours, theirs = load_checkpoint(run / "checkpoints" / "last"), load_checkpoint(other / "checkpoints" / "last")
    assert ours["model"].keys() == theirs["model"].keys()
    for name in theirs["model"]:
        assert (ours["model"][name] == theirs["model"][name]).all(), name


# ------------------------------------------------------------------ folders that cannot be written


def test_training_from_a_read_only_data_cache_works(tmp_path, monkeypatch, read_only, capsys):
    """The cache is only read when it verifies: iris comes from scikit-learn, patterns are generated,
    so a real cached set is needed: a copy of the Shakespeare corpus, then mounted read-only."""
    source = Path.home() / ".cache" / "neuralab" / "shakespeare"
    if not (source / "manifest.json").exists():
        pytest.skip("needs the cached Shakespeare corpus (neuralab data fetch shakespeare)")
    cache = tmp_path / "cache"
    shutil.copytree(source, cache / "shakespeare")
    before = tree_hashes(cache)
    read_only(cache)
    monkeypatch.setenv("NEURALAB_DATA", str(cache))
    lm = ["lm.context=8", "lm.steps_per_epoch=4", "schedule.pct_start=0.5", "lm.eval_tokens=64", "lm.final_eval_tokens=64", "lm.sample_tokens=4",
          "model.embed=4", "model.hidden=8", "model.layers=1", "train.batch_size=4", "threads=1"]
    code, _, err = neuralab(["train", "shakespeare-rnn", "--epochs", "1", "--quiet", "--out", tmp_path / "runs",
                             *[a for kv in lm for a in ("--set", kv)]], capsys)
    assert code == 0, err
    assert tree_hashes(cache) == before


def test_fetch_into_a_read_only_data_cache_is_refused(tmp_path, monkeypatch, read_only, capsys):
    if not (REAL_MNIST / "manifest.json").exists():
        pytest.skip("needs the cached MNIST files as a source folder")
    cache = tmp_path / "cache"
    cache.mkdir()
    read_only(cache)
    monkeypatch.setenv("NEURALAB_DATA", str(cache))
    code, _, err = neuralab(["data", "fetch", "mnist", "--source-dir", REAL_MNIST], capsys)
    assert_refused(code, err, "cannot use", "Read-only file system", "choose a writable folder")
    assert not any(cache.iterdir())


def test_an_unwritable_runs_folder_is_refused(tmp_path, read_only, capsys):
    runs = tmp_path / "runs"
    runs.mkdir()
    read_only(runs)
    code, _, err = neuralab(["train", *TINY, "--out", runs], capsys)
    assert_refused(code, err, "cannot use", str(runs), "Read-only file system", "--out DIR")
    assert not any(runs.iterdir())


class FillDisk(Callback):
    """At the end of epoch ``epoch``, before the checkpoint is written (order < ModelCheckpoint's 100),
    fill the disk to its last byte and remember the hashes of the checkpoint written so far."""

    order = 50

    def __init__(self, epoch: int, folder: Path):
        self.epoch, self.folder, self.kept = epoch, folder, None

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch != self.epoch:
            return
        self.kept = tree_hashes(trainer.run.checkpoints_dir)
        fd = os.open(self.folder / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            for size in (65536, 4096, 1):
                try:
                    while os.write(fd, b"\0" * size):
                        pass
                except OSError:  # ENOSPC: try the next smaller size until not one byte fits
                    continue
        finally:
            os.close(fd)


def test_a_full_disk_during_a_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, small_disk, monkeypatch, capsys):
    disk = small_disk(512)
    filler = FillDisk(epoch=2, folder=disk)
    with_callback(monkeypatch, filler)
    code, _, err = neuralab(["train", *TINY, "--out", disk / "runs"], capsys)
    monkeypatch.undo()
    assert_refused(code, err, "No space left on device", "the disk is full", "previous checkpoint")
    run = only_run(disk / "runs")
    assert filler.kept and tree_hashes(run / "checkpoints") == filler.kept  # epoch 1's pair, byte for byte
    assert last_epoch(run) == 1
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]  # no temporary left behind
    (disk / "filler").unlink()  # space again: the run resumes from epoch 1 to the uninterrupted result
    code, _, err = neuralab(["train", "--resume", run, "--quiet"], capsys)
    assert code == 0, err
    assert neuralab(["train", *TINY, "--out", tmp_path / "whole"], capsys)[0] == 0
    same_weights(run, only_run(tmp_path / "whole"))


# ------------------------------------------------------------------ signals


@pytest.mark.parametrize("name, status", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_mid_epoch_stops_gracefully_and_resumes_exactly(name, status, tmp_path, monkeypatch, capsys):
    number = getattr(signal, name)
    with_callback(monkeypatch, StopAt(epoch=2, batch=3, action=lambda: os.kill(os.getpid(), number)))
    code, _, err = neuralab(["train", *TINY, "--out", tmp_path / "parts"], capsys)
    monkeypatch.undo()
    run = only_run(tmp_path / "parts")
    assert_refused(code, err, f"interrupted by {name}", f"neuralab train --resume {run}", status=status)
    assert json.loads((run / "summary.json").read_text())["status"] == "interrupted"
    assert last_epoch(run) == 1
    code, _, err = neuralab(["train", "--resume", run, "--quiet"], capsys)
    assert code == 0, err
    assert neuralab(["train", *TINY, "--out", tmp_path / "whole"], capsys)[0] == 0
    whole = only_run(tmp_path / "whole")
    same_weights(run, whole)
    metrics = {k: v for k, v in json.loads((whole / "summary.json").read_text())["metrics"].items() if "time" not in k}
    assert {k: json.loads((run / "summary.json").read_text())["metrics"][k] for k in metrics} == metrics


# ------------------------------------------------------------------ at the same time


def test_two_runs_into_one_out_folder_in_the_same_second_get_two_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda fmt, *rest: "20261202-040000")  # both start "in the same second"
    codes = []
    threads = [threading.Thread(target=lambda: codes.append(cli.main(["train", *TINY, "--out", str(tmp_path)])))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0, 0]
    folders = sorted(p.name for p in tmp_path.iterdir())
    assert folders == ["xor-mlp-20261202-040000", "xor-mlp-20261202-040000-2"]
    for folder in folders:
        summary = json.loads((tmp_path / folder / "summary.json").read_text())
        assert summary["status"] == "completed" and summary["run_dir"].endswith(folder)
        lines = (tmp_path / folder / "metrics.jsonl").read_text().splitlines()
        assert [json.loads(line)["epoch"] for line in lines if '"train"' in line] == [1, 2, 3]  # one writer each


def test_two_fetches_at_once_write_the_cache_once(tmp_path, monkeypatch):
    if not (REAL_MNIST / "manifest.json").exists():
        pytest.skip("needs the cached MNIST files as a source folder")
    monkeypatch.setenv("NEURALAB_DATA", str(tmp_path / "cache"))
    writes, store = [], data.cache.write_dataset

    def counted(*args, **kwargs):
        writes.append(args[0])
        time.sleep(0.3)  # widen the window in which a second fetch without the lock would also write
        return store(*args, **kwargs)

    monkeypatch.setattr(data.cache, "write_dataset", counted)
    results, errors = [], []

    def fetch():
        try:
            results.append(data.fetch("mnist", source_dir=str(REAL_MNIST)).action)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(results) == ["already cached", "cached"] and writes == ["mnist"]
    (row,) = data.cached()
    assert row.verified and row.problem is None
    cached = tree_hashes(tmp_path / "cache" / "mnist")
    assert cached.pop("manifest.json") and cached == {k: v for k, v in tree_hashes(REAL_MNIST).items() if k != "manifest.json"}
