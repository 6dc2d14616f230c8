import argparse

import pytest

from neuralab.cli import data as data_cli
from neuralab.data import cache, idx_sets, mnist


def _run(capsys, *argv):
    parser = argparse.ArgumentParser(prog="neuralab")
    data_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_empty_cache(capsys, data_home):
    code, out, _ = _run(capsys, "list")
    assert code == 0 and str(data_home) in out and "not cached: mnist, fashion-mnist" in out


def test_fetch_toys_and_unknown(capsys):
    code, out, _ = _run(capsys, "fetch", "moons", "ring")
    assert code == 0 and "moons" in out and "generated" in out
    with pytest.raises(KeyError, match="did you mean 'mnist'"):
        _run(capsys, "fetch", "mnsit")


def test_fetch_missing_folder_is_one_clear_error(capsys, tmp_path):
    with pytest.raises(FileNotFoundError, match="no MNIST files"):
        _run(capsys, "fetch", "mnist", "--source-dir", str(tmp_path))


def test_list_reports_corrupt_files(capsys, tiny, tmp_path):
    spec, files = tiny
    idx_sets.store(spec, files, "test")
    code, out, _ = _run(capsys, "list")
    assert code == 0 and out.count(" OK") == 4 and "tiny" in out
    path = cache.dataset_dir("tiny") / idx_sets.TEST_IMAGES
    path.write_bytes(path.read_bytes()[:-1])
    code, out, err = _run(capsys, "list")
    assert code == 1 and "CORRUPT" in out and "neuralab data fetch tiny --force" in err


def test_fetch_several_reports_each_failure(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(mnist.idx_sets.urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    monkeypatch.setattr("neuralab.data.fashion_mnist.DEBIAN_DIR", tmp_path / "absent")
    code, out, err = _run(capsys, "fetch", "mnist", "fashion-mnist", "xor")
    assert code == 2 and "mnist" in err and "FAILED" in err and "xor" in out
