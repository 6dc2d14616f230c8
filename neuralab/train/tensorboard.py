"""TensorBoard event files for a run, written by the ``tensorboard`` package's own writer.

Every run writes ``RUN/tensorboard/events.out.tfevents.*`` with the ``tensorboard``
package's record format (``tensorboard.summary.writer.record_writer.RecordWriter``) and the
summary protocol buffers of ``tensorboard.compat.proto`` (plus the hparams plugin's), never
through ``torch.utils.tensorboard``: the writer sees NumPy numbers only, so runs of the
scratch engine write the same files as runs of torch.

All events share one step axis, the global optimizer step ``s`` (1, 2, ...):

* ``step/<name>``: what training step ``s`` reported (``step/train_loss``; a GAN's
  ``step/d_loss``, ``step/g_loss``), at ``s``;
* ``epoch/<key>``: every key of the epoch's History row (``train_loss``, ``val_loss``,
  ``val_accuracy``, ``lr``, ``epoch_time_s``, ``epoch`` ...) and a step's other epoch means,
  at the step that ends the epoch;
* ``weights/<parameter>``: a histogram of each parameter at each epoch's end, when the
  config sets ``log.histograms``;
* at the run's end (:meth:`TensorBoardLogger.log_run_end`, one step past the last update):
  ``figures/<name>`` (the PNGs of ``RUN/figures``), ``final/<metric>`` (the summary's
  metrics) and the hyperparameters (the config flattened to ``section.key``) for the
  HPARAMS tab.

Resume: each writing session starts a new event file whose first event is a
``SessionLog.START`` at the first step it will write (the restored step + 1). TensorBoard's
readers drop every earlier event at that step or later, so events of an interrupted epoch
(or the end of a run that is resumed again) never show twice, and the steps continue.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import struct
import sys
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuralab.extras import MissingExtra, require
from neuralab.train import distributed
from neuralab.train.callbacks import Callback
from neuralab.train.checkpoint import to_numpy

if TYPE_CHECKING:  # pragma: no cover
    from neuralab.train.runs import RunRecord
    from neuralab.train.trainer import Trainer

FOLDER = "tensorboard"
HISTOGRAM_BUCKETS = 30
FLUSH_SECONDS = 10  # at most this long between a step's event and the disk (epochs' ends flush too)
_PNG_COLORSPACE = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}  # PNG colour type -> channels TensorBoard expects
_said_off = False  # the "logs are off" line is printed once per process
_file_numbers = itertools.count()  # two files opened in the same second get different names


def logger_for(record: "RunRecord", log: dict[str, Any], hparams: dict[str, Any]) -> "TensorBoardLogger | None":
    """The logger of a run (``log``: the config's ``log`` section, ``hparams``: the config flattened
    to ``section.key``), or ``None`` when ``log.tensorboard`` is off, this process is not rank 0
    of a distributed run, or the ``tensorboard`` package is missing (said once, with the
    ``pip install`` that brings it; the run trains all the same)."""
    global _said_off
    if not log["tensorboard"] or distributed.rank() > 0:
        return None
    try:
        require("tensorboard.summary.writer.record_writer", "tensorboard", "TensorBoard logging")
    except MissingExtra as missing:
        if not _said_off:
            print(f"TensorBoard logs are off: {missing}", file=sys.stderr, flush=True)
            _said_off = True
        return None
    return TensorBoardLogger(record.path / FOLDER, figures=record.figures_dir, hparams=hparams,
                             histograms=log["histograms"], run_name=record.path.name)


class TensorBoardLogger(Callback):
    """A Trainer callback writing the events of the module docstring into ``folder``.

    ``figures`` is the folder whose PNGs :meth:`log_run_end` shows; ``hparams`` maps names to
    the run's hyperparameters (lists and null are shown as JSON text); ``run_name`` names the
    HPARAMS trial.
    """

    order = 50  # before ModelCheckpoint (100): an epoch's events are flushed before its checkpoint

    def __init__(self, folder: str | Path, *, figures: str | Path | None = None, hparams: dict[str, Any] | None = None,
                 histograms: bool = False, run_name: str | None = None):
        from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: PLC0415 - optional package

        self._event_pb2, self._summary_pb2 = event_pb2, summary_pb2
        self.folder = Path(folder)
        self.figures = Path(figures) if figures is not None else None
        self.hparams = {name: value if isinstance(value, (bool, int, float, str)) else json.dumps(value)
                        for name, value in (hparams or {}).items()}
        self.histograms = histograms
        self.run_name = run_name or self.folder.parent.name
        self._writer: Any = None
        self._close_at_exit: Any = None
        self._last_step = 0  # the last optimizer step seen (the run's end is logged one past it)
        self._fit_started_at = 0  # the optimizer step this fit starts (or resumes) from

    # ------------------------------------------------------------------ Trainer hooks

    def on_fit_start(self, trainer: "Trainer") -> None:
        self.close()  # a second fit on the same Trainer starts a new session (and file)

    def on_epoch_start(self, trainer: "Trainer", epoch: int) -> None:
        if self._writer is None:  # after any resume: the step this session continues from
            self._fit_started_at = trainer.global_step

    def on_batch_end(self, trainer: "Trainer", step: int, logs: dict[str, Any]) -> None:
        if self._writer is None:
            self._open(self._fit_started_at + 1)
        self._writer.add_scalars(step, [("step/train_loss" if name == "loss" else "step/" + name, float(value))
                                        for name, value in logs.items() if name not in ("epoch", "batch") and _is_number(value)])

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None:
        step = trainer.global_step
        self._scalars("epoch/", logs, step)
        if self.histograms:
            values = [self._histogram(f"weights/{name}", to_numpy(parameter))
                      for name, parameter in trainer.model.named_parameters()]
            self._write(self._summary_pb2.Summary(value=values), step)
        if self._writer is not None:
            self._writer.flush()

    def on_fit_end(self, trainer: "Trainer") -> None:
        self._last_step = trainer.global_step
        if self._writer is not None:
            self._writer.flush()

    # ------------------------------------------------------------------ the run's end

    def log_run_end(self, summary: dict[str, Any]) -> None:
        """Figures, final metrics and hyperparameters, one step past the last update; then close.

        ``summary`` is the run's ``summary.json`` (its ``metrics`` become ``final/<name>``)."""
        step = self._last_step + 1
        values = [self._image(f"figures/{path.relative_to(self.figures).with_suffix('').as_posix()}", path)
                  for path in sorted(self.figures.rglob("*.png"))] if self.figures and self.figures.is_dir() else []
        metrics = {name: value for name, value in (summary.get("metrics") or {}).items() if _is_number(value)}
        values += [self._summary_pb2.Summary.Value(tag=f"final/{name}", simple_value=float(value))
                   for name, value in metrics.items()]
        values += list(self._hparams_start().value) + list(self._hparams_end().value)
        self._write(self._summary_pb2.Summary(value=values), step, start_step=step)
        self.close()

    def close(self) -> None:
        """Flush and close the event file (the next event opens a new one)."""
        if self._writer is not None:
            self._close_at_exit()  # closes the writer, once
            self._writer = None

    # ------------------------------------------------------------------ events

    def _scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        summary = [self._summary_pb2.Summary.Value(tag=prefix + name, simple_value=float(value))
                   for name, value in values.items() if _is_number(value)]
        if summary:
            self._write(self._summary_pb2.Summary(value=summary), step)

    def _write(self, summary: Any, step: int, *, start_step: int | None = None) -> None:
        """One event at ``step``; the first of a session opens the file with ``SessionLog.START``
        at the first step this session writes: one past the step the fit started (or resumed)
        from, or ``start_step``."""
        if self._writer is None:
            self._open(start_step if start_step is not None else self._fit_started_at + 1)
        self._writer.add_event(self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def _open(self, first_step: int) -> None:
        self._writer = EventFile(self.folder, self._event_pb2, self._summary_pb2)
        # An interrupted run still flushes what it logged when the process exits.
        self._close_at_exit = weakref.finalize(self, self._writer.close)
        start = self._event_pb2.SessionLog(status=self._event_pb2.SessionLog.START)
        self._writer.add_event(self._event_pb2.Event(wall_time=time.time(), step=first_step, session_log=start))

    def _histogram(self, tag: str, array: np.ndarray) -> Any:
        """TensorBoard's histogram proto: ``bucket[i]`` counts values in ``(limit[i-1], limit[i]]``."""
        values = np.asarray(array, dtype=np.float64).ravel()
        values = values[np.isfinite(values)]
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
        counts, edges = np.histogram(values, bins=HISTOGRAM_BUCKETS)  # equal values: one unit-wide range
        histogram = self._summary_pb2.HistogramProto(
            min=low, max=high, num=float(values.size), sum=float(values.sum()),
            sum_squares=float(np.square(values).sum()), bucket_limit=edges[1:].tolist(), bucket=counts.astype(float).tolist())
        return self._summary_pb2.Summary.Value(tag=tag, histo=histogram)

    def _image(self, tag: str, path: Path) -> Any:
        data = path.read_bytes()
        width, height, colour = png_size(data, path)
        image = self._summary_pb2.Summary.Image(height=height, width=width, colorspace=_PNG_COLORSPACE.get(colour, 3),
                                                encoded_image_string=data)
        return self._summary_pb2.Summary.Value(tag=tag, image=image)

    def _hparams_start(self) -> Any:
        from tensorboard.plugins.hparams import summary_v2  # noqa: PLC0415 - optional package

        return summary_v2.hparams_pb(self.hparams, trial_id=self.run_name)

    def _hparams_end(self) -> Any:
        """The SessionEndInfo the hparams plugin reads (its helper for it imports TensorFlow)."""
        from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2  # noqa: PLC0415

        info = plugin_data_pb2.HParamsPluginData(
            session_end_info=plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=time.time()))
        summary = self._summary_pb2.Summary()
        summary.value.add(tag=metadata.SESSION_END_INFO_TAG, metadata=metadata.create_summary_metadata(info),
                          tensor=metadata.NULL_TENSOR)
        return summary


class EventFile:
    """One ``events.out.tfevents.*`` file in ``folder``, written in the calling thread.

    Each event is one TensorBoard record (length, masked CRC-32C of it, the serialized
    ``Event``, masked CRC-32C of that; ``RecordWriter``) in a buffered file. The first event
    names the format (``brain.Event:2``), as TensorBoard's own ``EventFileWriter`` writes it.

    Why not that class: it hands each event to a second thread, and on a 2-core machine its
    queue and thread cost about 3x the CPU per event (90-115 µs against 30). Why step scalars
    wait in memory (:meth:`add_scalars`) until the next :meth:`flush`, at most
    :data:`FLUSH_SECONDS` later or at the epoch's end: right after a multi-threaded torch step
    every line of Python runs several times slower than it does a moment later (the step's
    idle threads still spin on the cores), so encoding one event between steps took about
    220 µs there, and encoding them in a batch takes the standalone time.
    """

    def __init__(self, folder: Path, event_pb2: Any, summary_pb2: Any):
        from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: PLC0415 - optional package

        self._event_pb2, self._summary_pb2 = event_pb2, summary_pb2
        folder.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.{next(_file_numbers)}"
        self._file = open(folder / name, "wb")  # noqa: SIM115 - closed by close()
        self._records = RecordWriter(self._file)
        self._pending: list[tuple[float, int, list[tuple[str, float]]]] = []  # (wall time, step, (tag, value)s)
        self._flushed_at = time.monotonic()
        self.add_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2",
                                       source_metadata=event_pb2.SourceMetadata(writer="neuralab.train.tensorboard")))
        self.flush()

    def add_scalars(self, step: int, values: list[tuple[str, float]]) -> None:
        """One event of scalars at ``step``, stamped now, encoded at the next flush."""
        if values:
            self._pending.append((time.time(), step, values))
        if time.monotonic() - self._flushed_at > FLUSH_SECONDS:
            self.flush()

    def add_event(self, event: Any) -> None:
        self._write_pending()  # events stay in the order they came
        self._records.write(event.SerializeToString())

    def flush(self) -> None:
        self._write_pending()
        self._file.flush()
        self._flushed_at = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()

    def _write_pending(self) -> None:
        event, value = self._event_pb2.Event, self._summary_pb2.Summary.Value
        for wall_time, step, values in self._pending:
            summary = self._summary_pb2.Summary(value=[value(tag=tag, simple_value=v) for tag, v in values])
            self._records.write(event(wall_time=wall_time, step=step, summary=summary).SerializeToString())
        self._pending.clear()


def png_size(data: bytes, path: Path | str = "image") -> tuple[int, int, int]:
    """``(width, height, colour type)`` from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file (no PNG signature and IHDR chunk)")
    width, height = struct.unpack(">II", data[16:24])
    return width, height, data[25]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)
