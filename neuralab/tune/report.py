"""What a study leaves behind in ``RUNS/tune/<study>/``: the best config, the figures, a summary.

* ``best-config.json``: the recipe's resolved config with the best trial's values set, a file
  ``neuralab train --config FILE`` trains as it is;
* ``history.png``, ``importances.png``, ``parallel-coordinates.png``: Optuna's own figures
  (``optuna.visualization.matplotlib``) of the whole study, resumed parts included;
* ``study.json``: trial counts by state, the best trial, the best few, the storage.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from neuralab.io import atomic_path, atomic_write_json
from neuralab.tune.objective import best_values, configured
from neuralab.tune.study import StudyPlan

FIGURES = {"history": "plot_optimization_history", "importances": "plot_param_importances",
           "parallel-coordinates": "plot_parallel_coordinate"}


def study_folder(plan: StudyPlan) -> Path:
    """``RUNS/tune/<study>`` (the name made safe for a folder)."""
    return Path(plan.runs_root) / "tune" / (re.sub(r"[^A-Za-z0-9_.-]+", "-", plan.study_name).strip("-.") or "study")


def ranked(study: Any, top: int) -> list[Any]:
    """The ``top`` complete trials, best first."""
    complete = [t for t in study.trials if t.state.name == "COMPLETE" and t.value is not None]
    return sorted(complete, key=lambda t: t.value, reverse=study.direction.name == "MAXIMIZE")[:top]


def counts(study: Any) -> dict[str, int]:
    """Trials by state: ``{"complete": 9, "pruned": 5, "fail": 0, ...}`` (states that occur)."""
    tally: dict[str, int] = {}
    for trial in study.trials:
        tally[trial.state.name.lower()] = tally.get(trial.state.name.lower(), 0) + 1
    return tally


def write_report(plan: StudyPlan, study: Any, *, wall_time_s: float, new_trials: int, top: int = 5) -> dict[str, Any]:
    """Best config, figures and ``study.json`` in :func:`study_folder`; returns what ``study.json`` holds."""
    folder = study_folder(plan)
    folder.mkdir(parents=True, exist_ok=True)
    best = ranked(study, top)
    report: dict[str, Any] = {
        "study": plan.study_name, "storage": plan.storage, "recipe": plan.recipe, "metric": plan.metric,
        "direction": plan.direction, "sampler": plan.sampler, "pruner": plan.pruner,
        "space": [f"{key}={d.spec}" for key, d in plan.space.items()],
        "trials": counts(study), "new_trials": new_trials, "wall_time_s": wall_time_s,
        "best": [trial_row(t) for t in best], "folder": str(folder),
    }
    if best:
        best_config = configured(plan.base, best_values(plan.space, best[0].params))
        atomic_write_json(folder / "best-config.json", best_config)
        report["best_config"] = str(folder / "best-config.json")
    report["figures"], report["figures_skipped"] = draw_figures(study, folder)
    atomic_write_json(folder / "study.json", report)
    return report


def trial_row(trial: Any) -> dict[str, Any]:
    """One line of the best-trials table."""
    return {"number": trial.number, "value": trial.value, "params": trial.params,
            "test": {k: v for k, v in trial.user_attrs.items() if k.startswith("test_")},
            "epochs": max(trial.intermediate_values) if trial.intermediate_values else None,
            "run_dir": trial.user_attrs.get("run_dir"),
            "seconds": trial.duration.total_seconds() if trial.duration else None}


def draw_figures(study: Any, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Optuna's figures as PNGs; a figure Optuna cannot draw yet (importances need two finished
    trials that differ) is skipped with its reason."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import optuna  # noqa: PLC0415
    from optuna.visualization import matplotlib as plots  # noqa: PLC0415

    drawn, skipped = [], {}
    for name, function in FIGURES.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "experimental" and empty-study warnings
                axes = getattr(plots, function)(study)
        except (ValueError, RuntimeError, ZeroDivisionError, optuna.exceptions.OptunaError) as error:
            skipped[name] = str(error)
            continue
        figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
        figure.set_size_inches(9, 5.5)
        figure.tight_layout()
        path = folder / f"{name}.png"
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format="png", dpi=110)
        plt.close(figure)
        drawn.append(str(path))
    return drawn, skipped
