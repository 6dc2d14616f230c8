import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neuralab.data.idx import decode_idx, encode_idx, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
                  elements={"allow_nan": False}))
def test_encode_decode_round_trip(array):
    back = decode_idx(encode_idx(array))
    assert back.dtype == array.dtype.newbyteorder("=") and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_header_is_the_standard_mnist_one():
    data = encode_idx(np.zeros((2, 28, 28), np.uint8))
    assert data[:4] == b"\x00\x00\x08\x03"
    assert data[4:16] == (2).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    assert len(data) == 16 + 2 * 784


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_file_round_trip_plain_and_gzip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / name
    write_idx(path, array)
    assert path.read_bytes().startswith(b"\x1f\x8b") == name.endswith(".gz")
    np.testing.assert_array_equal(read_idx(path), array)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary files left


def test_truncated_file_names_the_file(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(encode_idx(np.arange(10, dtype=np.uint8))[:-3])
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte: IDX file truncated: 15 bytes.*needs 18"):
        read_idx(path)


def test_truncated_gzip_names_the_file(tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(np.arange(100, dtype=np.uint8)))[:-10])
    with pytest.raises(ValueError, match=r"labels-idx1-ubyte\.gz: cannot decompress.*truncated or corrupt"):
        read_idx(path)


def test_not_idx_and_unsupported_dtype():
    with pytest.raises(ValueError, match="not an IDX file"):
        decode_idx(b"PK\x03\x04rest", "archive.zip")
    with pytest.raises(ValueError, match="cannot store dtype int64"):
        encode_idx(np.zeros(3, np.int64))
