"""Fuzz run configurations: ``--set KEY=VALUE`` overrides and ``config.json`` files.

An input's first byte picks the path and the recipe; the rest is text.

* ``--set``: the text's lines are the values of repeated ``--set`` flags (argparse hands
  them over unchanged), applied to the recipe's resolved config and validated, as
  ``recipes.resolve`` does (:func:`neuralab.recipes.config.apply_overrides`, then
  :func:`neuralab.recipes.validate`).
* ``config.json``: the text is a run's ``config.json``, read the way ``--resume`` reads it
  (:meth:`RunRecord.read_config`) and validated the way ``recipes.run`` does first.
* typed ``--set``: byte pairs pick a key (or section) of the recipe and a value of every
  JSON type (:data:`PALETTE`), written as ``key=<json>`` and applied as above.

Documented refusal: what the CLI turns into one line without a traceback, ``ValueError``
(JSON errors and ``UnicodeDecodeError`` are ValueErrors) and ``KeyError`` whose message is
a sentence (``unknown config key 'x'; did you mean ...``). A bare ``KeyError('epochs')``
from indexing a config that lacks a key is a crash: the user would read just ``'epochs'``.
"""

from __future__ import annotations

import importlib
import json

from fuzz.harness import Target, instrumented, main, scratch_dir

with instrumented():
    from neuralab import recipes
    from neuralab.recipes.config import apply_overrides, flatten_keys
    from neuralab.train.runs import RunRecord

    for _module in recipes.TASKS.values():  # each task's validate(), imported lazily otherwise
        importlib.import_module(_module)

# One recipe per task family (the override keys differ per task).
RECIPES = ("iris-mlp", "ring-gan", "ring-ddpm", "patterns-dae", "shakespeare-gpt", "dates-transformer",
           "stock-lstm", "mnist-vae")
_resolved: dict[str, dict] = {}
_folder = None


def resolved(name: str) -> dict:
    if name not in _resolved:
        _resolved[name] = recipes.resolve(name)
    return _resolved[name]


def refused_clearly(error: Exception) -> bool:
    """True when ``error`` is a refusal the CLI prints as a clear line."""
    if isinstance(error, KeyError):
        return bool(error.args) and isinstance(error.args[0], str) and " " in error.args[0]
    return isinstance(error, ValueError)


# Values of every JSON type, edge values among them, for the typed path.
PALETTE = (0, 1, -1, 2, 3, 2**31, 10**9, 0.0, -0.5, 0.5, 1e-12, 1e308, float("nan"), float("inf"), True, False, None,
           "", "x", "cosine", "relu", "mse", [], [0], [1, 2], [-1, 0], [[1]], {}, {"name": "x"}, {"a": 1})


def typed_overrides(recipe: str, body: bytes) -> list[str]:
    """``--set`` assignments from byte pairs: (which key or section, which value of PALETTE),
    so every key meets every kind of value, which byte mutations of text rarely produce."""
    keys = sorted(flatten_keys(resolved(recipe)))
    keys += sorted({key.rsplit(".", 1)[0] for key in keys if "." in key})
    return [f"{keys[body[i] % len(keys)]}={json.dumps(PALETTE[body[i + 1] % len(PALETTE)])}"
            for i in range(0, min(len(body), 16) - 1, 2)]


def test_one_input(data: bytes) -> None:
    global _folder
    if not data:
        return
    mode, recipe = data[0] % 3, RECIPES[(data[0] // 3) % len(RECIPES)]
    text = data[1:].decode("utf-8", "surrogateescape")  # how Python hands argv to argparse
    try:
        if mode == 0:
            config = apply_overrides(resolved(recipe), text.split("\n")[:8])
        elif mode == 2:
            config = apply_overrides(resolved(recipe), typed_overrides(recipe, data[1:]))
        else:
            _folder = _folder or scratch_dir("config")
            (_folder / "config.json").write_text(text, encoding="utf-8", errors="surrogateescape")
            config = RunRecord(_folder).read_config()
        recipes.validate(config)
    except (ValueError, KeyError) as error:
        if not refused_clearly(error):
            raise


def seeds() -> list[bytes]:
    out = []
    overrides = ["train.epochs=3", "model.dropout=0.2", "optimizer.lr=1e-3", "seed=7", "threads=2",
                 'schedule={"name": "cosine"}', "data.name=iris", "train.early_stopping.patience=2",
                 "eval.batch_size=10", "lm.context=32", "gan.loss=hinge", "model.hidden=[8, 8]"]
    for index, name in enumerate(RECIPES):
        tag = index * 3
        out.append(bytes([tag]) + "\n".join(overrides[index % 4:index % 4 + 3]).encode())
        out.append(bytes([tag + 1]) + json.dumps(resolved(name)).encode())
        out.append(bytes([tag + 2, index, 1, index + 7, 9]))
    return [s for s in out if len(s) <= 4096]


TARGET = Target("config", test_one_input, seeds, "ValueError, KeyError with a message")

if __name__ == "__main__":
    main(TARGET)
