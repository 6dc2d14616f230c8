"""TensorBoard on a runs folder: start the ``tensorboard`` program, wait until it answers, stop it.

Every run writes ``RUN/tensorboard/`` (``neuralab.train.tensorboard``); TensorBoard started
on the runs folder shows each such folder as one run, so runs can be compared side by side.
TensorBoard runs as its own process (``python -m tensorboard.main``, the interpreter of
this neuralab), bound to ``127.0.0.1`` unless told otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from neuralab.extras import require
from neuralab.train.tensorboard import FOLDER

DEFAULT_PORT = 6006


class BoardError(ValueError):
    """TensorBoard could not be started or did not answer (a ValueError: the CLI prints one line)."""


def require_tensorboard() -> None:
    """Raise ``MissingExtra`` naming the ``pip install`` when the ``tensorboard`` package is missing."""
    require("tensorboard", "tensorboard", "neuralab board (TensorBoard)")


def event_folders(runs: str | Path) -> list[Path]:
    """The ``tensorboard/`` folders holding event files under ``runs`` (a runs folder or one run)."""
    runs = Path(runs)
    return sorted({path.parent for path in runs.rglob("events.out.tfevents.*") if path.parent.name == FOLDER})


def command(runs: str | Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> list[str]:
    """The TensorBoard command line for ``runs`` (TensorBoard's own defaults otherwise: it
    re-reads the folder every 5 s, so a training run's new epochs appear as they end)."""
    return [sys.executable, "-m", "tensorboard.main", "--logdir", str(runs), "--host", host, "--port", str(port)]


@dataclass
class Board:
    """A started TensorBoard: its process and address."""

    process: subprocess.Popen
    url: str

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Return once the front page answers; :class:`BoardError` if the process exits or
        ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise BoardError(f"TensorBoard exited with code {code} before answering at {self.url} "
                                 "(its own message is above; a port in use? try --port)")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        raise BoardError(f"TensorBoard did not answer at {self.url} within {timeout:g} s")

    def get_json(self, path: str) -> Any:
        """``GET url + path`` as JSON (TensorBoard's HTTP API, e.g. ``data/plugin/scalars/tags``)."""
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
            return json.loads(response.read())

    def stop(self, timeout: float = 10.0) -> int:
        """Terminate the process (kill it if it lingers); returns its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start(runs: str | Path, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, output: IO | None = None) -> Board:
    """Start TensorBoard on ``runs`` (which must be a folder); ``output`` receives its stdout and
    stderr (the terminal when ``None``). Call :meth:`Board.wait_ready`, later :meth:`Board.stop`."""
    runs = Path(runs)
    if not runs.is_dir():
        raise FileNotFoundError(f"no runs folder at {runs} (expected the folder `neuralab train` writes runs into, "
                                "e.g. runs/)")
    require_tensorboard()
    if not 0 < port < 65536:
        raise ValueError(f"--port must be a TCP port between 1 and 65535; got {port}")
    process = subprocess.Popen(command(runs, host, port), stdout=output, stderr=subprocess.STDOUT if output else None)
    return Board(process, f"http://{host}:{port}/")
