"""How the command line ends when something goes wrong: one line on stderr, never a traceback.

Exit codes (documented in docs/reliability.md):

* ``2``: the input or the environment was refused (a bad value, a damaged file, a folder that
  cannot be written, a full disk, a diverged training); the line says what was expected and what came;
* ``130``: stopped by SIGINT (Ctrl-C), ``143``: stopped by SIGTERM (``kill``), as shells count
  them (128 + the signal's number). A training stopped either way has written its
  ``summary.json`` with status ``interrupted`` and keeps its last checkpoint, so
  ``neuralab train --resume RUN`` continues it.
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from typing import Iterator

from neuralab.train import CheckpointError, TrainingDiverged

USER_ERRORS = (ValueError, KeyError, OSError, CheckpointError, TrainingDiverged)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process happens to be, so it unwinds like Ctrl-C: the Trainer
    records the run as interrupted and every atomic write removes its temporary file."""


def _raise_terminated(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise Terminated("SIGTERM")


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Inside this, SIGTERM raises :class:`Terminated` and SIGINT ``KeyboardInterrupt`` (only the
    main thread can set handlers). SIGINT is set too because a process started from a script in
    the background (``cmd &``, as nohup jobs and some CI runners start them) inherits SIGINT
    *ignored*, and Python then never raises KeyboardInterrupt: the lab's Stop button and Ctrl-C
    did nothing to such a training."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def interrupted_line(command: str, interrupt: KeyboardInterrupt) -> tuple[str, int]:
    """The message and exit code of a command stopped by SIGINT or SIGTERM."""
    name, code = ("SIGTERM", 143) if isinstance(interrupt, Terminated) else ("SIGINT", 130)
    notes = " ".join(getattr(interrupt, "__notes__", []))  # the Trainer adds "run folder: ..."
    return f"neuralab {command}: interrupted by {name}" + (f"; {notes}" if notes else ""), code


_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space (files written before, such as the previous checkpoint, are kept)",
    errno.EDQUOT: "the disk quota is used up: free some space (files written before are kept)",
    errno.EACCES: "the folder is not writable by this user: choose another one (e.g. --out DIR or NEURALAB_DATA=DIR)",
    errno.EPERM: "the folder is not writable by this user: choose another one (e.g. --out DIR or NEURALAB_DATA=DIR)",
    errno.EROFS: "the file system is read-only: choose a writable folder (e.g. --out DIR or NEURALAB_DATA=DIR)",
}


def error_line(command: str, error: BaseException) -> str:
    """One line naming what failed: the message of a refused input, or for an operating-system
    failure the file, the system's reason and what to do."""
    if isinstance(error, KeyError) and error.args:
        message = error.args[0]
    elif isinstance(error, OSError) and error.errno is not None:  # raised by the system, not by neuralab
        where = f"{error.filename}" + (f" -> {error.filename2}" if error.filename2 else "")
        if error.errno == errno.ENOENT:
            message = f"{where}: no such file or folder"
        else:
            hint = _OS_HINTS.get(error.errno, "")
            message = f"cannot use {where}: {error.strerror}" + (f"; {hint}" if hint else "")
    else:
        message = error
    return f"neuralab {command}: error: {message}"
