"""Fuzz the restricted unpickler (``neuralab.data.safe_pickle``).

Documented refusal: ``pickle.UnpicklingError`` (a refused global, or bytes that are not a
plain array pickle). Property: the arrays it builds hold no more bytes than the pickle
read plus :data:`SLACK_BYTES` (a pickle that names a buffer once but has it copied into many
arrays, or declares a huge shape, must be refused, not allocated).
"""

from __future__ import annotations

import pickle

import numpy as np

from fuzz.harness import Target, instrument_functions, instrumented, main

with instrumented():
    from neuralab.data import safe_pickle
# the opcodes of the pure-Python unpickler the reader runs on: their branches guide the fuzzer
instrument_functions(set(pickle._Unpickler.dispatch.values()))



def array_bytes(value) -> int:
    """Bytes held by the distinct arrays inside ``value`` (tuples, lists, dicts, object arrays);
    a loop, not recursion, since a pickle can nest lists thousands deep."""
    total, seen, todo = 0, set(), [value]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes
            if item.dtype == object:
                todo.extend(item.ravel())
        elif isinstance(item, (tuple, list)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
    return total


def test_one_input(data: bytes) -> None:
    try:
        result = safe_pickle.loads(data)
    except pickle.UnpicklingError:
        return
    held = array_bytes(result)
    if held > len(data) + safe_pickle.SLACK_BYTES:
        raise AssertionError(f"{held:,} bytes of arrays from a {len(data):,}-byte pickle")


def seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    x = rng.random((4, 6)).astype(np.float32)
    y = rng.integers(0, 10, 4)
    values = [
        x, y, np.arange(5, dtype=np.uint8), np.zeros((2, 0)), np.array(3.5), np.asfortranarray(x),
        ((x, y), (x[:2], y[:2]), (x[2:], y[2:])),  # the shape of mnist.pkl.gz
        [x, {"labels": y, "n": 4, "name": "tiny"}],
        np.array([1, "a", None], dtype=object),
        np.zeros(3, dtype=[("a", "<i4"), ("b", "<f8")]),
    ]
    out = []
    for protocol in (2, 3, 4, 5):  # 2 and 5 name globals the reader refuses: seeds for that path
        out += [pickle.dumps(v, protocol=protocol) for v in values]
    out.append(pickle.dumps(__import__("os").getcwd, protocol=4))
    return [s for s in out if len(s) <= 4096]


TARGET = Target("safe_pickle", test_one_input, seeds, "pickle.UnpicklingError")

if __name__ == "__main__":
    main(TARGET)
