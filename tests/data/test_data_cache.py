"""Cache integrity: corrupt, truncated or half-written files are reported, never used."""

import gzip
import os

import numpy as np
import pytest

from neuralab import data
from neuralab.data import cache, idx_sets
from neuralab.data.checksums import ChecksumError
from neuralab.io import atomic_path


def _obtain_from(folder, spec):
    return lambda: (idx_sets.read_folder(spec, folder), f"IDX files in {folder}")


def _source_folder(tmp_path, files, gz=True):
    folder = tmp_path / "source"
    folder.mkdir()
    for name, raw in files.items():
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(raw) if gz else raw)
    return folder


def test_fetch_then_load_then_idempotent(tmp_path, tiny, data_home):
    spec, files = tiny
    obtain = _obtain_from(_source_folder(tmp_path, files), spec)
    info = idx_sets.fetch(spec, obtain)
    assert info.action == "cached" and info.counts == {"train": 25, "val": 5, "test": 10}
    assert info.path == data_home / "tiny"
    assert sorted(p.name for p in info.path.iterdir()) == sorted([*idx_sets.IDX_FILES, "manifest.json"])
    assert idx_sets.fetch(spec, obtain).action == "already cached"
    splits = idx_sets.load_cached(spec)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (25, 5, 10)
    assert splits.train.x.shape == (25, 1, 6, 6) and splits.train.x.dtype == np.float32
    assert splits.train.y.dtype == np.int64 and splits.num_classes == 3
    train = idx_sets.decode_idx(files[idx_sets.TRAIN_IMAGES])
    np.testing.assert_array_equal(splits.val.x[:, 0] * 255, train[25:].astype(np.float32))  # val = last 5
    assert splits.sha256 == dict(spec.sha256)


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_cache_file_is_reported_and_not_used(tmp_path, tiny, damage):
    spec, files = tiny
    idx_sets.fetch(spec, _obtain_from(_source_folder(tmp_path, files), spec))
    path = cache.dataset_dir("tiny") / idx_sets.TRAIN_IMAGES
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[100] ^= 0xFF
    else:
        del raw[-50:]
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError) as caught:
        idx_sets.load_cached(spec)
    message = str(caught.value)
    assert str(path) in message and spec.sha256[idx_sets.TRAIN_IMAGES] in message
    assert caught.value.found in message and caught.value.found != caught.value.expected
    assert "fetch tiny --force" in message
    assert idx_sets.cache_state(spec) == "corrupt"
    (row,) = data.cached()
    assert not row.verified and row.status[row.files.index(idx_sets.TRAIN_IMAGES)] == "CORRUPT"
    # fetch repairs it explicitly
    assert idx_sets.fetch(spec, _obtain_from(tmp_path / "source", spec)).action == "rebuilt"
    assert len(idx_sets.load_cached(spec).train) == 25


def test_tampered_manifest_is_caught(tmp_path, tiny):
    spec, files = tiny
    idx_sets.fetch(spec, _obtain_from(_source_folder(tmp_path, files), spec))
    manifest = cache.dataset_dir("tiny") / "manifest.json"
    manifest.write_text(manifest.read_text().replace(spec.sha256[idx_sets.TEST_LABELS], "0" * 64))
    with pytest.raises(ChecksumError, match="manifest disagrees with the built-in checksum"):
        idx_sets.load_cached(spec)


@pytest.mark.parametrize("gz", [True, False])
def test_corrupt_source_file_names_file_and_checksums(tmp_path, tiny, gz):
    spec, files = tiny
    folder = _source_folder(tmp_path, files, gz=gz)
    name = idx_sets.TRAIN_LABELS + (".gz" if gz else "")
    (folder / name).write_bytes((folder / name).read_bytes()[:-4])
    with pytest.raises(ChecksumError) as caught:
        idx_sets.fetch(spec, _obtain_from(folder, spec))
    assert str(folder / name) in str(caught.value) and spec.sha256[idx_sets.TRAIN_LABELS] in str(caught.value)
    assert not cache.dataset_dir("tiny").exists()  # nothing was cached


def test_atomic_path_leaves_nothing_when_interrupted(tmp_path):
    final = tmp_path / "big.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(final) as tmp:
            tmp.write_bytes(b"half of the data")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_interrupted_fetch_leaves_no_partial_file_and_no_manifest(tmp_path, tiny, monkeypatch):
    spec, files = tiny
    obtain = _obtain_from(_source_folder(tmp_path, files), spec)
    real_write = cache.atomic_write_bytes
    calls = []

    def dies_on_second_file(path, payload):
        calls.append(path)
        if len(calls) == 2:
            with atomic_path(path) as tmp:
                tmp.write_bytes(payload[: len(payload) // 2])
                raise KeyboardInterrupt  # e.g. Ctrl-C halfway through the write
        real_write(path, payload)

    monkeypatch.setattr(cache, "atomic_write_bytes", dies_on_second_file)
    with pytest.raises(KeyboardInterrupt):
        idx_sets.fetch(spec, obtain)
    folder = cache.dataset_dir("tiny")
    assert sorted(os.listdir(folder)) == [idx_sets.TRAIN_IMAGES]  # only the complete first file
    assert idx_sets.cache_state(spec) == "missing"
    (row,) = data.cached()
    assert not row.verified and "incomplete" in row.problem
    with pytest.raises(data.NotCachedError, match="not cached"):
        idx_sets.load_cached(spec)
    monkeypatch.setattr(cache, "atomic_write_bytes", real_write)
    assert len(idx_sets.load(spec, obtain).train) == 25  # load fetches again from the source


def test_download_offline_fails_clearly(tiny):
    spec, _ = tiny
    with pytest.raises(data.SourceUnavailableError, match=r"could not download Tiny \(offline\?\): http://127\.0\.0\.1:9/"):
        idx_sets.download(spec, timeout=2)


def test_missing_cache_message(tiny):
    spec, _ = tiny
    with pytest.raises(FileNotFoundError, match=r"tiny is not cached.*neuralab data fetch tiny"):
        idx_sets.load_cached(spec)


def test_partial_source_folder_names_missing_files(tmp_path, tiny):
    spec, files = tiny
    folder = _source_folder(tmp_path, files)
    (folder / (idx_sets.TEST_LABELS + ".gz")).unlink()
    with pytest.raises(FileNotFoundError, match="missing t10k-labels-idx1-ubyte"):
        idx_sets.read_folder(spec, folder)
