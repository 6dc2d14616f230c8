"""Hyperparameter tuning with Optuna: each trial is an ordinary recipe run.

>>> from neuralab import tune
>>> plan = tune.plan("iris-mlp", space=["optimizer.lr=log:1e-3:1e-1"], runs_root="runs")
>>> result = tune.tune(plan, trials=6)
>>> report = tune.write_report(plan, result["study"], wall_time_s=result["wall_time_s"], new_trials=result["new_trials"])

``space.py`` parses ``KEY=SPEC``; ``objective.py`` turns a trial into a run with pruning;
``study.py`` opens (or resumes) the study and runs the trials; ``report.py`` writes the best
config, the figures and ``study.json``.
"""

from neuralab.tune.report import study_folder, write_report
from neuralab.tune.study import PRUNERS, SAMPLERS, default_storage, plan, print_trial, tune

__all__ = ["PRUNERS", "SAMPLERS", "default_storage", "plan", "print_trial", "study_folder", "tune", "write_report"]
