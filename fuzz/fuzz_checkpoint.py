"""Fuzz the checkpoint loader (``neuralab.train.checkpoint``): the JSON and safetensors pair.

An input is ``len(json)`` as 2 big-endian bytes, the JSON bytes, then the safetensors
bytes. The placeholder ``@sha@`` in the JSON is replaced by the SHA-256 of the tensor
bytes, so mutations get past the hash check and reach the decoding behind it (without
it every change to the tensors would stop at "SHA-256 differs").

Each input is loaded twice, as a whole (:func:`load_checkpoint`) and as weights into a
small scratch-engine model (:func:`load_weights`). Documented refusal: ``CheckpointError``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from fuzz.harness import Target, instrumented, main, scratch_dir

with instrumented():
    from neuralab import engines
    from neuralab.train.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint

SHA_PLACEHOLDER = b"@sha@"
_folder = None
_engine = None


def _files():
    global _folder
    if _folder is None:
        _folder = scratch_dir("checkpoint")
    return _folder / "last"


def split_input(data: bytes) -> tuple[bytes, bytes]:
    """``(json_bytes, tensor_bytes)`` of a fuzz input, the hash placeholder filled in."""
    size = int.from_bytes(data[:2], "big")
    meta, tensors = data[2:2 + size], data[2 + size:]
    return meta.replace(SHA_PLACEHOLDER, hashlib.sha256(tensors).hexdigest().encode()), tensors


def join_input(meta: bytes, tensors: bytes) -> bytes:
    """The fuzz input holding ``meta`` (with its real hash swapped for the placeholder) and ``tensors``."""
    meta = meta.replace(hashlib.sha256(tensors).hexdigest().encode(), SHA_PLACEHOLDER)
    return len(meta).to_bytes(2, "big") + meta + tensors


def test_one_input(data: bytes) -> None:
    global _engine
    meta, tensors = split_input(data)
    stem = _files()
    stem.with_name("last.json").write_bytes(meta)
    stem.with_name("last.safetensors").write_bytes(tensors)
    try:
        load_checkpoint(stem)
    except CheckpointError:
        pass
    _engine = _engine or engines.get("scratch")
    try:
        load_weights(_engine.nn.Linear(2, 3), stem, _engine)
    except CheckpointError:
        pass


def seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    folder = scratch_dir("checkpoint-seeds")
    states = [
        {"model": {"weight": rng.standard_normal((3, 2)).astype(np.float32), "bias": np.zeros(3, np.float32)}},
        {"model": {"weight": np.ones((3, 2), np.float32), "bias": np.zeros(3, np.float32)}, "epoch": 3,
         "optimizer": {"state": {0: {"step": 2, "exp_avg": np.zeros((3, 2), np.float32)}},
                       "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1]}]},
         "history": {"loss": [0.5, float("inf"), float("nan")]}, "rng": np.arange(4, dtype=np.uint32)},
        {"extra": {"tuple": (1, 2.5), "by_int": {3: "three"}, "none": None, "half": np.ones(2, np.float16),
                   "ints": np.arange(3, dtype=np.int64), "flag": np.array(True)}},
    ]
    out = []
    for index, state in enumerate(states):
        tensor_file, json_file = save_checkpoint(folder / f"s{index}", state)
        out.append(join_input(json_file.read_bytes(), tensor_file.read_bytes()))
    # a bare safetensors state dict (no JSON), as load_weights also accepts
    out.append(join_input(b"", tensor_file.read_bytes()))
    out.append(join_input(json.dumps({"format": "neuralab.checkpoint", "version": 1, "state": {}}).encode(), b""))
    return out


TARGET = Target("checkpoint", test_one_input, seeds, "CheckpointError")

if __name__ == "__main__":
    main(TARGET)
