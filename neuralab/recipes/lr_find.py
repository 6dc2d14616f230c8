"""The learning-rate range test on a recipe: its own data, model, optimizer, loss and batches.

The sweep (``neuralab.train.lr_find``) rides on the recipe's ordinary runner: the runner
builds everything as ``neuralab train`` does (``common.prepare``, ``load_splits``,
``build_model``, the task's loss or step, augmentation), and a scoped :class:`LRSweep`
callback sets each step's lr and ends the fit when the sweep is over. The runner's own run
folder is a throwaway (a temporary folder, deleted): no run is written or touched. What
stays is the sweep's folder::

    runs/lr-find-<recipe>-<YYYYmmdd-HHMMSS>/
        lr_find.json         the lrs, losses, smoothed losses, the stop reason, the suggestion
                             and its rule, the config the sweep trained
        figures/lr-find.png  loss against lr
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

from neuralab import recipes
from neuralab.io import atomic_write_json
from neuralab.train import RunRecord, TrainingDiverged
from neuralab.train.lr_find import LRSweep, SweepFinished
from neuralab.train.scoped_callbacks import added_callbacks
from neuralab.viz.lr_find import plot_lr_find


def sweep_config(config: dict[str, Any], steps: int) -> dict[str, Any]:
    """The recipe's config for a sweep: the sweep sets every lr (no schedule), nothing stops it
    early, enough epochs for ``steps`` batches, and no TensorBoard events of the throwaway run."""
    config = copy.deepcopy(config)
    config["schedule"] = {"name": None}
    config["train"]["early_stopping"]["patience"] = None
    config["train"]["epochs"] = max(config["train"]["epochs"], steps)  # every epoch has at least one batch
    config["log"]["tensorboard"] = False
    return config


def find_lr(config: dict[str, Any], *, start: float = 1e-7, end: float = 10.0, steps: int = 100,
            runs_root: str | Path = "runs") -> dict[str, Any]:
    """Sweep ``steps`` lrs from ``start`` to ``end`` on the recipe of ``config`` (a resolved config);
    writes the sweep folder (module docstring) and returns ``lr_find.json``'s content with
    ``folder`` and ``figure`` added."""
    sweep = LRSweep(start, end, steps)
    trained = sweep_config(config, steps)
    throwaway = Path(tempfile.mkdtemp(prefix="neuralab-lr-find-"))
    try:
        with added_callbacks(sweep):
            recipes.run(trained, runs_root=throwaway, progress=False)
    except SweepFinished:
        pass
    except TrainingDiverged as diverged:
        sweep.diverged(diverged.value)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM: not the Trainer's note about resuming the throwaway run
        stopped = type(interrupt)()
        stopped.add_note(f"lr-find stopped after {len(sweep.losses)} of {steps} lrs; nothing was written")
        raise stopped from None
    finally:
        shutil.rmtree(throwaway, ignore_errors=True)
    result = sweep.result()
    record = RunRecord.create(runs_root, name=f"lr-find-{config['recipe']}")
    record.checkpoints_dir.rmdir()  # a sweep keeps no weights
    figure = plot_lr_find(result, record.figure_path("lr-find"),
                          title=f"lr-find {config['recipe']} ({config['engine']}, {config['optimizer']['name']}, "
                                f"batch {config['train']['batch_size']})",
                          recipe_lr=config["optimizer"]["lr"])
    report = {"recipe": config["recipe"], "engine": config["engine"], "optimizer": config["optimizer"]["name"],
              "recipe_lr": config["optimizer"]["lr"], "batch_size": config["train"]["batch_size"],
              **result.to_dict(), "config": trained}
    atomic_write_json(record.path / "lr_find.json", report)
    return {**report, "folder": str(record.path), "figure": str(figure)}
