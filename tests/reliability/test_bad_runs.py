"""Catalogue: damaged or foreign checkpoints, and `--resume` of what cannot be resumed. Each is
refused in one line and leaves every file of the run as it was (SHA-256 before and after)."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from faults import assert_refused, edit_json, neuralab, only_run, tree_hashes
from neuralab.train import load_checkpoint


def truncate_tensors(run: Path) -> None:
    path = run / "checkpoints" / "last.safetensors"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def tamper_checksum(run: Path) -> None:
    edit_json(run / "checkpoints" / "last.json", lambda meta: meta.update(tensors_sha256="0" * 64))


def tamper_shape(run: Path) -> None:
    """A weight's shape in the safetensors header changed, its checksum in the JSON brought up to date
    (so only the shape check can notice)."""
    from neuralab.io import sha256_file  # noqa: PLC0415

    path = run / "checkpoints" / "last.safetensors"
    raw = path.read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    header["model.1.weight"]["shape"] = list(reversed(header["model.1.weight"]["shape"]))  # (8, 2) -> (2, 8): same bytes
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= size
    text = text.ljust(size)  # safetensors pads its header with spaces too
    path.write_bytes(raw[:8] + text + raw[8 + size:])
    edit_json(run / "checkpoints" / "last.json", lambda meta: meta.update(tensors_sha256=sha256_file(path)))


def truncate_json(run: Path) -> None:
    path = run / "checkpoints" / "last.json"
    path.write_bytes(path.read_bytes()[:60])


def older_format(run: Path) -> None:
    """What a checkpoint of an older neuralab lacks: the step count and the RNG states."""
    def strip(meta):
        del meta["state"]["global_step"], meta["state"]["rng"]
    edit_json(run / "checkpoints" / "last.json", strip)


def newer_format(run: Path) -> None:
    edit_json(run / "checkpoints" / "last.json", lambda meta: meta.update(version=99))


CHECKPOINT_FAULTS = {
    "truncated-tensors": (truncate_tensors, ["last.safetensors do not match", "SHA-256 differs"]),
    "tampered-checksum": (tamper_checksum, ["last.safetensors do not match", "SHA-256 differs"]),
    "tampered-shape": (tamper_shape, ["do not fit this model", "size mismatch for 1.weight"]),
    "truncated-json": (truncate_json, ["last.json is damaged (not valid JSON"]),
    "older-format": (older_format, ["lacks global_step, rng", "older neuralab"]),
    "newer-format": (newer_format, ["has checkpoint version 99; this neuralab reads up to 1"]),
}


@pytest.mark.parametrize("fault", list(CHECKPOINT_FAULTS))
def test_a_damaged_checkpoint_is_refused_and_kept(fault, interrupted_run, capsys):
    damage, expected = CHECKPOINT_FAULTS[fault]
    damage(interrupted_run)
    before = tree_hashes(interrupted_run)
    code, _, err = neuralab(["train", "--resume", interrupted_run, "--quiet"], capsys)
    assert_refused(code, err, *expected)
    assert tree_hashes(interrupted_run) == before


def test_a_checkpoint_of_another_recipe_is_refused(interrupted_run, tmp_path, capsys):
    assert neuralab(["train", "circles-mlp", "--epochs", "1", "--quiet", "--out", tmp_path / "other"], capsys)[0] == 0
    other = only_run(tmp_path / "other") / "checkpoints"
    for name in ("last.json", "last.safetensors"):
        shutil.copy(other / name, interrupted_run / "checkpoints" / name)
    before = tree_hashes(interrupted_run)
    code, _, err = neuralab(["train", "--resume", interrupted_run, "--quiet"], capsys)
    assert_refused(code, err, "was written by a 'circles-mlp' run", "is a 'xor-mlp' run")
    assert tree_hashes(interrupted_run) == before


def test_eval_of_damaged_best_weights_is_refused(finished_run, capsys):
    path = finished_run / "checkpoints" / "best.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    before = tree_hashes(finished_run)
    code, _, err = neuralab(["eval", finished_run], capsys)
    assert_refused(code, err, "best.safetensors do not match", "SHA-256 differs")
    assert tree_hashes(finished_run) == before


# ------------------------------------------------------------------ --resume of what is not resumable


def test_resume_of_a_finished_run_is_refused(finished_run, capsys):
    before = tree_hashes(finished_run)
    code, _, err = neuralab(["train", "--resume", finished_run, "--quiet"], capsys)
    assert_refused(code, err, "has finished (summary.json: status 'completed', 3 epochs", "neuralab train xor-mlp --epochs N")
    assert tree_hashes(finished_run) == before


EDITS = {
    "batch-size": (lambda c: c["train"].update(batch_size=7), "train.batch_size: 32 -> 7"),
    "learning-rate": (lambda c: c["optimizer"].update(lr=0.5), "optimizer.lr: 0.03 -> 0.5"),
    "model-shape": (lambda c: c["model"].update(sizes=[2, 16, 2]), "model.sizes: [2, 8, 2] -> [2, 16, 2]"),
    "epochs": (lambda c: c["train"].update(epochs=5), "train.epochs: 3 -> 5"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_resume_after_config_json_was_edited_is_refused(edit, interrupted_run, capsys):
    change, expected = EDITS[edit]
    edit_json(interrupted_run / "config.json", change)
    checkpoint = tree_hashes(interrupted_run / "checkpoints")
    code, _, err = neuralab(["train", "--resume", interrupted_run, "--quiet"], capsys)
    assert_refused(code, err, "config.json was edited after", expected, "Put the old values back")
    assert tree_hashes(interrupted_run / "checkpoints") == checkpoint


def test_resume_of_a_config_edited_into_an_invalid_one_is_refused(interrupted_run, capsys):
    edit_json(interrupted_run / "config.json", lambda c: c["optimizer"].update(lr=-1))
    before = tree_hashes(interrupted_run)
    code, _, err = neuralab(["train", "--resume", interrupted_run, "--quiet"], capsys)
    assert_refused(code, err, "learning rate must be a positive number; got -1")
    assert tree_hashes(interrupted_run) == before


def test_resume_of_a_damaged_config_json_is_refused(interrupted_run, capsys):
    (interrupted_run / "config.json").write_text('{"recipe": "xor-mlp", ')
    before = tree_hashes(interrupted_run)
    code, _, err = neuralab(["train", "--resume", interrupted_run, "--quiet"], capsys)
    assert_refused(code, err, "config.json is damaged: expected the JSON object", "not valid JSON")
    assert tree_hashes(interrupted_run) == before


@pytest.mark.parametrize("command", ["train --resume", "eval"])
def test_a_folder_that_is_not_a_run_is_refused(command, tmp_path, capsys):
    folder = tmp_path / "holiday-photos"
    folder.mkdir()
    (folder / "beach.png").write_bytes(b"\x89PNG")
    code, _, err = neuralab([*command.split(), folder], capsys)
    assert_refused(code, err, "holiday-photos is not a run folder: it has no config.json")
    assert sorted(p.name for p in folder.iterdir()) == ["beach.png"]


def test_resume_of_a_missing_folder_is_refused(tmp_path, capsys):
    code, _, err = neuralab(["train", "--resume", tmp_path / "nowhere"], capsys)
    assert_refused(code, err, "no run folder at", "nowhere")


def test_resume_of_an_interrupted_run_still_works(interrupted_run, capsys):
    """The control case: the same copy, undamaged, resumes to its planned epochs."""
    assert load_checkpoint(interrupted_run / "checkpoints" / "last")["epoch"] == 1
    code, _, err = neuralab(["train", "--resume", interrupted_run, "--quiet"], capsys)
    assert code == 0, err
    assert json.loads((interrupted_run / "summary.json").read_text())["status"] == "completed"
    assert load_checkpoint(interrupted_run / "checkpoints" / "last")["epoch"] == 3

