"""Catalogue: datasets missing, truncated, with the wrong magic number or shapes, NaN and infinity
in inputs. The source files and the cache are never changed by a refusal (SHA-256 before and after),
and a damaged cache is reported, never silently used nor silently replaced."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from faults import assert_refused, neuralab, only_run, tree_hashes
from neuralab.data.idx_sets import IDX_FILES

REAL_MNIST = Path.home() / ".cache" / "neuralab" / "mnist"
needs_mnist = pytest.mark.skipif(not (REAL_MNIST / "manifest.json").exists(),
                                 reason="needs the cached MNIST files (neuralab data fetch mnist)")


@pytest.fixture
def source(tmp_path, monkeypatch):
    """An empty cache ($NEURALAB_DATA) and a source folder ($NEURALAB_MNIST_DIR) holding a copy of MNIST's IDX files."""
    monkeypatch.setenv("NEURALAB_DATA", str(tmp_path / "cache"))
    folder = tmp_path / "mnist-files"
    folder.mkdir()
    monkeypatch.setenv("NEURALAB_MNIST_DIR", str(folder))
    return folder


def copy_mnist(folder: Path) -> None:
    for name in IDX_FILES:
        shutil.copy(REAL_MNIST / name, folder / name)


def fetch(capsys, folder: Path):
    return neuralab(["data", "fetch", "mnist", "--source-dir", folder], capsys)


def test_a_missing_dataset_names_what_to_put_where(source, tmp_path, capsys):
    code, _, err = neuralab(["train", "mnist-mlp", "--epochs", "1", "--quiet", "--out", tmp_path / "runs"], capsys)
    assert_refused(code, err, f"{source}: no MNIST files (expected train-images-idx3-ubyte[.gz]")
    assert not (tmp_path / "cache" / "mnist" / "manifest.json").exists()


@needs_mnist
def test_a_dataset_missing_some_files_names_them(source, capsys):
    shutil.copy(REAL_MNIST / IDX_FILES[0], source / IDX_FILES[0])
    code, _, err = fetch(capsys, source)
    assert_refused(code, err, "missing train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]")


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:5000])


def damage_magic(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[2] = 0x07  # the element-type byte of the magic number: no IDX type
    path.write_bytes(bytes(raw))


def damage_shape(path: Path) -> None:
    """The header declares half as many items as the file holds."""
    raw = bytearray(path.read_bytes())
    raw[4:8] = (int.from_bytes(raw[4:8], "big") // 2).to_bytes(4, "big")
    path.write_bytes(bytes(raw))


def damage_gzip(path: Path) -> None:
    packed = gzip.compress(path.read_bytes(), mtime=0)
    path.unlink()
    path.with_name(path.name + ".gz").write_bytes(packed[: len(packed) // 2])


SOURCE_FAULTS = {
    "truncated": (damage_truncate, ["not the expected IDX data (5,000 bytes once decompressed)", "SHA-256"]),
    "wrong-magic": (damage_magic, ["not the expected IDX data", "SHA-256"]),
    "wrong-shape": (damage_shape, ["not the expected IDX data", "SHA-256"]),
    "truncated-gzip": (damage_gzip, ["cannot decompress gzip data", "truncated or corrupt"]),
}


@needs_mnist
@pytest.mark.parametrize("fault", list(SOURCE_FAULTS))
def test_a_damaged_source_file_is_refused_before_anything_is_cached(fault, source, tmp_path, capsys):
    copy_mnist(source)
    damage, expected = SOURCE_FAULTS[fault]
    damage(source / "train-labels-idx1-ubyte")  # the small file (60 kB): gzipping the images takes long
    before = tree_hashes(source)
    code, _, err = fetch(capsys, source)
    assert_refused(code, err, "train-labels-idx1-ubyte", *expected)
    assert tree_hashes(source) == before
    assert not (tmp_path / "cache" / "mnist" / "manifest.json").exists()


@needs_mnist
def test_a_truncated_cache_file_is_reported_and_left_for_the_user(source, tmp_path, capsys):
    copy_mnist(source)
    assert fetch(capsys, source)[0] == 0
    cached = tmp_path / "cache" / "mnist"
    damage_truncate(cached / "t10k-labels-idx1-ubyte")
    before = tree_hashes(cached)
    code, _, err = neuralab(["train", "mnist-mlp", "--epochs", "1", "--quiet", "--out", tmp_path / "runs"], capsys)
    assert_refused(code, err, "t10k-labels-idx1-ubyte", "corrupt or truncated (5,000 bytes, expected 10,008)",
                   "neuralab data fetch mnist --force")
    assert tree_hashes(cached) == before  # not silently replaced
    code, out, _ = neuralab(["data", "list"], capsys)
    assert code == 1 and "CORRUPT" in out


def test_a_corpus_that_is_not_text_is_refused(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(b"\xff\xfe\x00\x01 binary")
    code, _, err = neuralab(["train", "shakespeare-rnn", "--epochs", "1", "--quiet", "--out", tmp_path / "runs",
                             "--set", f"data.path={corpus}"], capsys)
    assert_refused(code, err, "corpus.txt: not UTF-8 text")


def test_a_corpus_that_does_not_exist_is_refused(tmp_path, capsys):
    code, _, err = neuralab(["train", "shakespeare-rnn", "--epochs", "1", "--quiet", "--out", tmp_path / "runs",
                             "--set", f"data.path={tmp_path / 'nowhere.txt'}"], capsys)
    assert_refused(code, err, "nowhere.txt: no such file or folder")


def test_data_of_the_wrong_shape_for_the_model_is_refused(tmp_path, capsys):
    code, _, err = neuralab(["train", "mnist-cnn", "--epochs", "1", "--quiet", "--out", tmp_path / "runs",
                             "--set", "data.name=iris"], capsys)
    assert_refused(code, err, "the cnn takes square images (channels, H, H); iris inputs are (4,)")


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    from neuralab import cli  # noqa: PLC0415

    root = tmp_path_factory.mktemp("iris")
    assert cli.main(["train", "iris-mlp", "--epochs", "2", "--quiet", "--set", "threads=1", "--out", str(root)]) == 0
    return only_run(root)


@pytest.mark.parametrize("row, expected", [
    ("5.1,3.5,nan,0.2", "expected 4 finite numbers; got ['5.1', '3.5', 'nan', '0.2']"),
    ("5.1,3.5,inf,0.2", "expected 4 finite numbers; got ['5.1', '3.5', 'inf', '0.2']"),
    ("5.1,3.5,1.4,0.2,9", "expected 4 finite numbers; got ['5.1', '3.5', '1.4', '0.2', '9']"),
], ids=["nan", "infinity", "wrong-width"])
def test_nan_infinity_or_a_wrong_width_in_inputs_is_refused(row, expected, iris_run, tmp_path, capsys):
    rows = tmp_path / "flowers.csv"
    rows.write_text(row + "\n")
    before = tree_hashes(iris_run)
    code, _, err = neuralab(["predict", iris_run, rows], capsys)
    assert_refused(code, err, "flowers.csv, row 1", expected)
    assert tree_hashes(iris_run) == before


def test_a_loss_that_becomes_nan_stops_in_one_line_naming_the_fix(tmp_path, capsys):
    code, _, err = neuralab(["train", "iris-mlp", "--epochs", "3", "--quiet", "--out", tmp_path / "runs",
                             "--set", "optimizer.name=sgd", "--lr", "1e30"], capsys)
    assert_refused(code, err, "training diverged at epoch 1", "the training loss became nan", "lower the learning rate")
    summary = (only_run(tmp_path / "runs") / "summary.json").read_text()
    assert '"status": "diverged"' in summary

