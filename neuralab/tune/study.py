"""``tune(recipe, trials=N, ...)``: an Optuna study whose trials are recipe runs.

The study lives in an Optuna storage: by default the SQLite file ``RUNS/tune.db`` (embedded,
nothing to start); any Optuna RDB URL (``postgresql://...``, ``mysql+pymysql://...``) lets
workers on several machines share one study. The same study name on the same storage
continues the study (its earlier trials still count and still guide the sampler).

Samplers: TPE (default), random, grid (ranges become ends and middle, see ``tune.space``; one process only).
Pruners: median (a trial whose metric after epoch k is worse than the median of earlier
trials at epoch k stops), Hyperband (successive halving over epochs 1..E), none.

``jobs > 1`` runs trials in that many processes, each with its own engine and a share of
the CPU threads, all writing to the same storage; a process per trial keeps torch's global
RNG and thread settings apart, which threads would share.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from neuralab import extras, recipes
from neuralab.recipes.search_spaces import search_space
from neuralab.train.trainer import TrainingDiverged
from neuralab.tune.objective import TrialRunner, check_space, objective_metric
from neuralab.tune.space import Dimension, parse_all, spec_of

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")


@dataclass(frozen=True)
class StudyPlan:
    """What :func:`tune` was asked for, resolved: the study, its objective and how to run it."""

    recipe: str
    study_name: str
    storage: str
    runs_root: str
    space: dict[str, Dimension]
    metric: str
    direction: str
    sampler: str
    pruner: str
    base: dict[str, Any]


def default_storage(runs_root: str | os.PathLike) -> str:
    """``sqlite:////abs/RUNS/tune.db``: the study file next to the run folders."""
    return f"sqlite:///{Path(runs_root).resolve() / 'tune.db'}"


def plan(recipe: str, *, space: Iterable[str] = (), storage: str | None = None, study_name: str | None = None,
         runs_root: str | os.PathLike = "runs", sampler: str = "tpe", pruner: str = "median",
         engine: str | None = None, overrides: Iterable[str] = ()) -> StudyPlan:
    """Resolve the recipe, parse and check the space (the recipe's default one when ``space`` is
    empty), choose the metric; nothing is trained and no storage is touched."""
    if sampler not in SAMPLERS:
        raise ValueError(f"--sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    if pruner not in PRUNERS:
        raise ValueError(f"--pruner must be one of {', '.join(PRUNERS)}; got {pruner!r}")
    base = recipes.resolve(recipe, engine=engine, overrides=overrides)
    dimensions = parse_all(list(space) or search_space(recipe, base))
    check_space(base, dimensions)
    metric, direction = objective_metric(base)
    Path(runs_root).mkdir(parents=True, exist_ok=True)
    return StudyPlan(recipe=recipe, study_name=study_name or recipe, storage=storage or default_storage(runs_root),
                     runs_root=str(runs_root), space=dimensions, metric=metric, direction=direction,
                     sampler=sampler, pruner=pruner, base=base)


def make_sampler(optuna: Any, plan: StudyPlan, seed: int) -> Any:
    if plan.sampler == "grid":
        return optuna.samplers.GridSampler({key: d.grid() for key, d in plan.space.items()}, seed=seed)
    if plan.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def make_pruner(optuna: Any, plan: StudyPlan, trials: int) -> Any:
    """Median: compares from the first epoch once a few trials have finished (a quarter of the
    budget, 1 to 5). Hyperband: brackets over epochs 1..E of the recipe."""
    if plan.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=min(5, max(1, trials // 4)), n_warmup_steps=1)
    if plan.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=plan.base["train"]["epochs"], reduction_factor=3)
    return optuna.pruners.NopPruner()


def open_study(plan: StudyPlan, trials: int, worker: int = 0) -> Any:
    """Create the study, or load it when the storage already has one of that name (a resume).
    The sampler's seed moves with the worker and the trials already stored, else parallel workers
    and a resumed study would draw the values of earlier trials again."""
    optuna = extras.require("optuna", "tune", "neuralab tune")
    import sqlalchemy.exc  # noqa: PLC0415 - Optuna's RDB storage is built on it

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(study_name=plan.study_name, storage=plan.storage, load_if_exists=True,
                                    direction=plan.direction, pruner=make_pruner(optuna, plan, trials))
    except (ImportError, ModuleNotFoundError) as error:  # a driver for postgresql:// or mysql:// missing
        raise ValueError(f"storage {plan.storage!r} needs a database driver that is not installed ({error})") from None
    except (optuna.exceptions.OptunaError, sqlalchemy.exc.SQLAlchemyError) as error:  # a bad URL, a database not reached
        raise ValueError(f"cannot open study {plan.study_name!r} in {plan.storage}: {str(error).splitlines()[0]}") from None
    study.sampler = make_sampler(optuna, plan, plan.base["seed"] + 1009 * worker + len(study.trials))
    known = study.user_attrs.get("recipe")
    if known is not None and known != plan.recipe:
        raise ValueError(f"study {plan.study_name!r} in {plan.storage} tunes {known!r}, not {plan.recipe!r}: "
                         f"pass another --study")
    if study.direction.name.lower() != plan.direction:
        raise ValueError(f"study {plan.study_name!r} {study.direction.name.lower()}s; {plan.recipe} needs {plan.direction}")
    refuse_changed_kinds(optuna, study, plan)
    study.set_user_attr("recipe", plan.recipe)
    study.set_user_attr("metric", plan.metric)
    study.set_user_attr("space", [f"{key}={d.spec}" for key, d in plan.space.items()])
    return study


def refuse_changed_kinds(optuna: Any, study: Any, plan: StudyPlan) -> None:
    """A key the study's trials drew from another kind of range (or other choices) makes
    Optuna fail every new trial; refuse it before the first, in one sentence."""
    stored = {}
    for trial in study.trials:
        stored.update(trial.distributions)
    for key, dimension in plan.space.items():
        if key not in stored:
            continue
        try:
            optuna.distributions.check_distribution_compatibility(stored[key], dimension.distribution(optuna))
        except ValueError:
            raise ValueError(f"study {plan.study_name!r} in {plan.storage} drew {key} from {spec_of(stored[key])}; "
                             f"--space {key}={dimension.spec} cannot join it (Optuna keeps one kind of range, and one list "
                             f"of choices, per key of a study): pass another --study, or that spec") from None


def tune(plan: StudyPlan, *, trials: int, timeout: float | None = None, jobs: int = 1, on_trial: Any = None) -> dict[str, Any]:
    """Run up to ``trials`` more trials (or until ``timeout`` seconds) of ``plan``'s study;
    ``on_trial(study, frozen_trial)`` is called as each one ends. Returns
    ``{"study", "new_trials", "wall_time_s"}``."""
    if not isinstance(trials, int) or trials < 1:
        raise ValueError(f"--trials must be a whole number >= 1; got {trials!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"--timeout must be a positive number of seconds; got {timeout!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be a whole number >= 1; got {jobs!r}")
    if jobs > 1 and plan.sampler == "grid":  # seen: 2 workers ran two points twice and one never
        raise ValueError("--sampler grid runs in one process: Optuna's grid sampler repeats and skips points across "
                         "parallel workers; leave out --jobs or use --sampler tpe/random")
    study = open_study(plan, trials)
    before = len(study.trials)
    started = time.perf_counter()
    if jobs == 1:
        optimize(study, TrialRunner(plan.base, plan.space, plan.metric, plan.runs_root), before + trials, timeout, on_trial)
    else:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        runner = TrialRunner(plan.base, plan.space, plan.metric, plan.runs_root, threads=threads)
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked torch thread pools
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context) as pool:
            futures = [pool.submit(work, plan, runner, before + trials, timeout, trials, worker) for worker in range(jobs)]
            for future in futures:
                future.result()
    study = open_study(plan, trials)  # reload: worker processes wrote trials this object has not seen
    return {"study": study, "new_trials": len(study.trials) - before, "wall_time_s": time.perf_counter() - started}


def optimize(study: Any, runner: TrialRunner, total: int, timeout: float | None, on_trial: Any) -> None:
    """``study.optimize`` until the study holds ``total`` trials (all workers together) or time is up.
    A run that diverges is a failed trial, not the end of the study."""
    import optuna  # noqa: PLC0415

    callbacks = [optuna.study.MaxTrialsCallback(total, states=None)]
    if on_trial is not None:
        callbacks.append(on_trial)
    remaining = total - len(study.trials)
    if remaining <= 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.optimize(runner, n_trials=remaining, timeout=timeout, catch=(TrainingDiverged,), callbacks=callbacks)


def work(plan: StudyPlan, runner: TrialRunner, total: int, timeout: float | None, trials: int, worker: int) -> None:
    """One worker process of ``jobs > 1``: its own study object on the shared storage."""
    study = open_study(plan, trials, worker)
    optimize(study, runner, total, timeout, print_trial)


def print_trial(study: Any, trial: Any) -> None:
    """One line per finished trial: number, state, value, values tried."""
    values = ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                       for key, value in trial.params.items())
    metric = study.user_attrs.get("metric", "value")
    if trial.state.name == "COMPLETE":
        outcome = f"{metric} {trial.value:.4f}"
    elif trial.state.name == "PRUNED":
        last = max(trial.intermediate_values) if trial.intermediate_values else None
        outcome = f"pruned at epoch {last}" + (f" ({metric} {trial.intermediate_values[last]:.4f})" if last else "")
    else:
        outcome = trial.state.name.lower()
    print(f"trial {trial.number:>3}: {outcome:<36} {values}", flush=True)
