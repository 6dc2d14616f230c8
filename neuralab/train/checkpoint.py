"""Checkpoints: tensors in safetensors, everything else in JSON. Never pickle.

A checkpoint named ``last`` is two files side by side::

    checkpoints/last.safetensors   every array: model.<name>, optimizer.state.<idx>.<name>,
                                   callbacks.<Callback>.<...> (e.g. EarlyStopping's best weights)
    checkpoints/last.json          everything else: epoch, optimizer param_groups and scalar
                                   state, scheduler state, RNG states, history, callback state,
                                   plus the SHA-256 of the .safetensors file

The JSON mirrors the saved state tree; each array is replaced by ``{"__tensor__": key}``
naming its safetensors entry. A few tags keep Python types JSON cannot hold:
``{"__tuple__": [...]}``, ``{"__float__": "inf" | "-inf" | "nan"}`` and
``{"__int_keys__": {...}}`` (dicts keyed by ints, like torch's optimizer state).
Loading reads data only: no code runs.

The two files cannot be replaced in one atomic step, so the JSON (written second)
records the hash of the tensors it belongs with; a mismatch (a crash between the two
writes) is reported instead of silently mixing two epochs.
"""

from __future__ import annotations

import base64
import json
import math
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file, save

from neuralab.engines import capabilities
from neuralab.io import atomic_path, atomic_write_json, sha256_file

FORMAT = "neuralab.checkpoint"
VERSION = 1


class CheckpointError(Exception):
    """A checkpoint is missing, damaged, or does not fit the model/optimizer it is loaded into."""


# ----------------------------------------------------------------------------- paths


def checkpoint_paths(path: str | os.PathLike) -> tuple[Path, Path]:
    """``(tensors_file, json_file)`` for a checkpoint given as a stem, ``.safetensors`` or ``.json``.

    A run folder (holding ``checkpoints/``) or a ``checkpoints`` folder resolves to its
    ``last`` checkpoint.
    """
    path = Path(path)
    if path.is_dir():
        folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
        path = folder / "last"
    if path.suffix in (".safetensors", ".json"):
        path = path.with_suffix("")
    return path.with_name(path.name + ".safetensors"), path.with_name(path.name + ".json")


# ----------------------------------------------------------------------------- encoding


def to_numpy(value: Any) -> np.ndarray:
    """An engine tensor (torch or scratch) or array as a NumPy array on the host."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, np.ndarray) or (hasattr(value, "detach") and hasattr(value, "cpu"))


def encode(value: Any, key: str, tensors: dict[str, np.ndarray]) -> Any:
    """A JSON-safe copy of ``value``; arrays/tensors move into ``tensors`` under dotted keys."""
    if _is_tensor(value):
        if key in tensors:
            raise CheckpointError(f"two arrays would share the checkpoint key {key!r}")
        tensors[key] = np.asarray(to_numpy(value), order="C")  # ascontiguousarray would turn 0-d into 1-d
        return {"__tensor__": key}
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return encode(value.item(), key, tensors)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{key}.{i}", tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{key}.{i}", tensors) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        keys = list(value)
        if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
            return {"__int_keys__": {str(k): encode(v, f"{key}.{k}", tensors) for k, v in value.items()}}
        bad = [k for k in keys if not isinstance(k, str)]
        if bad:
            raise CheckpointError(f"cannot store {key!r}: dict keys must be all str or all int, got {bad[:3]}")
        return {k: encode(v, f"{key}.{k}" if key else k, tensors) for k, v in value.items()}
    raise CheckpointError(
        f"cannot store {key!r} of type {type(value).__name__} in a checkpoint: "
        "only arrays/tensors, numbers, strings, bools, None, lists, tuples and dicts are allowed"
    )


def decode(value: Any, tensors: Mapping[str, np.ndarray], source: Path | None = None) -> Any:
    """Invert :func:`encode`: tags become tuples/floats/int-keyed dicts, arrays come from ``tensors``.

    A tag holding the wrong kind of value (a hand-edited or damaged JSON) raises
    :class:`CheckpointError` naming the tag, what it holds and what it should hold.
    """
    if isinstance(value, list):
        return [decode(v, tensors, source) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"__tensor__"}:
        key = _tag_value(value, "__tensor__", str, "a tensor name", source)
        if key not in tensors:
            raise CheckpointError(f"{source}: the JSON names tensor {key!r} but the tensors file has no such entry")
        return tensors[key]
    if set(value) == {"__tuple__"}:
        return tuple(decode(v, tensors, source) for v in _tag_value(value, "__tuple__", list, "a list", source))
    if set(value) == {"__float__"}:
        text = _tag_value(value, "__float__", str, '"inf", "-inf" or "nan"', source)
        if text not in ("inf", "-inf", "nan"):
            raise CheckpointError(f'{source}: {{"__float__": {text!r}}} is damaged: expected "inf", "-inf" or "nan"')
        return float(text)
    if set(value) == {"__int_keys__"}:
        items = _tag_value(value, "__int_keys__", dict, "an object keyed by integers", source)
        bad = [k for k in items if not k.lstrip("-").isdigit()]
        if bad:
            raise CheckpointError(f"{source}: __int_keys__ holds keys {bad[:3]!r}: expected integers")
        return {int(k): decode(v, tensors, source) for k, v in items.items()}
    return {k: decode(v, tensors, source) for k, v in value.items()}


def _tag_value(tagged: dict, tag: str, kind: type, expected: str, source: Path | None) -> Any:
    content = tagged[tag]
    if not isinstance(content, kind):
        raise CheckpointError(f"{source}: {tag} holds {type(content).__name__} {content!r:.60}: expected {expected}")
    return content


# ----------------------------------------------------------------------------- save / load


def save_checkpoint(path: str | os.PathLike, state: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write ``state`` (a tree of dicts/lists/numbers/arrays/engine tensors) as a checkpoint.

    ``path`` is the stem (``runs/x/checkpoints/last``); returns the two files written.
    Top-level keys become key prefixes: ``state["model"]["fc.weight"]`` is stored as
    ``model.fc.weight``.

    The JSON is the commit point, so a crash at any moment leaves a loadable pair: the new
    tensors go to ``<stem>.safetensors.pending`` first, then the JSON naming their SHA-256
    replaces the old one, then the pending file takes the tensors' name. A crash before the
    JSON keeps the old pair; a crash after it is finished by the next load
    (:func:`_check_tensor_file` completes the rename).
    """
    tensor_file, json_file = checkpoint_paths(path)
    pending = _pending_path(tensor_file)
    tensors: dict[str, np.ndarray] = {}
    tree = encode(dict(state), "", tensors)
    with atomic_path(pending) as tmp:  # bytes written by Python, so a full disk is an OSError naming the file
        tmp.write_bytes(save(tensors, metadata={"format": FORMAT}))
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "tensors_file": tensor_file.name,
        "tensors_sha256": sha256_file(pending),
        "state": tree,
    }
    atomic_write_json(json_file, meta)
    os.replace(pending, tensor_file)
    return tensor_file, json_file


def _pending_path(tensor_file: Path) -> Path:
    return tensor_file.with_name(tensor_file.name + ".pending")


def _read_meta(json_file: Path) -> dict[str, Any]:
    if not json_file.is_file():
        raise CheckpointError(
            f"checkpoint metadata not found: {json_file} (a checkpoint is a .safetensors file plus a .json "
            "file with the same name, as written by ModelCheckpoint)"
        )
    try:
        meta = json.loads(json_file.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, nested too deep, a number too long
        raise CheckpointError(f"checkpoint metadata {json_file} is damaged (not valid JSON: {error})") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{json_file} is not a neuralab checkpoint (expected format {FORMAT!r})")
    version = meta.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{json_file}: checkpoint version must be an integer; got {version!r:.60}")
    if version > VERSION:
        raise CheckpointError(f"{json_file} has checkpoint version {version}; this neuralab reads up to {VERSION}")
    if not isinstance(meta.get("state"), dict):
        raise CheckpointError(f"{json_file} is damaged: expected a \"state\" object, got {type(meta.get('state')).__name__}")
    if not isinstance(meta.get("tensors_sha256", ""), str):
        raise CheckpointError(f"{json_file} is damaged: tensors_sha256 must be a hex string, got {meta['tensors_sha256']!r:.60}")
    return meta


def _check_tensor_file(tensor_file: Path, meta: dict[str, Any], json_file: Path) -> None:
    expected = meta.get("tensors_sha256")
    pending = _pending_path(tensor_file)
    if expected and pending.is_file() and sha256_file(pending) == expected:
        os.replace(pending, tensor_file)  # a save interrupted after its JSON was written: finish it
    if not tensor_file.is_file():
        raise CheckpointError(f"checkpoint tensors not found: {tensor_file} (named by {json_file})")
    if expected and sha256_file(tensor_file) != expected:
        raise CheckpointError(
            f"checkpoint tensors {tensor_file} do not match {json_file} (SHA-256 differs): the file is damaged "
            "or the two files come from different saves (a crash between the two writes)"
        )


def _load_tensors(tensor_file: Path, keys: list[str] | None = None) -> dict[str, np.ndarray]:
    try:
        if keys is None:
            return load_file(str(tensor_file))
        with safe_open(str(tensor_file), framework="np") as handle:
            return {key: handle.get_tensor(key) for key in keys}
    except (SafetensorError, OSError, ValueError) as error:
        raise CheckpointError(f"checkpoint tensors {tensor_file} cannot be read (damaged file?): {error}") from error


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint back into the state tree given to :func:`save_checkpoint` (arrays as NumPy)."""
    tensor_file, json_file = checkpoint_paths(path)
    if not tensor_file.exists() and not json_file.exists():
        raise CheckpointError(f"no checkpoint at {tensor_file.with_suffix('')}: neither {tensor_file.name} nor {json_file.name} exists")
    meta = _read_meta(json_file)
    _check_tensor_file(tensor_file, meta, json_file)
    return decode(meta["state"], _load_tensors(tensor_file), json_file)


# ----------------------------------------------------------------------------- model / optimizer


def model_state(model: Any) -> dict[str, np.ndarray]:
    """The model's ``state_dict`` as host NumPy arrays (copies, safe to keep)."""
    return {name: np.array(to_numpy(value), copy=True) for name, value in model.state_dict().items()}


def load_model_state(model: Any, arrays: Mapping[str, np.ndarray], engine: ModuleType, source: Any = "checkpoint") -> None:
    """Load NumPy ``arrays`` into ``model`` through ``engine.from_numpy``."""
    try:  # TypeError: a dtype the engine has no tensors for (uint32, say)
        state = {name: engine.from_numpy(np.array(array, copy=True)) for name, array in arrays.items()}
        model.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError) as error:
        detail = " ".join(str(error).split())  # torch lists each mismatch on its own line: one line for the CLI
        raise CheckpointError(f"the weights in {source} do not fit this model: {detail}") from error


def optimizer_state(optimizer: Any) -> dict[str, Any]:
    """The optimizer's ``state_dict`` (engine tensors are turned into arrays when saved)."""
    return optimizer.state_dict()


def load_optimizer_state(optimizer: Any, state: Mapping[str, Any], engine: ModuleType, source: Any = "checkpoint") -> None:
    """Rebuild the engine's optimizer structure (int state keys, tensors) and load it."""

    def rebuild(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return engine.from_numpy(np.array(value, copy=True))
        if isinstance(value, dict):
            return {k: rebuild(v) for k, v in value.items()}
        return value

    restored = {"state": rebuild(dict(state.get("state", {}))), "param_groups": state["param_groups"]}
    try:
        optimizer.load_state_dict(restored)
    except (RuntimeError, KeyError, ValueError) as error:
        detail = " ".join(str(error).split())
        raise CheckpointError(f"the optimizer state in {source} does not fit this optimizer: {detail}") from error


def load_weights(model: Any, path: str | os.PathLike, engine: ModuleType) -> Any:
    """Load only the model weights of a checkpoint (or of a plain safetensors state dict) into ``model``.

    ``path`` may be a run folder (its ``best`` checkpoint if present, else ``last``), a
    checkpoint stem, or a ``.safetensors``/``.json`` file. Returns ``model``.
    """
    path = Path(path)
    if path.is_dir():
        folder = path / "checkpoints" if (path / "checkpoints").is_dir() else path
        path = folder / ("best" if (folder / "best.safetensors").exists() else "last")
    tensor_file, json_file = checkpoint_paths(path)
    if json_file.exists():
        _check_tensor_file(tensor_file, _read_meta(json_file), json_file)
    elif not tensor_file.is_file():
        raise CheckpointError(f"no weights at {tensor_file}: expected a checkpoint written by ModelCheckpoint")
    try:
        with safe_open(str(tensor_file), framework="np") as handle:
            keys = list(handle.keys())
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"checkpoint tensors {tensor_file} cannot be read (damaged file?): {error}") from error
    model_keys = [k for k in keys if k.startswith("model.")]
    if model_keys:
        arrays = {k[len("model."):]: v for k, v in _load_tensors(tensor_file, model_keys).items()}
    else:  # a bare state dict saved by someone else
        arrays = _load_tensors(tensor_file)
    # Keep the model's own key order (safetensors stores keys sorted).
    order = list(model.state_dict())
    arrays = {k: arrays[k] for k in order if k in arrays} | {k: v for k, v in arrays.items() if k not in order}
    load_model_state(model, arrays, engine, source=tensor_file)
    return model


# ----------------------------------------------------------------------------- RNG state


def rng_state(T: ModuleType, device: Any = "cpu") -> dict[str, Any]:
    """The engine's (and CUDA's, on a CUDA device) and NumPy's global RNG states, JSON-safe, for checkpoints."""
    state: dict[str, Any] = {"engine": _b64(to_numpy(T.get_rng_state()))}
    if capabilities(T)["cuda"] and str(device).startswith("cuda"):
        state["cuda"] = [_b64(to_numpy(s)) for s in T.cuda.get_rng_state_all()]
    kind, keys, position, has_gauss, cached = np.random.get_state()
    state["numpy"] = {"kind": kind, "keys": _b64(keys), "pos": int(position),
                      "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}
    return state


def set_rng_state(T: ModuleType, state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved."""
    T.set_rng_state(T.from_numpy(_unb64(state["engine"], np.uint8)))
    if "cuda" in state and capabilities(T)["cuda"]:
        T.cuda.set_rng_state_all([T.from_numpy(_unb64(s, np.uint8)) for s in state["cuda"]])
    saved = state.get("numpy")
    if saved:
        np.random.set_state((saved["kind"], _unb64(saved["keys"], np.uint32), saved["pos"],
                             saved["has_gauss"], saved["cached_gaussian"]))


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _unb64(text: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).copy()
