"""Every crash the fuzzers found (and a few found by reading the code), replayed through the
same ``test_one_input`` functions, plus every seed: no atheris needed, deterministic.

A replay passes when the harness accepts the input (a documented refusal or a valid
result); before the fix each of these raised, hung or crashed the interpreter.
"""

from __future__ import annotations

import base64
import json
import pickle
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fuzz import TARGETS
from fuzz import fuzz_checkpoint, fuzz_config, fuzz_idx, fuzz_safe_pickle, fuzz_text
from neuralab.data import safe_pickle, shakespeare
from neuralab.data.tokenizer import CharTokenizer
from neuralab.train.checkpoint import CheckpointError, load_weights, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]

# fuzz/fuzz_safe_pickle.py, libFuzzer input crash-e23ff81c: a structured dtype whose state
# names fields ("a", "b") but whose field dict lacks "b"; numpy's dtype.__setstate__ took it
# and filling an array with it segfaulted the interpreter.
SEGFAULT_PICKLE = base64.b64decode(
    "gASVCgEAAAAAAACMFm51bXB5Ll9jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKU"
    "h5RSlChLAUsDhZRoA4wFZHR5cGWUk5SMA1YxMpSJiIeUUpQoSwOMAXyUTowBYZSMAWKUhpR9lChoEWgMjAJpNJSJiIeUUpQoSwOMATyUTk5O"
    "Sv////9K/////0sAdJRiSwCGlGgSaAyMAmY4lImIh5RSlChLA2gYTjBOSv////9K/////0sAdJRiSwSGlHVLDEsBSxB0lGKJQyQAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACUdJRiLg==")

# fuzz/fuzz_safe_pickle.py, the long pass, crash-19efbb6b: an object array of shape (3,)
# whose state lists 2 items; numpy left the third slot an invalid pointer, and reading the
# array segfaulted (only when that memory held garbage, so it came and went between runs).
SHORT_OBJECT_LIST_PICKLE = base64.b64decode(
    "gANjbnVtcHkuX2NvcmUubXVsdGlhcnJheQpfcmVjb25zdHJ1Y3QKcQBjbnVtcHkKbmRhcnJheQpxAUsAhXECQwFicQOHcQRScQUoSwFLA4Vx"
    "BmNudW1weQpkdHlwZQpxB1gCAAAATzhxCImIh3EJUnEKKEsDWAEAAAB8cQtOTk5K/////0r/////Sz90cQxiiV1xDShLAUdHR0cAYXEOTmV0"
    "cQ9iLg==")


def module(name):
    return {"idx": fuzz_idx, "checkpoint": fuzz_checkpoint, "safe_pickle": fuzz_safe_pickle,
            "config": fuzz_config, "text": fuzz_text}.get(name) or __import__(f"fuzz.fuzz_{name}", fromlist=["TARGET"])


@pytest.mark.parametrize("name", TARGETS)
def test_every_seed_passes_its_harness(name):
    target = module(name).TARGET
    seeds = list(target.seeds())
    assert len(seeds) >= 3
    for seed in seeds:
        target.test_one_input(seed)


@pytest.mark.parametrize("data, message", [(SEGFAULT_PICKLE, b"refused: dtype state"),
                                           (SHORT_OBJECT_LIST_PICKLE, b"refused: object array of shape (3,) needs 3 items")],
                         ids=["structured-dtype-fields", "object-array-short-list"])
def test_segfaulting_pickles_are_refused_in_a_child_process(data, message):
    # a child process: if a fix regressed, the segfault kills it, not pytest
    code = ("import sys, pickle; from neuralab.data import safe_pickle\n"
            "try:\n    safe_pickle.loads(sys.stdin.buffer.read())\n"
            "except pickle.UnpicklingError as error:\n    print('refused:', error)\n")
    result = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert message in result.stdout, result.stdout


@pytest.mark.parametrize("data", [b"", b"\x80\x04", b"K\x01a.", b"(K\x01K\x02\x86", b"\x80\x04\x95\xff\xff\xff\xff\x00\x00\x00\x00"],
                         ids=["empty", "truncated", "append-to-missing", "no-stop", "frame-too-long"])
def test_malformed_pickles_raise_unpickling_error(data):
    # EOFError, IndexError, ... from the pickle machinery used to escape as themselves
    with pytest.raises(pickle.UnpicklingError, match="not a valid array pickle|pickle"):
        safe_pickle.loads(data)
    fuzz_safe_pickle.test_one_input(data)


class _SharedBuffer:
    """Pickles as an array whose state tuple is one shared object: the pickler writes it
    once and refers to it again (BINGET), so each copy costs a few bytes of pickle."""

    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return (safe_pickle._numpy_reconstruct(), (np.ndarray, (0,), b"b"), self.state)


def test_one_buffer_copied_into_many_arrays_is_refused():
    buffer = bytes(200_000)
    state = (1, (len(buffer),), np.dtype("u1"), False, buffer)
    data = pickle.dumps([_SharedBuffer(state) for _ in range(20)], protocol=4)
    assert len(data) < 2 * len(buffer)  # 20 arrays of 200 kB from a pickle of ~200 kB
    with pytest.raises(pickle.UnpicklingError, match="asks for .* bytes of arrays"):
        safe_pickle.loads(data)
    assert len(safe_pickle.loads(pickle.dumps([_SharedBuffer(state)], protocol=4))[0]) == len(buffer)


def test_huge_declared_shape_is_refused_before_allocation():
    data = (b"\x80\x04cnumpy._core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
            b"J\x00\xca\x9a\x3b\x85C\x01b\x87R.")  # _reconstruct(ndarray, (10**9,), b"b")
    with pytest.raises(pickle.UnpicklingError, match="asks for 1,000,000,000 bytes"):
        safe_pickle.loads(data)


def test_calling_ndarray_directly_is_refused():
    data = b"\x80\x04cnumpy\nndarray\nK\x05\x85\x85R."  # ndarray((5,)): numpy never pickles so
    with pytest.raises(pickle.UnpicklingError, match="REDUCE calls ndarray"):
        safe_pickle.loads(data)


def test_idx_shape_whose_int64_product_wraps_is_refused():
    data = struct.pack(">BBBB4I", 0, 0, 8, 4, 65536, 65536, 65536, 65536)  # 65536**4 == 2**64 -> 0 in int64
    with pytest.raises(ValueError, match="truncated: 20 bytes, shape .* needs 18,446,744,073,709,551,636"):
        fuzz_idx.decode_idx(data)
    fuzz_idx.test_one_input(data)


def test_checkpoint_json_without_state_is_a_checkpoint_error(tmp_path):
    # libFuzzer input crash-56759eef: KeyError: 'state'
    data = b'\x00<{"format": "neuralab.checkpoint", "versitate": {}}'
    fuzz_checkpoint.test_one_input(data)


@pytest.mark.parametrize("meta", [
    {"version": "1"}, {"version": None}, {"state": [1]}, {"tensors_sha256": 5},
    {"state": {"a": {"__tensor__": ["x"]}}}, {"state": {"a": {"__tuple__": 5}}},
    {"state": {"a": {"__float__": "1e5"}}}, {"state": {"a": {"__float__": 3}}},
    {"state": {"a": {"__int_keys__": {"x": 1}}}}, {"state": {"a": {"__int_keys__": [1]}}},
])
def test_damaged_checkpoint_json_names_what_is_wrong(tmp_path, meta):
    tensor_file, json_file = save_checkpoint(tmp_path / "ck", {"w": np.ones(2, np.float32)})
    document = json.loads(json_file.read_text())
    document.update(meta)
    json_file.write_text(json.dumps(document))
    with pytest.raises(CheckpointError, match=str(json_file.name)):
        fuzz_checkpoint.load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("text", ["[" * 100_000, "1" * 5000, "[" * 5000 + "]" * 5000], ids=["deep", "long-int", "nested"])
def test_checkpoint_json_too_deep_or_too_long_is_a_checkpoint_error(tmp_path, text):
    # RecursionError and int-digit ValueError escaped json.loads's JSONDecodeError handler
    save_checkpoint(tmp_path / "ck", {"w": np.ones(2, np.float32)})
    (tmp_path / "ck.json").write_text(text)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        fuzz_checkpoint.load_checkpoint(tmp_path / "ck")


def test_weights_of_a_dtype_the_engine_lacks_are_a_checkpoint_error(tmp_path):
    # libFuzzer (fuzz_checkpoint): TypeError "can't convert np.ndarray of type uint32" from from_numpy
    engine = fuzz_checkpoint.engines.get("scratch")
    save_checkpoint(tmp_path / "ck", {"model": {"weight": np.ones((3, 2), np.uint32), "bias": np.zeros(3, np.float32)}})
    with pytest.raises(CheckpointError, match="do not fit this model.*uint32"):
        load_weights(engine.nn.Linear(2, 3), tmp_path / "ck", engine)


@pytest.mark.parametrize("text", ['{"type": "char", "ch>rs": ["a"]}', "[1, 2]", '{"type": "char", "chars": 5}',
                                  '{"type": "char", "chars": "abc"}', "[" * 100_000, '{"type": "bpe"}'],
                         ids=["no-chars", "list", "int-chars", "str-chars", "deep", "other-type"])
def test_damaged_tokenizer_file_is_a_value_error_naming_it(tmp_path, text):
    # libFuzzer input crash-f74b7f3b: KeyError: 'chars'
    path = tmp_path / "tokenizer.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="tokenizer.json: not a tokenizer file"):
        CharTokenizer.load(path)


def test_bracket_direction_regex_is_linear():
    # "[" * 4000 took over a second (quadratic backtracking); "[" * 40_000 would take minutes
    def too_slow(*_):
        raise TimeoutError("markdown_to_text backtracks")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    try:
        for line in ("[" * 40_000, "\\[" * 20_000, "[_" * 20_000, "x" + "_" * 40_000 + "[", "[" * 40_000 + "]"):
            shakespeare.markdown_to_text("**A**\n" + line + "\n")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert shakespeare.markdown_to_text("**A**\nO Romeo [Within]_ Romeo\n") == "A:\nO Romeo Romeo\n\n"


@pytest.mark.parametrize("overrides, message", [
    (["train=5"], "config key 'train' must be an object"),
    (['train={"epochs": 2}'], "config lacks key 'train.batch_size'"),
    (["optimizer=null"], "config key 'optimizer' must be an object"),
], ids=["section-to-int", "section-missing-keys", "section-to-null"])
def test_set_replacing_a_section_badly_is_refused_with_a_sentence(overrides, message):
    from neuralab import recipes
    with pytest.raises(ValueError, match=message):
        recipes.resolve("iris-mlp", overrides=overrides)


@pytest.mark.parametrize("document, message", [
    ({"task": "classify"}, "config lacks key"), ([1, 2], "naming its task"), ({"task": ["x"]}, "naming its task"),
], ids=["missing-keys", "a-list", "task-a-list"])
def test_config_json_of_the_wrong_shape_is_refused_with_a_sentence(document, message):
    # libFuzzer (fuzz_config, config.json path): KeyError: 'optimizer' from recipes.validate
    from neuralab import recipes
    with pytest.raises(ValueError, match=message):
        recipes.validate(document)
    fuzz_config.test_one_input(b"\x01" + json.dumps(document).encode())


@pytest.mark.parametrize("recipe, override, key", [
    ("ring-ddpm", "diffusion.clip=[1]", "diffusion.clip"), ("ring-ddpm", 'diffusion.ema="x"', "diffusion.ema"),
    ("ring-gan", "gan.real_label=[0]", "gan.real_label"), ("shakespeare-gpt", "model.context=null", "model.context"),
], ids=["clip-list", "ema-string", "real-label-list", "context-null"])
def test_set_of_the_wrong_type_is_refused_naming_the_key(recipe, override, key):
    # fuzz_config's typed path: TypeError ('>' not supported between list and int) from the
    # task's validate; now a ValueError naming the key, its value and the default's kind
    from neuralab import recipes
    with pytest.raises(ValueError, match=f"wrong type .*check {key} = "):
        recipes.resolve(recipe, overrides=[override])
