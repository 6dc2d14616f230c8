"""Helpers of the fault catalogue (docs/reliability.md, "Bad inputs and faults").

Every case runs ``neuralab`` through ``cli.main`` in this process (a fresh interpreter costs
seconds on a busy machine) with a tiny recipe, and checks what the user sees (exit code, one
line on stderr, no traceback) and what is kept (SHA-256 of every file before and after).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from neuralab import cli
from neuralab.train import Callback, Trainer


TINY = ["xor-mlp", "--epochs", "3", "--quiet", "--set", "threads=1"]  # three epochs of 8 batches, well under a second


def neuralab(argv: list[str], capsys) -> tuple[int, str, str]:
    """``neuralab ARGV`` in this process: (exit code, stdout, stderr); argparse's exits count as codes."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(code: int, err: str, *expected: str, status: int = 2) -> None:
    """The documented code and one line on stderr holding each of ``expected``, no traceback."""
    assert code == status, err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    if lines[0].startswith("usage:"):  # argparse shows the usage (wrapped, indented) above its one line
        lines = [line for line in lines if not line.startswith(("usage:", " "))]
    assert len(lines) == 1, err
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"


def tree_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path -> hex)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class StopAt(Callback):
    """Calls ``action()`` after the optimizer step of batch ``batch`` in epoch ``epoch``."""

    def __init__(self, epoch: int, batch: int, action):
        self.epoch, self.batch, self.action = epoch, batch, action

    def on_batch_end(self, trainer, step, logs):
        if logs["epoch"] == self.epoch and logs["batch"] == self.batch:
            self.action()


def with_callback(monkeypatch, callback: Callback) -> None:
    """Every Trainer built from now on (in this test) also runs ``callback``."""
    build = Trainer.__init__

    def patched(self, *args, callbacks=(), **kwargs):
        build(self, *args, callbacks=[*callbacks, callback], **kwargs)

    monkeypatch.setattr(Trainer, "__init__", patched)


def only_run(root: Path) -> Path:
    (run,) = [p for p in root.iterdir() if p.is_dir()]
    return run

def edit_json(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def mount(*arguments: str) -> None:
    """``mount ARGUMENTS`` (root in a container that allows it), else skip the test saying why."""
    done = subprocess.run(["mount", *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount {' '.join(arguments)} is not permitted here: {done.stderr.strip()}")


def unmount(folder: Path) -> None:
    subprocess.run(["umount", str(folder)], check=False, capture_output=True)
