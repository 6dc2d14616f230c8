"""Named experiments: resolve a recipe into a full config, then run it.

>>> from neuralab import recipes
>>> config = recipes.resolve("mnist-mlp", epochs=5, overrides=["model.dropout=0.2"])
>>> summary = recipes.run(config)
"""

from __future__ import annotations

import copy
import difflib
import importlib
import inspect
import json
from pathlib import Path
from typing import Any, Iterable

from neuralab import engines, models
from neuralab.recipes.catalog import RECIPES, Recipe
from neuralab.recipes.config import apply_overrides, require, require_structure, set_key, wrong_types_refused

# Task -> module exposing ``DEFAULTS`` (its own config keys), ``validate(config)`` and
# ``run(config, runs_root, resume, progress) -> summary``.
# Each runner has the shape of ``neuralab.recipes.common``.
TASKS = {
    "classify": "neuralab.recipes.classify",
    "denoise": "neuralab.recipes.denoise",
    "vae": "neuralab.recipes.vae",
    "diffusion": "neuralab.recipes.diffusion",
    "gan": "neuralab.recipes.gan",
    "language_model": "neuralab.recipes.language_model",
    "translate": "neuralab.recipes.translate",
    "forecast": "neuralab.recipes.forecast",
}

BASE_CONFIG: dict[str, Any] = {
    "recipe": None,
    "task": None,
    "engine": "torch",
    "device": "auto",
    "seed": 0,
    "threads": None,
    "data": {"name": None, "standardize": False, "augment": {"shift": 0, "hflip": 0.0}},
    "model": {"name": None},
    "optimizer": {"name": "adam", "lr": 0.001, "weight_decay": 0.0},
    "schedule": {"name": None},
    "train": {
        "epochs": 10,
        "batch_size": 128,
        "clip_grad_norm": None,
        "early_stopping": {"patience": None, "min_delta": 0.0, "monitor": "val_loss"},
    },
    "eval": {"batch_size": 1000},
    # RUN/tensorboard/ event files (neuralab.train.tensorboard); histograms of the weights per epoch on request
    "log": {"tensorboard": True, "histograms": False},
    "targets": {},
}

# Sections added after runs were written: an older config.json (a resumed run) gets their defaults.
LATER_SECTIONS = ("log",)


def with_later_sections(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with the defaults of the sections it predates (an older run's config.json)."""
    return {**{key: copy.deepcopy(BASE_CONFIG[key]) for key in LATER_SECTIONS}, **config}


def names() -> list[str]:
    """The recipe names, in catalog order."""
    return list(RECIPES)


def get(name: str) -> Recipe:
    """The recipe called ``name``; unknown names suggest the closest one."""
    if name not in RECIPES:
        close = difflib.get_close_matches(name, RECIPES, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown recipe {name!r}{hint} (run `neuralab recipes` for the list)")
    return RECIPES[name]


def _merge(base: dict, extra: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def model_defaults(model_name: str) -> dict[str, Any]:
    """Every keyword of the model's ``build`` with its default (so config.json spells them out)."""
    module = importlib.import_module(models.MODELS[model_name])
    parameters = list(inspect.signature(module.build).parameters.values())[1:]  # skip T
    return {p.name: (list(p.default) if isinstance(p.default, tuple) else p.default) for p in parameters}


def resolve(
    name: str,
    *,
    engine: str | None = None,
    device: str | None = None,
    seed: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    overrides: Iterable[str] = (),
) -> dict[str, Any]:
    """The recipe's config with every default spelled out and the user's changes applied."""
    recipe = get(name)
    config = _merge(BASE_CONFIG, task_module(recipe.task).DEFAULTS)
    config = _merge(config, {"recipe": recipe.name, "task": recipe.task, "targets": recipe.targets})
    config = _merge(config, recipe.config)
    config["model"] = {"name": config["model"]["name"], **_merge(model_defaults(config["model"]["name"]), config["model"])}
    own_data = config["data"]["name"]
    config = with_changes(config, engine=engine, device=device, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr,
                          overrides=overrides)
    if config["data"]["name"] != own_data and not any(str(o).startswith("targets.") for o in overrides):
        config["targets"] = {}  # the recipe's targets were set on its own data; on other data they mean nothing
    return config


def load_config(path: str | Path, **changes: Any) -> dict[str, Any]:
    """A config file (``config.json`` of a run, ``best-config.json`` of a study) with the same
    ``changes`` as :func:`resolve` takes (``epochs=``, ``overrides=``, ...), validated."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no config file at {path} (expected a JSON config such as a run's config.json)")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not a JSON config ({error})") from None
    require(isinstance(config, dict) and isinstance(config.get("recipe"), str),
            f"{path} must hold a config object naming its recipe (like a run's config.json)")
    return with_changes(with_later_sections(config), **changes)


def with_changes(config: dict[str, Any], *, engine: str | None = None, device: str | None = None, seed: int | None = None,
                 epochs: int | None = None, batch_size: int | None = None, lr: float | None = None,
                 overrides: Iterable[str] = ()) -> dict[str, Any]:
    """``config`` with the command-line flags that are set and the ``key=value`` overrides applied, validated."""
    config = copy.deepcopy(config)
    flags = {"engine": engine, "device": device, "seed": seed, "train.epochs": epochs,
             "train.batch_size": batch_size, "optimizer.lr": lr}
    for key, value in flags.items():
        if value is not None:
            set_key(config, key, value)
    config = apply_overrides(config, overrides)
    validate(config)
    return config


def task_module(task: str):
    """The module that runs recipes of ``task``."""
    require(task in TASKS, f"task must be one of {sorted(TASKS)}; got {task!r}")
    return importlib.import_module(TASKS[task])


def validate(config: dict[str, Any]) -> None:
    """Refuse impossible settings before any data is loaded or any weight trained."""
    from neuralab import data  # noqa: PLC0415 - keep `neuralab recipes` fast

    require(isinstance(config, dict) and isinstance(config.get("task"), str),
            f"a config must be an object naming its task (one of {sorted(TASKS)}); got {config!r:.80}")
    reference = _merge(BASE_CONFIG, task_module(config["task"]).DEFAULTS)
    require_structure(config, reference)
    train = config["train"]
    require(config["engine"] in engines.ENGINES, f"engine must be one of {engines.ENGINES}; got {config['engine']!r}")
    require(isinstance(config["seed"], int) and config["seed"] >= 0, f"seed must be a non-negative integer; got {config['seed']!r}")
    require(isinstance(train["epochs"], int) and train["epochs"] >= 1, f"epochs must be an integer >= 1; got {train['epochs']!r}")
    require(isinstance(train["batch_size"], int) and train["batch_size"] >= 1,
            f"batch size must be an integer >= 1; got {train['batch_size']!r}")
    lr = config["optimizer"].get("lr")
    require(isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0, f"learning rate must be a positive number; got {lr!r}")
    clip = train["clip_grad_norm"]
    require(clip is None or (isinstance(clip, (int, float)) and clip > 0), f"clip_grad_norm must be positive or null; got {clip!r}")
    threads = config["threads"]
    require(threads is None or (isinstance(threads, int) and threads >= 1), f"threads must be an integer >= 1 or null; got {threads!r}")
    for key, value in config["log"].items():
        require(isinstance(value, bool), f"log.{key} must be true or false; got {value!r}")
    data.entry(config["data"]["name"])  # unknown dataset -> error with a suggestion
    recipe = config.get("recipe")
    with wrong_types_refused(config, lambda: resolve(recipe) if isinstance(recipe, str) and recipe in RECIPES else reference,
                             config["task"]):
        task_module(config["task"]).validate(config)


def run(config: dict[str, Any], *, runs_root: str | Path = "runs", resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train and evaluate ``config``; returns the run's summary (also in ``summary.json``)."""
    if isinstance(config, dict):
        config = with_later_sections(config)
    validate(config)
    return task_module(config["task"]).run(config, runs_root=runs_root, resume=resume, progress=progress)
