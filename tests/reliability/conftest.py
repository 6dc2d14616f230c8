"""Fixtures of the fault catalogue: tiny runs made once, read-only folders, small disks."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from faults import TINY, StopAt, mount, only_run, unmount, with_callback
from neuralab import cli


@contextlib.contextmanager
def placeholder_figures():
    """Figures are a run's last step and most of a tiny run's time (matplotlib's layout and PNG
    encoding: ~90% of an xor-mlp run here); these tests are about faults, so each PNG is a
    placeholder. The figures themselves are tested in tests/viz and tests/recipes."""
    import io  # noqa: PLC0415

    from matplotlib.figure import Figure  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    placeholder = io.BytesIO()
    Image.new("L", (1, 1)).save(placeholder, format="png")  # a real PNG: some runs read theirs back
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", lambda self, target, **options: Path(target).write_bytes(placeholder.getvalue()))
        yield


@pytest.fixture(autouse=True)
def figures_not_drawn():
    """Per test, so the placeholder never outlives this folder's tests (a session-wide patch
    turned every later figure test's PNG into one pixel)."""
    with placeholder_figures():
        yield


@pytest.fixture(scope="session")
def runs_made(tmp_path_factory):
    """A finished 3-epoch xor-mlp run and one interrupted inside epoch 2 (same seed), made once."""
    root = tmp_path_factory.mktemp("made")

    def interrupt():
        raise KeyboardInterrupt("stopped by the test")

    with placeholder_figures(), pytest.MonkeyPatch.context() as patch:
        assert cli.main(["train", *TINY, "--out", str(root / "finished")]) == 0
        with_callback(patch, StopAt(epoch=2, batch=3, action=interrupt))
        assert cli.main(["train", *TINY, "--out", str(root / "interrupted")]) == 130
    return {"finished": only_run(root / "finished"), "interrupted": only_run(root / "interrupted")}


@pytest.fixture
def finished_run(runs_made, tmp_path) -> Path:
    """A private copy of the finished run."""
    return Path(shutil.copytree(runs_made["finished"], tmp_path / runs_made["finished"].name))


@pytest.fixture
def interrupted_run(runs_made, tmp_path) -> Path:
    """A private copy of the run interrupted in epoch 2 (its last checkpoint: epoch 1)."""
    return Path(shutil.copytree(runs_made["interrupted"], tmp_path / runs_made["interrupted"].name))



@pytest.fixture
def read_only():
    """``read_only(folder)``: remount ``folder`` read-only (a bind mount: root ignores file modes)."""
    mounted = []

    def make(folder: Path) -> Path:
        mount("--bind", "-o", "ro", str(folder), str(folder))
        mounted.append(folder)
        return folder

    yield make
    for folder in reversed(mounted):
        unmount(folder)


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(kib)``: a fresh tmpfs of ``kib`` KiB (a full disk on demand)."""
    mounted = []

    def make(kib: int) -> Path:
        folder = tmp_path / f"disk-{len(mounted)}"
        folder.mkdir()
        mount("-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder))
        mounted.append(folder)
        return folder

    yield make
    for folder in reversed(mounted):
        unmount(folder)
