"""The Trainer: fit / evaluate / predict on NumPy arrays, for either engine. Every task trains here.

What differs between tasks is the batch source and the step, not the loop:

* the batch source is ``(x, y)`` arrays (shuffled per epoch, optionally augmented) or a
  callable ``batches(epoch, rng) -> iterable of batches`` (random text windows);
* ``train_step(batch) -> {"loss": ..., ...}`` does one update; the default is zero_grad ->
  loss -> backward -> (clip) -> step. A step object may add what a checkpoint must keep
  beyond the model, the optimizer and the RNGs through ``extra_state()`` /
  ``load_extra_state(state)`` (a GAN's second optimizer).

The Trainer owns the epochs, resume, the RNG states (engine, CUDA, NumPy), the divergence
checks, the run record (``metrics.jsonl``, ``summary.json``, checkpoints) and the summary.

The Trainer uses only the API both engines share (``model.train()``, ``opt.zero_grad()``,
``loss.backward()``, ``opt.step()``, ``T.no_grad()``, ``T.from_numpy``, ...). Data stays
in NumPy until each batch is turned into engine tensors at the edge.

Reproducibility: the order of epoch ``e`` is ``np.random.default_rng([seed, e]).permutation(n)``,
a pure function of the seed and the epoch number (a batch source gets
``np.random.default_rng([seed, e])``), and the engine RNG (dropout, noise) is
seeded once at the start of a fresh fit and saved in every checkpoint. A run resumed from
the checkpoint of epoch ``k`` therefore replays epochs ``k+1...`` exactly as an
uninterrupted run would (same batch size, data and seed).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from neuralab.engines import capabilities, name_of
from neuralab.train import distributed
from neuralab.train.allocator import steps_reuse_memory
from neuralab.train.callbacks import Callback, ModelCheckpoint
from neuralab.train.checkpoint import (
    CheckpointError,
    checkpoint_paths,
    load_checkpoint,
    load_model_state,
    load_optimizer_state,
    rng_state,
    set_rng_state,
    to_numpy,
)
from neuralab.train.history import History
from neuralab.train.runs import RunRecord
from neuralab.train.schedules import Schedule, build_schedule
from neuralab.train.step import clip_gradients

METRICS = ("accuracy",)
RESUME_KEYS = ("engine", "epoch", "global_step", "model", "optimizer", "history", "rng")  # what _restore reads
_ABSENT = object()  # a config key one of two configs lacks

ComputeLoss = Callable[[Any, Any, Any], tuple[Any, Any]]
TrainStep = Callable[[Any], dict[str, float]]
BatchSource = Callable[[int, np.random.Generator], Iterable[Any]]


class TrainingDiverged(RuntimeError):
    """The loss, the gradients or the weights stopped being finite numbers.

    Attributes: ``epoch`` and ``step`` where it happened, ``value`` (the non-finite
    number), ``last_finite_loss``, ``lr`` and ``checkpoint`` (the kept ``last``
    checkpoint, or ``None``).
    """

    def __init__(self, message: str, *, epoch: int, step: int, value: float, last_finite_loss: float | None, lr: float, checkpoint: Path | None):
        super().__init__(message)
        self.epoch, self.step, self.value = epoch, step, value
        self.last_finite_loss, self.lr, self.checkpoint = last_finite_loss, lr, checkpoint


def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """The sample order of ``epoch``: a pure function of ``(seed, epoch)``."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def _default_engine(model: Any) -> ModuleType:
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return torch
    import neuralab.scratch as scratch  # noqa: PLC0415 - only when the model is not a torch one

    return scratch


class Trainer:
    """Train, evaluate and run a model on NumPy arrays.

    Args:
        model, optimizer: built with ``engine`` (the module ``T``: torch or neuralab.scratch).
        loss_fn: ``loss_fn(outputs, targets) -> scalar loss tensor`` (mean over the batch).
        engine: the engine module; inferred from the model when left out.
        device: ``"cpu"``, ``"cuda"``... (torch only; see ``neuralab.engines.resolve_device``).
        schedule: a learning-rate schedule spec, see ``neuralab.train.schedules``.
        clip_grad_norm: clip the global gradient norm to this value before each step.
        callbacks: ``Callback`` objects (``EarlyStopping``, ``ModelCheckpoint``, your own).
        metrics: ``("accuracy",)`` or ``()``. Accuracy is measured when targets are integer
            class labels ``(N,)`` and outputs are scores ``(N, C)`` with ``C >= 2``.
        seed: seeds the engine RNG and the per-epoch shuffling.
        progress: a tqdm bar (only on a terminal) plus one summary line per epoch; ``False``
            prints nothing.
        run: a ``RunRecord``: epochs go to ``metrics.jsonl``, the end to ``summary.json``, and a
            ``ModelCheckpoint`` into ``run/checkpoints`` is added unless you passed one.
        compute_loss: for models whose loss is not ``loss_fn(model(x), y)`` (autoencoders,
            VAEs, GANs): ``compute_loss(model, x_batch, y_batch) -> (loss, outputs_or_None)``.
            ``y_batch`` is ``None`` when the data has no targets.
        threads: ``T.set_num_threads(threads)`` where the engine supports it (torch; scratch
            with threadpoolctl installed, limiting NumPy's BLAS threads).
        augment: ``augment(x_batch, rng) -> x_batch`` on NumPy training batches (never on
            validation or test data); ``rng`` is derived from ``(seed, epoch)`` so augmented
            runs stay reproducible and resume exactly.
        train_step: ``train_step(batch) -> {name: number}`` replaces the default update for
            steps that are not one loss and one optimizer (a GAN's D and G turns). ``batch`` is
            what the batch source gave, as engine tensors. Every number must stay finite
            (else ``TrainingDiverged``); ``"loss"`` becomes ``train_loss``, the others are
            logged beside it, all as sample-weighted epoch means. Optional methods
            ``extra_state() -> dict`` and ``load_extra_state(state)`` put more state into
            checkpoints.
    """

    def __init__(
        self,
        model: Any,
        optimizer: Any,
        loss_fn: Callable[[Any, Any], Any] | None = None,
        *,
        engine: ModuleType | None = None,
        device: str = "cpu",
        schedule: str | dict[str, Any] | None = None,
        clip_grad_norm: float | None = None,
        callbacks: Iterable[Callback] = (),
        metrics: Sequence[str] = ("accuracy",),
        seed: int = 0,
        progress: bool = True,
        run: RunRecord | None = None,
        compute_loss: ComputeLoss | None = None,
        threads: int | None = None,
        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
        train_step: TrainStep | None = None,
    ):
        if loss_fn is None and compute_loss is None and train_step is None:
            raise ValueError("Trainer needs loss_fn(outputs, targets), compute_loss(model, x, y) or train_step(batch)")
        unknown = [m for m in metrics if m not in METRICS]
        if unknown:
            raise ValueError(f"unknown metrics {unknown}: the Trainer measures {METRICS}")
        if clip_grad_norm is not None and not clip_grad_norm > 0:
            raise ValueError(f"clip_grad_norm must be a positive number or None; got {clip_grad_norm}")
        self.T = engine if engine is not None else _default_engine(model)
        self.engine_name = name_of(self.T)
        self.device = device
        self.model = model.to(device) or model  # torch returns the module, keep it either way
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.compute_loss = compute_loss
        self.augment = augment
        self.train_step: TrainStep = train_step if train_step is not None else self.default_step
        self.schedule_spec = schedule
        self.clip_grad_norm = clip_grad_norm
        self.metrics = tuple(metrics)
        self.seed = int(seed)
        self.progress = progress
        self.run = run
        self.callbacks: list[Callback] = list(callbacks)
        if run is not None and not any(isinstance(cb, ModelCheckpoint) for cb in self.callbacks):
            self.callbacks.append(ModelCheckpoint(run.checkpoints_dir))
        self.callbacks.sort(key=lambda cb: cb.order)  # stable: equal orders keep the given order
        if threads and capabilities(self.T)["threads"]:
            self.T.set_num_threads(int(threads))

        self.history = History()
        self.schedule: Schedule | None = None
        self.epoch = 0  # completed epochs
        self.global_step = 0
        self.stop_training = False
        self.restored_epoch: int | None = None  # set by EarlyStopping when it restores weights
        self._fit_settings: dict[str, Any] = {}
        self._elapsed_before = 0.0
        self._fit_started = 0.0
        self._last_finite: tuple[float, int, int, str] | None = None  # (value, epoch, step, name)
        self._position: tuple[int, int, int] = (0, 0, 0)  # (epoch, batch, steps) of the step running now
        self._train_seconds = 0.0  # training batches only (no validation), over all fits of the run
        self._train_cpu_seconds = 0.0
        self._float_dtype = np.float32
        self._parallel: Any = None  # DistributedDataParallel(model) in a distributed run (the training forward)

    # ================================================================== public API

    def fit(
        self,
        train: tuple[np.ndarray, np.ndarray | None] | np.ndarray | BatchSource,
        val: tuple[np.ndarray, np.ndarray | None] | np.ndarray | None = None,
        *,
        epochs: int = 10,
        batch_size: int = 128,
        eval_batch_size: int | None = None,
        shuffle: bool = True,
        drop_last: bool = False,
        steps_per_epoch: int | None = None,
        resume: str | Path | bool | None = None,
    ) -> History:
        """Train for ``epochs`` epochs (counted from 1), validating after each one.

        ``train``/``val`` are ``(x, y)`` NumPy pairs (``y`` may be ``None`` with
        ``compute_loss``) or a bare ``x``. ``train`` may instead be a batch source
        ``batches(epoch, rng)`` yielding ``steps_per_epoch`` batches (tuples of NumPy arrays)
        of ``batch_size`` samples each; each such batch weighs the same in the epoch means.
        ``resume`` continues from a checkpoint: a path
        (run folder, checkpoint stem or file), ``True`` (this run's ``last``, which must
        exist) or ``"auto"`` (this run's ``last`` if it exists, else a fresh start).
        Raises ``TrainingDiverged`` when the loss or weights stop being finite.
        Returns the ``History`` (also at ``trainer.history``).
        """
        val_x, val_y = _split(val, "val") if val is not None else (None, None)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        if callable(train):
            if not (isinstance(steps_per_epoch, int) and steps_per_epoch >= 1):
                raise ValueError(f"a batch source needs steps_per_epoch >= 1; got {steps_per_epoch!r}")
            source, n = train, None

            def epoch_batches(epoch: int) -> Iterable[tuple[Any, int]]:
                return self._source_batches(source, epoch, steps_per_epoch)
        else:
            x, y = _split(train, "train")
            n = len(x)
            distributed.check_batches(n, batch_size)
            steps_per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
            if steps_per_epoch == 0:
                raise ValueError(f"{n} training samples make no batch of {batch_size} with drop_last=True")

            def epoch_batches(epoch: int) -> Iterable[tuple[Any, int]]:
                return self._array_batches(x, y, epoch, batch_size, shuffle, steps_per_epoch)
        eval_batch_size = eval_batch_size or max(batch_size, 512)
        self._float_dtype = _float_dtype_of(self.model)
        self._fit_settings = {
            "seed": self.seed, "epochs": epochs, "batch_size": batch_size, "train_size": n,
            "steps_per_epoch": steps_per_epoch, "shuffle": shuffle, "drop_last": drop_last,
        }
        self.schedule = build_schedule(
            self.schedule_spec, self.optimizer, engine=self.T, steps_per_epoch=steps_per_epoch, epochs=epochs
        )
        self.stop_training = False
        self.restored_epoch = None
        self._fit_started = time.perf_counter()
        for callback in self.callbacks:
            callback.on_fit_start(self)
        resume_path = self._resume_path(resume)
        if resume == "auto" and resume_path is None:
            self.log("no checkpoint to resume from yet: training from epoch 1")
        if resume_path is not None:
            self._restore(load_checkpoint(resume_path), resume_path)
        else:
            self.T.manual_seed(self.seed)
            self.history, self.epoch, self.global_step = History(), 0, 0
            self._elapsed_before, self._last_finite = 0.0, None
            self._train_seconds = self._train_cpu_seconds = 0.0
            if self.run is not None:
                self.run.truncate_metrics(0)
        self._join_processes()

        try:
            with steps_reuse_memory():   # each step's activations reuse the last step's pages (see allocator.py)
                for epoch in range(self.epoch + 1, epochs + 1):
                    if self.stop_training:
                        break
                    self._run_epoch(epoch, epochs, epoch_batches(epoch), val_x, val_y, eval_batch_size, steps_per_epoch)
        except TrainingDiverged as diverged:
            self._end_callbacks()
            self.log(str(diverged))
            self._write_summary("diverged", message=str(diverged), epochs_planned=epochs)
            raise
        except BaseException as error:  # KeyboardInterrupt included: leave a record, then re-raise
            status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            with contextlib.suppress(OSError):  # a full disk must not hide the error that stopped the run
                self._write_summary(status, message=f"{type(error).__name__}: {error}", epochs_planned=epochs)
            if isinstance(error, KeyboardInterrupt) and self.run is not None:
                error.add_note(f"{self.run.path} keeps its last checkpoint and summary.json (status interrupted); "
                               f"continue with `neuralab train --resume {self.run.path}`")
            raise
        self._end_callbacks()
        status = "early_stopped" if self.stop_training and self.epoch < epochs else "completed"
        self._write_summary(status, epochs_planned=epochs)
        return self.history

    def evaluate(self, data: tuple[np.ndarray, np.ndarray | None] | np.ndarray, batch_size: int = 1000, split: str | None = "test") -> dict[str, float]:
        """Mean loss (and accuracy when it applies) over ``data``, in eval mode without gradients.

        With a run attached and ``split`` set, one line goes to ``metrics.jsonl`` and
        ``<split>_loss``/``<split>_accuracy`` into ``summary.json``'s metrics.
        """
        x, y = _split(data, split or "data")
        self._float_dtype = _float_dtype_of(self.model)
        if self.loss_fn is None and self.compute_loss is None:
            raise ValueError("evaluate needs the Trainer's loss_fn or compute_loss (a train_step alone defines no loss)")
        started = time.perf_counter()
        results = self._evaluate_arrays(x, y, batch_size)
        if self.run is not None and split:
            self.run.log(epoch=self.epoch or None, split=split, loss=results["loss"], accuracy=results.get("accuracy"),
                         lr=None, time_s=time.perf_counter() - started)
            self.run.update_summary(metrics={f"{split}_{k}": v for k, v in results.items()})
        return results

    def predict(self, x: np.ndarray, batch_size: int = 1000,
                fn: Callable[[Any, Any], Any] | None = None) -> np.ndarray | tuple[np.ndarray, ...]:
        """The model's outputs for ``x`` as NumPy (a tuple of arrays if the model returns a tuple).

        ``fn(model, x_batch)`` replaces ``model(x_batch)``, e.g. ``lambda m, xb: m.encoder(xb)``
        for an autoencoder's codes or ``lambda m, z: m.decode(z)`` to decode latents."""
        x = np.asarray(x)
        self._float_dtype = _float_dtype_of(self.model)
        self.model.eval()
        chunks: list[Any] = []
        with self.T.no_grad():
            for start in range(0, len(x), batch_size):
                batch = self._to_engine(x[start:start + batch_size])
                out = self.model(batch) if fn is None else fn(self.model, batch)
                chunks.append(tuple(to_numpy(o) for o in out) if isinstance(out, (tuple, list)) else to_numpy(out))
        if not chunks:
            raise ValueError("predict got no samples")
        if isinstance(chunks[0], tuple):
            return tuple(np.concatenate(parts) for parts in zip(*chunks))
        return np.concatenate(chunks)

    @property
    def lr(self) -> float:
        """The current learning rate of the first parameter group."""
        return float(self.optimizer.param_groups[0]["lr"])

    def log(self, message: str) -> None:
        """Print a line (through tqdm so bars stay intact) unless ``progress=False``."""
        if self.progress:
            tqdm.write(message)

    def load_model_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Load NumPy weights (``name -> array``) into the model."""
        load_model_state(self.model, arrays, self.T, source="saved weights")

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything an exact resume needs, as a tree for ``save_checkpoint``."""
        return {
            "engine": self.engine_name,
            "epoch": self.epoch,
            "global_step": self.global_step,
            "stop_training": self.stop_training,
            "elapsed_s": self._elapsed_before + (time.perf_counter() - self._fit_started),
            "last_finite_loss": list(self._last_finite) if self._last_finite else None,
            "train_time_s": self._train_seconds,
            "train_cpu_s": self._train_cpu_seconds,
            "fit": dict(self._fit_settings),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.spec if self.schedule else None,
            "scheduler": self.schedule.state_dict() if self.schedule else None,
            "history": self.history.to_dict(),
            "rng": self._rng_state(),
            "callbacks": {key: cb.state_dict() for key, cb in self._callback_keys().items()},
            "extra": self._extra_state(),
            # The run's settings as trained, so a resume can refuse an edited config.json.
            "run_config": self.run.read_config() if self.run is not None and self.run.config_path.exists() else None,
        }

    def default_step(self, batch: tuple[Any, Any]) -> dict[str, float]:
        """zero_grad -> loss -> backward -> (clip the global norm) -> step on ``batch = (x, y)``.

        Returns ``{"loss": value}`` and, where accuracy applies, ``"correct"`` (a count)."""
        xb, yb = batch
        self.optimizer.zero_grad()
        loss, outputs = self._parallel(xb, yb) if self._parallel is not None else self._forward(xb, yb)
        value = float(loss.item())
        if not math.isfinite(value):
            raise self._diverged(f"the training loss became {value}", value)
        loss.backward()
        if self.clip_grad_norm is not None:
            norm = _as_float(clip_gradients(self.T, self.model.parameters(), self.clip_grad_norm))
            if not math.isfinite(norm):
                raise self._diverged(f"the gradient norm became {norm}", norm)
        self.optimizer.step()
        results = {"loss": value}
        hits = self._correct(outputs, yb)
        if hits is not None:
            results["correct"] = hits
        return results

    # ================================================================== one epoch

    def _run_epoch(self, epoch, epochs, batches, val_x, val_y, eval_batch_size, steps) -> None:
        started = time.perf_counter()
        lr = self.lr  # the rate the epoch starts with
        for callback in self.callbacks:
            callback.on_epoch_start(self, epoch)
        train = self._train_epoch(epoch, epochs, batches, steps)
        val = self._evaluate_arrays(val_x, val_y, eval_batch_size) if val_x is not None else {}
        self._check_finite_epoch(epoch, val)
        row = {
            "epoch": epoch,
            "train_loss": train.pop("loss", None),
            "train_accuracy": train.pop("accuracy", None),
            "val_loss": val.get("loss"),
            "val_accuracy": val.get("accuracy"),
            "lr": lr,
            "epoch_time_s": time.perf_counter() - started,
        }
        if self.schedule is not None:
            self.schedule.step_epoch(row)
        self.history.append(**row)
        self.epoch = epoch
        if self.run is not None:  # a step's other numbers (a GAN's d_loss, ...) go beside the loss, or replace it
            scores = {"loss": row["train_loss"], "accuracy": row["train_accuracy"]} if row["train_loss"] is not None else {}
            self.run.log(epoch=epoch, split="train", **scores, lr=lr, time_s=row["epoch_time_s"], **train)
            if val:
                self.run.log_epoch(epoch, "val", row["val_loss"], row["val_accuracy"], lr, row["epoch_time_s"])
        self.log(_epoch_line(row, epochs, train))
        for callback in self.callbacks:
            callback.on_epoch_end(self, epoch, {**row, **train})

    def _array_batches(self, x, y, epoch, batch_size, shuffle, steps) -> Iterable[tuple[Any, int]]:
        """``((x_batch, y_batch), samples)`` as engine tensors, in the order of :func:`epoch_permutation`."""
        n = len(x)
        order = epoch_permutation(self.seed, epoch, n) if shuffle else np.arange(n)
        augment_rng = np.random.default_rng([self.seed, epoch, 1]) if self.augment else None
        for batch in range(steps):
            index = distributed.share(order[batch * batch_size:(batch + 1) * batch_size])  # all of it on one process
            x_batch = x[index] if augment_rng is None else self.augment(x[index], augment_rng)
            yield (self._to_engine(x_batch), self._to_engine(y[index]) if y is not None else None), len(index)

    def _source_batches(self, source: BatchSource, epoch, steps) -> Iterable[tuple[Any, int]]:
        """``(batch, 1)`` for the first ``steps`` batches of ``source(epoch, default_rng([seed, epoch]))``."""
        for batch in itertools.islice(source(epoch, np.random.default_rng([self.seed, epoch])), steps):
            parts = distributed.share_batch(batch if isinstance(batch, tuple) else (batch,))
            yield tuple(self._to_engine(part) if part is not None else None for part in parts), 1

    def _train_epoch(self, epoch, epochs, batches, steps) -> dict[str, float]:
        """Sample-weighted means of what each step returned (``accuracy`` from its ``correct`` counts)."""
        self.model.train()
        started, cpu_started = time.perf_counter(), time.process_time()
        totals: dict[str, float] = {}
        seen, correct, counted = 0, 0, 0
        bar = tqdm(total=steps, desc=f"epoch {epoch}/{epochs}", leave=False, unit="batch",
                   disable=None if self.progress else True, dynamic_ncols=True)
        try:
            for batch, (data, weight) in enumerate(batches):
                self._position = (epoch, batch, steps)
                results = self.train_step(data)
                for name, value in results.items():
                    if name != "correct" and not math.isfinite(value):
                        raise self._diverged(f"the training {name} became {value}", value)
                self.global_step += 1
                if self.schedule is not None:
                    self.schedule.step_batch()
                first = "loss" if "loss" in results else next(iter(results))
                self._last_finite = (results[first], epoch, self.global_step, first)
                for name, value in results.items():
                    if name == "correct":
                        correct += value
                        counted += weight
                    else:
                        totals[name] = totals.get(name, 0.0) + value * weight
                seen += weight
                if bar.disable is False:
                    postfix = {name: f"{total / seen:.4f}" for name, total in totals.items()}
                    if counted:
                        postfix["acc"] = f"{correct / counted:.2%}"
                    bar.set_postfix(postfix, refresh=False)
                    bar.update()
                logs = {"epoch": epoch, "batch": batch + 1, **{k: v for k, v in results.items() if k != "correct"}}
                for callback in self.callbacks:
                    callback.on_batch_end(self, self.global_step, logs)
        finally:
            bar.close()
            self._train_seconds += time.perf_counter() - started
            self._train_cpu_seconds += time.process_time() - cpu_started
        results = {name: total / seen for name, total in totals.items()}
        if counted:
            results["accuracy"] = correct / counted
        return results


    def _evaluate_arrays(self, x, y, batch_size) -> dict[str, float]:
        self.model.eval()
        total_loss, seen, correct, counted = 0.0, 0, 0, 0
        with self.T.no_grad():
            for start in range(0, len(x), batch_size):
                xs = x[start:start + batch_size]
                ys = y[start:start + batch_size] if y is not None else None
                loss, outputs = self._forward(self._to_engine(xs), self._to_engine(ys) if ys is not None else None)
                total_loss += float(loss.item()) * len(xs)
                seen += len(xs)
                hits = self._correct(outputs, ys)
                if hits is not None:
                    correct += hits
                    counted += len(xs)
        if not seen:
            raise ValueError("evaluate got no samples")
        results = {"loss": total_loss / seen}
        if counted:
            results["accuracy"] = correct / counted
        return results

    def _forward(self, xb, yb) -> tuple[Any, Any]:
        if self.compute_loss is not None:
            return self.compute_loss(self.model, xb, yb)
        outputs = self.model(xb)
        return self.loss_fn(outputs, yb), outputs

    def _correct(self, outputs, targets: Any) -> int | None:
        """Correct predictions in a batch (targets as NumPy or engine tensor), or None when accuracy does not apply."""
        if "accuracy" not in self.metrics or outputs is None or targets is None:
            return None
        targets = to_numpy(targets)
        if targets.ndim != 1 or targets.dtype.kind not in "iu":
            return None
        shape = tuple(outputs.shape)
        if len(shape) != 2 or shape[1] < 2:
            return None
        predicted = to_numpy(outputs.argmax(1))
        return int(np.count_nonzero(predicted == targets))

    def _to_engine(self, array: np.ndarray) -> Any:
        """NumPy -> engine tensor on the device: floats in the model's dtype, integers as int64."""
        array = np.asarray(array)
        if array.dtype.kind == "f" and array.dtype != self._float_dtype:
            array = array.astype(self._float_dtype)
        elif array.dtype.kind in "iu" and array.dtype != np.int64:
            array = array.astype(np.int64)
        if not (array.flags.writeable and array.flags.c_contiguous):
            array = np.array(array, copy=True, order="C")
        tensor = self.T.from_numpy(array)
        return tensor.to(self.device) if self.device != "cpu" else tensor

    def _join_processes(self) -> None:
        """In a distributed run, wrap the default step's loss (``loss_fn`` or ``compute_loss``) in
        DDP once, after any resume, so every process starts from the same restored weights.
        A task's own ``train_step`` (a GAN's two optimizers) is not covered."""
        if not distributed.is_distributed() or self._parallel is not None:
            return
        if self.train_step != self.default_step:
            raise ValueError("distributed training (--nproc > 1) covers the tasks trained by the default step "
                             "(loss_fn or compute_loss); this task brings its own train_step (a GAN's D and G "
                             "turns), whose gradients DDP would not average. Train it with one process.")
        self._parallel = distributed.wrap(self.model, self.device, self._forward,
                                          find_unused=self.compute_loss is not None)

    # ================================================================== divergence

    def _check_finite_epoch(self, epoch: int, val: dict[str, float]) -> None:
        """Refuse to finish an epoch (and so to checkpoint it) with non-finite weights or val loss."""
        if val and not math.isfinite(val["loss"]):
            raise self._diverged(f"the validation loss became {val['loss']}", val["loss"], end_of=epoch)
        for name, value in self.model.state_dict().items():
            array = to_numpy(value)
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise self._diverged(f"the weights {name!r} hold NaN/Inf", float("nan"), end_of=epoch)

    def _diverged(self, what: str, value: float, end_of: int | None = None) -> TrainingDiverged:
        """The error for a non-finite ``value``: in the step now running, or at the end of epoch ``end_of``."""
        if end_of is None:
            epoch, batch, steps = self._position
            where = f"epoch {epoch}, step {self.global_step + 1} (batch {batch + 1}/{steps})"
        else:
            epoch, where = end_of, f"epoch {end_of} (end of epoch)"
        if self._last_finite is not None:
            last_value, last_epoch, last_step, name = (*self._last_finite, "loss")[:4]
            last = f"the last finite training {name} was {last_value:.4g} (epoch {last_epoch}, step {last_step})"
        else:
            last = "no step had a finite loss"
        hint = f"lower the learning rate (now {self.lr:g})"
        if self.clip_grad_norm is None:
            hint += " or enable clip_grad_norm (e.g. clip_grad_norm=1.0)"
        else:
            hint += f" or lower clip_grad_norm (now {self.clip_grad_norm:g})"
        checkpoint = next((cb.last_path for cb in self.callbacks if isinstance(cb, ModelCheckpoint) and cb.save_last and cb.has_last()), None)
        if checkpoint is not None:
            kept = f"The last good checkpoint (epoch {self.epoch}) is kept at {checkpoint_paths(checkpoint)[0]}."
        else:
            kept = "No checkpoint of a good epoch exists yet."
        message = f"training diverged at {where}: {what}; {last}. Try: {hint}. {kept}"
        last_loss = self._last_finite[0] if self._last_finite else None
        return TrainingDiverged(message, epoch=epoch, step=self.global_step + 1, value=value,
                                last_finite_loss=last_loss, lr=self.lr, checkpoint=checkpoint)

    # ================================================================== resume

    def _resume_path(self, resume: str | Path | bool | None) -> Path | None:
        if resume is None or resume is False:
            return None
        if resume is True or resume == "auto":
            last = next((cb.last_path for cb in self.callbacks if isinstance(cb, ModelCheckpoint)), None)
            if last is None:
                raise ValueError("resume=True/'auto' needs a run or a ModelCheckpoint callback to know where 'last' lives")
            exists = all(p.exists() for p in checkpoint_paths(last))
            if resume == "auto" and not exists:
                return None
            return last
        return Path(resume)

    def _restore(self, state: dict[str, Any], source: Path) -> None:
        missing = [key for key in RESUME_KEYS if key not in state]
        if missing:
            raise CheckpointError(f"{source} lacks {', '.join(missing)}: a checkpoint from an older neuralab (or damaged) "
                                  "cannot continue a run exactly; its weights still load (neuralab eval, load_weights)")
        self._check_run_config(state.get("run_config"), source)
        if state.get("engine") != self.engine_name:
            raise CheckpointError(
                f"{source} was written by the {state.get('engine')} engine; resuming needs the same engine "
                f"(this Trainer runs {self.engine_name}). To start from its weights use load_weights()."
            )
        saved_fit = state.get("fit", {})
        for key in ("seed", "batch_size", "train_size", "shuffle", "drop_last"):
            if key in saved_fit and saved_fit[key] != self._fit_settings[key]:
                warnings.warn(f"resuming with {key}={self._fit_settings[key]!r} but the checkpoint used "
                              f"{saved_fit[key]!r}: the run will not match an uninterrupted one", stacklevel=3)
        if (state.get("schedule") or None) != (self.schedule.spec if self.schedule else None):
            raise CheckpointError(f"{source} was trained with schedule {state.get('schedule')} but this fit builds "
                                  f"{self.schedule.spec if self.schedule else None}; resume with the same schedule and epochs")
        load_model_state(self.model, state["model"], self.T, source=source)
        load_optimizer_state(self.optimizer, state["optimizer"], self.T, source=source)
        if self.schedule is not None:
            self.schedule.load_state_dict(state["scheduler"])
        self.history = History.from_dict(state["history"])
        self._set_rng_state(state["rng"])
        saved_callbacks = state.get("callbacks", {})
        for key, callback in self._callback_keys().items():
            if key in saved_callbacks:
                callback.load_state_dict(saved_callbacks[key])
        self.epoch = int(state["epoch"])
        self.global_step = int(state["global_step"])
        self.stop_training = bool(state.get("stop_training", False))
        self._elapsed_before = float(state.get("elapsed_s", 0.0))
        self._last_finite = tuple(state["last_finite_loss"]) if state.get("last_finite_loss") else None
        self._train_seconds = float(state.get("train_time_s", 0.0))
        self._train_cpu_seconds = float(state.get("train_cpu_s", 0.0))
        self._load_extra_state(state.get("extra", {}))
        if self.run is not None:
            self.run.truncate_metrics(self.epoch)
        self.log(f"resumed from {source} after epoch {self.epoch}")

    def _check_run_config(self, saved: dict[str, Any] | None, source: Path) -> None:
        """Refuse a resume whose run's ``config.json`` differs from the settings its checkpoint was trained with."""
        if saved is None or self.run is None or not self.run.config_path.exists():
            return  # a checkpoint older than this check, or a Trainer without a run
        now = self.run.read_config()
        if saved.get("recipe") != now.get("recipe"):
            raise CheckpointError(f"{source} was written by a {saved.get('recipe')!r} run; {self.run.path} is a "
                                  f"{now.get('recipe')!r} run: a checkpoint resumes only the run that wrote it")
        changes = _changed_keys(saved, now)
        if changes:
            shown = "; ".join(f"{key}: {_short_json(before)} -> {_short_json(after)}" for key, before, after in changes[:4])
            raise CheckpointError(
                f"{self.run.config_path} was edited after {source} was written ({shown}"
                f"{'; ...' if len(changes) > 4 else ''}): --resume continues a run with the settings it was trained "
                "with. Put the old values back, or start a new run with the new settings (--set KEY=VALUE)")

    def _callback_keys(self) -> dict[str, Callback]:
        """Stable names for callback state: the class name, ``#2``... for repeats."""
        keys: dict[str, Callback] = {}
        for callback in self.callbacks:
            name = type(callback).__name__
            key, count = name, 1
            while key in keys:
                count += 1
                key = f"{name}#{count}"
            keys[key] = callback
        return keys

    def _rng_state(self) -> dict[str, Any]:
        return rng_state(self.T, self.device)

    def _set_rng_state(self, state: dict[str, Any]) -> None:
        set_rng_state(self.T, state)

    def _extra_state(self) -> dict[str, Any]:
        extra = getattr(self.train_step, "extra_state", None)
        return extra() if extra is not None else {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        load = getattr(self.train_step, "load_extra_state", None)
        if load is not None:
            load(state)

    # ================================================================== ending

    def _end_callbacks(self) -> None:
        for callback in self.callbacks:
            callback.on_fit_end(self)

    def _write_summary(self, status: str, message: str | None = None, epochs_planned: int | None = None) -> None:
        if self.run is None:
            return
        final = None
        if len(self.history):
            index = self.history.epoch.index(self.restored_epoch) if self.restored_epoch in self.history.epoch else -1
            final = self.history.row(index)
        metrics = {}
        if final:
            metrics = {k: final[k] for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy") if final[k] is not None}
        fields = {
            "recipe": self.run.recipe,
            "engine": self.engine_name,
            "device": str(self.device),
            "seed": self.seed,
            "epochs": self.epoch,
            "epochs_planned": epochs_planned,
            "wall_time_s": self._elapsed_before + (time.perf_counter() - self._fit_started),
            "train_time_s": self._train_seconds,
            "train_cpu_s": self._train_cpu_seconds,
            "status": status,
            "weights_from_epoch": final["epoch"] if final else None,
        }
        if message:
            fields["message"] = message
        self.run.update_summary(metrics=metrics, **fields)


# ====================================================================== helpers


def _split(data: Any, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(data, (tuple, list)):
        if len(data) != 2:
            raise ValueError(f"{name} data must be (x, y) or x; got a sequence of {len(data)} items")
        x, y = data
    else:
        x, y = data, None
    x = np.asarray(x)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(f"{name}: x has {len(x)} samples but y has {len(y)}")
    if len(x) == 0:
        raise ValueError(f"{name} data is empty")
    return x, y


def _changed_keys(before: Any, after: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """``(dotted key, before, after)`` for every value that differs between two JSON trees."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in list(before) + [k for k in after if k not in before]:
            changes += _changed_keys(before.get(key, _ABSENT), after.get(key, _ABSENT), f"{prefix}{key}.")
        return changes
    return [] if before == after else [(prefix[:-1], before, after)]


def _short_json(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float(value: Any) -> float:
    return float(value.item()) if hasattr(value, "item") else float(value)


def _float_dtype_of(model: Any) -> np.dtype:
    for parameter in model.parameters():
        dtype = to_numpy(parameter).dtype
        if dtype.kind == "f":
            return dtype
    return np.dtype(np.float32)


def _loss_text(value: float) -> str:
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 else f"{value:.4g}"


def _epoch_line(row: dict[str, Any], epochs: int, others: dict[str, float]) -> str:
    parts = [f"epoch {row['epoch']}/{epochs}"]
    if row["train_loss"] is not None:
        parts.append(f"train loss {_loss_text(row['train_loss'])}")
    parts += [f"{name} {_loss_text(value)}" for name, value in others.items()]
    if row["train_accuracy"] is not None:
        parts.append(f"acc {row['train_accuracy']:.2%}")
    if row["val_loss"] is not None:
        parts.append(f"| val loss {_loss_text(row['val_loss'])}")
        if row["val_accuracy"] is not None:
            parts.append(f"acc {row['val_accuracy']:.2%}")
    parts.append(f"| lr {row['lr']:.3g} | {row['epoch_time_s']:.1f}s")
    return "  ".join(parts)
