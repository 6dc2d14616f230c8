"""The one shape of a recipe runner: prepare -> Trainer -> fit -> measure -> finish.

Every task module's ``run(config, runs_root, resume, progress)`` reads the same way::

    prepared = prepare(config, runs_root=runs_root, resume=resume, steps_per_epoch=steps)
    trainer = make_trainer(prepared, progress, loss_fn=...)      # or compute_loss / train_step
    history = fit(trainer, prepared, train=..., val=..., resume=resume)
    measured = ...                                               # what only this task measures
    return finish(prepared, measured, progress, **extra_summary_fields)

``prepare`` builds the engine (threads applied), the device, the seeded model, the optimizer
and the run record, and writes ``config.json`` with every optimizer and schedule default
spelled out. The Trainer (``neuralab.train.trainer``) owns the epochs, resume, RNG states,
divergence checks and checkpoints; ``finish`` adds the measures, the target verdicts and
the parameter count to ``summary.json``.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from neuralab import data, engines, models
from neuralab.recipes.config import flatten_keys
from neuralab.recipes.targets import metrics_line, verdicts
from neuralab.train import EarlyStopping, RunRecord, Trainer, distributed
from neuralab.train.history import History
from neuralab.train.optimizers import build_optimizer
from neuralab.train.schedules import resolve_schedule
from neuralab.train.scoped_callbacks import scoped_callbacks
from neuralab.train.tensorboard import TensorBoardLogger, logger_for


@dataclass
class Prepared:
    """What every runner starts from (see :func:`prepare`)."""

    config: dict[str, Any]  # spelled out, with the resolved device: what config.json holds
    T: ModuleType
    device: str
    model: Any
    optimizer: Any
    record: RunRecord
    tensorboard: TensorBoardLogger | None = None  # set by make_trainer; finish logs the run's end through it


def model_options(config: dict[str, Any]) -> dict[str, Any]:
    """The keywords of the model's ``build``: ``config["model"]`` without its name."""
    return {key: value for key, value in config["model"].items() if key != "name"}


def build_model(T: ModuleType, config: dict[str, Any]) -> Any:
    """The model of ``config``, its initial weights drawn from the engine seeded with ``config["seed"]``."""
    T.manual_seed(config["seed"])
    return models.build(config["model"]["name"], T, **model_options(config))


def load_splits(config: dict[str, Any], *, seed_data: bool = False) -> data.Splits:
    """The dataset of ``config`` with ``data.options``; ``seed_data`` passes the run's seed to
    generators that take one (unless the options name it); standardized with training
    statistics when ``data.standardize`` is set."""
    from neuralab.data.transforms import standardize  # noqa: PLC0415 - only runners need it

    name, options = config["data"]["name"], dict(config["data"].get("options", {}))
    if seed_data and "seed" in data.entry(name).options:
        options.setdefault("seed", config["seed"])
    splits = data.load(name, **options)
    return standardize(splits) if config["data"].get("standardize") else splits


def first_of_each_split(splits: data.Splits, n: int | None) -> data.Splits:
    """The first ``n`` examples of the train, val and test splits (all of them when ``n`` is None)."""
    if not n:
        return splits
    cut = {part: data.Split(getattr(splits, part).x[:n], getattr(splits, part).y[:n]) for part in ("train", "val", "test")}
    return dataclasses.replace(splits, **cut)


def schedule_spec(config: dict[str, Any]) -> dict[str, Any] | None:
    """The schedule to build; a one-cycle peak defaults to the optimizer's lr. ``total_steps``
    and a cosine ``T_max`` follow the epochs and steps per epoch, so they are never taken
    from a (possibly stale) config."""
    spec = dict(config["schedule"])
    if not spec.get("name"):
        return None
    if spec["name"] == "onecycle" and spec.get("max_lr") is None:
        spec["max_lr"] = config["optimizer"]["lr"]
    spec.pop("total_steps", None)
    if spec["name"] == "cosine":
        spec.pop("T_max", None)
    return spec


def spell_out(config: dict[str, Any], optimizer: Any, steps_per_epoch: int) -> dict[str, Any]:
    """The config with the optimizer's defaults (tuples such as Adam's ``betas`` as lists) and
    the resolved schedule written in."""
    config = copy.deepcopy(config)
    json_safe = (int, float, str, bool, type(None))
    for key, value in optimizer.defaults.items():
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, json_safe) or (isinstance(value, list) and all(isinstance(v, json_safe) for v in value)):
            config["optimizer"].setdefault(key, value)
    schedule = schedule_spec(config)
    if schedule is not None:
        config["schedule"] = resolve_schedule(schedule, steps_per_epoch=steps_per_epoch, epochs=config["train"]["epochs"])
    return config


def steps_for(samples: int, config: dict[str, Any]) -> int:
    """Optimizer steps in one epoch over ``samples`` training examples (the last batch may be short)."""
    return -(-samples // config["train"]["batch_size"])


def prepare(
    config: dict[str, Any],
    *,
    runs_root: str | Path,
    resume: str | Path | None,
    steps_per_epoch: int,
    build: Callable[[ModuleType, dict[str, Any]], Any] = build_model,
    trained_parameters: Callable[[Any], Any] = lambda model: model.parameters(),
) -> Prepared:
    """Engine, device, seeded model (``build(T, config)``), optimizer over
    ``trained_parameters(model)``, and the run record (``resume``: that run folder) with
    ``config.json`` written."""
    T, device = engines.setup(config["engine"], threads=config["threads"], device=config["device"])
    device = distributed.local_device(device)
    distributed.init_process_group(device)
    model = build(T, config)
    model = model.to(device) or model  # torch returns the module; keep it either way
    optimizer = build_optimizer(T, trained_parameters(model), config["optimizer"])
    config = spell_out(config, optimizer, steps_per_epoch)
    config["device"] = device
    if distributed.rank() > 0:  # only rank 0 writes the run; the others write into a throwaway folder
        record = RunRecord.create(distributed.throwaway_folder(), name=config["recipe"])
    else:
        record = RunRecord.open(resume) if resume else RunRecord.create(runs_root, name=config["recipe"])
        if resume and record.finished():
            raise ValueError(f"{resume} has finished (summary.json: status {record.read_summary()['status']!r}, "
                             f"{record.read_summary().get('epochs')} epochs, results measured): --resume continues an "
                             f"interrupted run. To train longer, start a new one: neuralab train {config['recipe']} --epochs N")
    record.write_config(config)
    return Prepared(config, T, device, model, optimizer, record)


def make_trainer(prepared: Prepared, progress: bool, *, metrics: tuple[str, ...] = (), callbacks: tuple = (), **task: Any) -> Trainer:
    """The Trainer of a prepared run: schedule, gradient clipping, early stopping (when
    ``train.early_stopping.patience`` is set), TensorBoard events (``log``, see
    ``neuralab.train.tensorboard``; the logger is kept at ``prepared.tensorboard`` for
    :func:`finish`), seed and run record from the config. ``task`` holds what the task brings:
    ``loss_fn``, ``compute_loss``, ``train_step``, ``augment``."""
    config = prepared.config
    train = config["train"]
    stopping = train["early_stopping"]
    callbacks = (*callbacks, *scoped_callbacks())  # e.g. the tuner's per-epoch report to Optuna
    if stopping["patience"]:
        callbacks = (*callbacks, EarlyStopping(monitor=stopping["monitor"], patience=stopping["patience"],
                                               min_delta=stopping["min_delta"]))
    prepared.tensorboard = logger_for(prepared.record, config["log"], flatten_keys(config))
    if prepared.tensorboard is not None:
        callbacks = (*callbacks, prepared.tensorboard)
    return Trainer(prepared.model, prepared.optimizer, engine=prepared.T, device=prepared.device,
                   schedule=schedule_spec(config), clip_grad_norm=train["clip_grad_norm"], metrics=metrics,
                   callbacks=callbacks, seed=config["seed"], progress=progress, run=prepared.record, **task)


def fit(trainer: Trainer, prepared: Prepared, train: Any, val: Any = None, *, resume: str | Path | None,
        **options: Any) -> History:
    """``trainer.fit`` with the config's epochs and batch sizes (``options`` may override them or add
    ``steps_per_epoch``), continuing the run's ``last`` checkpoint when ``resume`` is set."""
    config = prepared.config
    settings = {"epochs": config["train"]["epochs"], "batch_size": config["train"]["batch_size"],
                "eval_batch_size": config["eval"]["batch_size"], **options}
    if resume and distributed.rank() > 0:  # its own record is a throwaway folder: read rank 0's checkpoint
        return trainer.fit(train, val, resume=Path(resume), **settings)
    # "auto": a run stopped before its first checkpoint starts again from epoch 1 (what an uninterrupted run did).
    return trainer.fit(train, val, resume="auto" if resume else None, **settings)


def finish(prepared: Prepared, measured: dict[str, Any], progress: bool, **fields: Any) -> dict[str, Any]:
    """The measures, their target verdicts, the parameter count and ``fields`` into
    ``summary.json`` (then the figures, metrics and hyperparameters into the run's TensorBoard
    events); prints the measures when ``progress``. Returns the summary."""
    if progress:
        print(metrics_line(measured), flush=True)
    record = prepared.record
    summary = record.update_summary(metrics=measured, targets=verdicts(prepared.config["targets"], measured),
                                    parameters=models.count_parameters(prepared.model), **fields,
                                    run_dir=str(record.path))
    if prepared.tensorboard is not None:
        prepared.tensorboard.log_run_end(summary)
    return summary
