"""The wheel: built by ``python -m build``, installed with plain ``pip install`` into a fresh venv.

``python -m build`` makes the sdist, then the wheel *from the unpacked sdist*, so a file the
sdist forgets is missing from the wheel too. The venv has no system site-packages: pip
fetches the core (NumPy, matplotlib, tqdm, safetensors) from the configured index like any
user's install, and nothing else (no torch, no FastAPI). In it ``neuralab recipes`` lists the
catalog, a scratch-engine training writes its run folder, the lab's pages ship inside the
package, and the lab and the torch engine, both extras, each refuse in one line that names the
``pip install 'neuralab[...]'`` to run. pip's resolver (a dry run) shows that the light extras
(lab, tune, tensorboard) pull neither torch nor scikit-learn.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATIC = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "neuralab" / "lab" / "static").rglob("*") if p.is_file())
CORE = {"numpy", "matplotlib", "tqdm", "safetensors"}


def run(*command, cwd=None, env=None, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel of a copy of the source (the shared tree gets no build/ or egg-info)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist")
    shutil.copytree(ROOT / "neuralab", source / "neuralab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    # --no-isolation: the test venv already has setuptools (the build backend), so no second download
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source)
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh venv (no system site-packages) with the wheel installed by pip; returns its bin/."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(home)
    bin_dir = home / "bin"
    (wheel,) = dist.glob("neuralab-*.whl")
    # This interpreter's pip installs into the new venv (--python): the same `pip install` a user
    # runs, without bootstrapping a second pip.
    run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "-q", "--no-compile", wheel)
    return bin_dir


def test_the_sdist_holds_the_package_and_the_lab_pages(dist):
    (sdist,) = dist.glob("neuralab-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "README.md", "neuralab/cli/__init__.py", "neuralab/scratch/__init__.py"} <= names
    assert STATIC and set(STATIC) <= names, sorted(set(STATIC) - names)


def test_the_wheel_holds_the_lab_pages_and_requires_only_the_core(dist):
    (wheel,) = dist.glob("neuralab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert set(STATIC) <= names, sorted(set(STATIC) - names)
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    core = {r.split(">")[0].split("=")[0].split("<")[0].strip() for r in requires if "extra ==" not in r}
    assert core == CORE, core
    extras = {line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Provides-Extra:")}
    assert {"torch", "lab", "tune", "onnx", "tensorboard"} <= extras, extras
    lab = {r.split(">")[0].strip() for r in requires if "extra == \"lab\"" in r}
    assert lab == {"fastapi", "uvicorn"}, lab


def test_the_installed_wheel_lists_recipes_and_trains_on_the_scratch_engine(installed, tmp_path):
    probe = "import json, importlib.metadata as m; print(json.dumps([d.metadata['Name'] for d in m.distributions()]))"
    packages = {name.lower() for name in json.loads(run(installed / "python", "-c", probe).stdout)}
    assert CORE | {"neuralab"} <= packages
    assert not packages & {"torch", "fastapi", "uvicorn", "scikit-learn", "optuna", "tensorboard", "onnx"}, packages

    listing = run(installed / "neuralab", "recipes", cwd=tmp_path).stdout
    assert "xor-mlp" in listing and "mnist-cnn" in listing

    env = dict(os.environ, NEURALAB_DATA=str(tmp_path / "data"))  # nothing from the test machine's cache
    run(installed / "neuralab", "train", "xor-mlp", "--engine", "scratch", "--epochs", "3", "--quiet",
        "--out", tmp_path / "runs", cwd=tmp_path, env=env)
    (run_dir,) = (tmp_path / "runs").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["engine"] == "scratch" and summary["epochs"] == 3
    assert 0.0 <= summary["metrics"]["test_accuracy"] <= 1.0
    assert (run_dir / "checkpoints" / "last.safetensors").exists()


def test_the_light_extras_pull_neither_torch_nor_scikit_learn(dist, tmp_path):
    """pip's own resolver (a dry run, nothing installed): the lab, tuning and TensorBoard extras
    bring their packages and none of the heavy ones another extra is for."""
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(home)
    (wheel,) = dist.glob("neuralab-*.whl")
    report = tmp_path / "report.json"
    run(sys.executable, "-m", "pip", "--python", home / "bin" / "python", "install", "--dry-run", "-q",
        "--report", report, f"{wheel}[lab,tune,tensorboard]")
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert CORE | {"fastapi", "uvicorn", "optuna", "optuna-dashboard", "tensorboard"} <= names, names
    assert not names & {"torch", "scikit-learn", "onnxruntime", "jupytext", "sympy"}, names


@pytest.mark.parametrize(("command", "extra"), [(["lab", "--no-browser", "--port", "0"], "lab"),
                                                (["train", "xor-mlp", "--epochs", "1"], "torch")])
def test_a_missing_extra_is_one_line_naming_its_pip_install(installed, tmp_path, command, extra):
    done = run(installed / "neuralab", *command, cwd=tmp_path, check=False)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"pip install 'neuralab[{extra}]'" in lines[0], lines[0]
