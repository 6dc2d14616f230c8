"""Fuzz the IDX reader (``neuralab.data.idx``): raw and gzipped bytes.

Documented refusal: ``ValueError`` naming what the header declares and what came.
Properties checked on every accepted input: the array holds no more bytes than the file
(a declared shape is never allocated beyond the data that backs it), and encoding it
again gives back the same bytes.
"""

from __future__ import annotations

import gzip
import sys

import numpy as np

from fuzz.harness import Target, instrumented, main

with instrumented():
    from neuralab.data.idx import decode_idx, decompress_if_gzip, encode_idx


def test_one_input(data: bytes) -> None:
    try:
        raw = decompress_if_gzip(data, "fuzz.idx")
        array = decode_idx(raw, "fuzz.idx")
    except ValueError:
        return
    if array.nbytes > len(raw):
        raise AssertionError(f"{array.nbytes} bytes of array from {len(raw)} bytes of IDX")
    again = encode_idx(array)
    if again != bytes(raw):
        raise AssertionError("encode_idx(decode_idx(data)) differs from data")


def seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (3, 4, 4)).astype(np.uint8),
        rng.integers(0, 10, (7,)).astype(np.uint8),
        rng.integers(-128, 128, (2, 3)).astype(np.int8),
        rng.integers(-2**15, 2**15, (5,)).astype(np.int16),
        rng.integers(-2**31, 2**31, (2, 2)).astype(np.int32),
        rng.standard_normal((2, 3)).astype(np.float32),
        rng.standard_normal((4,)),
        np.zeros((0, 28, 28), np.uint8),
        np.array(7, np.uint8),
    ]
    encoded = [encode_idx(a) for a in arrays]
    return encoded + [gzip.compress(e, mtime=0) for e in encoded[:3]]


TARGET = Target("idx", test_one_input, seeds, "ValueError")

if __name__ == "__main__":
    main(TARGET)
