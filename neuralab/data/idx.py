"""The IDX format of MNIST and Fashion-MNIST: read and write.

An IDX file is a big-endian header followed by the raw array::

    bytes 0-1   zero
    byte  2     element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64)
    byte  3     number of dimensions d
    d x uint32  size of each dimension
    data        row-major, big-endian elements

``train-images-idx3-ubyte`` is ``(60000, 28, 28)`` uint8, ``train-labels-idx1-ubyte``
is ``(60000,)`` uint8. Files ending in ``.gz`` (or starting with the gzip magic) are
decompressed transparently by :func:`read_idx`.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from neuralab.io import atomic_write_bytes

_CODE_TO_DTYPE = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_KIND_TO_CODE = {(dtype.kind, dtype.itemsize): code for code, dtype in _CODE_TO_DTYPE.items()}
GZIP_MAGIC = b"\x1f\x8b"


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of ``array`` (uint8, int8, int16, int32, float32 or float64)."""
    array = np.asarray(array)
    code = _KIND_TO_CODE.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}: use uint8, int8, int16, int32, float32 or float64")
    if array.ndim > 255:
        raise ValueError(f"IDX stores at most 255 dimensions, got {array.ndim}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=_CODE_TO_DTYPE[code]).tobytes()


def decode_idx(data: bytes | bytearray | memoryview, name: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes into an array in native byte order.

    For uint8/int8 files the result is a read-only view on ``data`` (no copy).
    ``name`` (usually the file path) is used in error messages. Raises ``ValueError``
    for anything that is not a whole IDX file; the size its header declares is checked
    against the bytes given before anything is allocated.
    """
    view = memoryview(data)
    if len(view) < 4:
        raise ValueError(f"{name}: not an IDX file ({len(view)} bytes, the header alone needs at least 4)")
    zero0, zero1, code, ndim = struct.unpack_from(">BBBB", view, 0)
    if zero0 or zero1 or code not in _CODE_TO_DTYPE:
        raise ValueError(f"{name}: not an IDX file (magic bytes {bytes(view[:4]).hex()})")
    offset = 4 + 4 * ndim
    if len(view) < offset:
        raise ValueError(f"{name}: truncated IDX header ({len(view)} bytes, expected at least {offset})")
    shape = struct.unpack_from(f">{ndim}I", view, 4)
    dtype = _CODE_TO_DTYPE[code]
    # Exact integer product: np.prod in int64 wraps (65536**4 == 0), letting a 20-byte file
    # "match" a shape of 2**64 elements. Checked against the bytes before anything is allocated.
    expected = offset + math.prod(shape) * dtype.itemsize
    if len(view) != expected:
        what = "truncated" if len(view) < expected else "has trailing bytes"
        raise ValueError(f"{name}: IDX file {what}: {len(view):,} bytes, shape {shape} needs {expected:,}")
    array = np.frombuffer(view, dtype=dtype, offset=offset).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def decompress_if_gzip(data: bytes, name: str = "data") -> bytes:
    """Return ``data`` gunzipped when it starts with the gzip magic, else unchanged."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{name}: cannot decompress gzip data ({error}): the file is truncated or corrupt") from error


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzipped or not."""
    path = Path(path)
    return decode_idx(decompress_if_gzip(path.read_bytes(), str(path)), str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file, atomically; gzip it when ``compress`` (default: the
    path ends in ``.gz``)."""
    path = Path(path)
    data = encode_idx(array)
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)
