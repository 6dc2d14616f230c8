"""Data-parallel training (issue #17 item 1): 2 CPU processes with gloo follow one process.

Each launch costs a few seconds of process start-up (three Python processes importing torch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
import torch.distributed  # noqa: E402

from neuralab.cli import main  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="torch built without gloo")

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def clean_env() -> dict[str, str]:
    """This environment without a surrounding launch's variables, threads at one per process."""
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    return {**env, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}


def test_two_processes_match_one_after_20_steps(tmp_path):
    """For each way a task feeds the Trainer: loss_fn (classify), compute_loss (VAE, diffusion),
    a batch source (language models)."""
    sys.path.insert(0, str(HERE))
    try:
        import mlp_worker  # noqa: PLC0415
    finally:
        sys.path.remove(str(HERE))
    out = tmp_path / "ddp.npz"
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                    str(HERE / "mlp_worker.py"), str(out)], check=True, env=clean_env(), cwd=ROOT, timeout=240)
    parallel = np.load(out)
    for way in mlp_worker.WAYS:
        single = mlp_worker.train_small_mlp(way)
        assert sorted(parallel.files) == sorted(f"{w}/{name}" for w in mlp_worker.WAYS for name in single)
        for name, value in single.items():
            np.testing.assert_allclose(parallel[f"{way}/{name}"], value, atol=1e-5, rtol=0, err_msg=f"{way}: {name}")
    import torch  # noqa: PLC0415

    torch.manual_seed(5)  # the initial weights of the worker's MLP: training moved away from them
    initial = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.Tanh(), torch.nn.Linear(32, 3)).state_dict()
    for way in mlp_worker.WAYS:
        assert float(np.abs(parallel[f"{way}/2.weight"] - initial["2.weight"].numpy()).max()) > 1e-2


def neuralab_train(out: Path, *extra: str) -> dict:
    """A short iris-mlp run (5 epochs: test accuracy still below its ceiling) and its summary."""
    arguments = ["train", "iris-mlp", "--epochs", "5", "--out", str(out), "--quiet", "--set", "threads=1", *extra]
    if "--nproc" in extra:
        done = subprocess.run([sys.executable, "-m", "neuralab", *arguments], env=clean_env(), cwd=ROOT,
                              capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr[-3000:]
    else:
        assert main(arguments) == 0
    (run,) = out.iterdir()
    return json.loads((run / "summary.json").read_text())


def test_neuralab_train_nproc_2_matches_one_process(tmp_path):
    one = neuralab_train(tmp_path / "one")
    two = neuralab_train(tmp_path / "two", "--nproc", "2")
    assert abs(two["metrics"]["test_accuracy"] - one["metrics"]["test_accuracy"]) <= 0.003
    assert two["epochs"] == one["epochs"] == 5
    (run,) = (tmp_path / "two").iterdir()  # rank 0 alone wrote one run folder
    assert (run / "checkpoints" / "last.safetensors").exists()
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines if line["split"] == "train"] == [1, 2, 3, 4, 5]  # one writer, not two


def test_scratch_engine_with_nproc_is_refused(tmp_path, capsys):
    assert main(["train", "xor-mlp", "--engine", "scratch", "--nproc", "2", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "--nproc 2 needs the torch engine" in error and "Traceback" not in error
    assert not any(tmp_path.iterdir())


def test_nproc_below_one_is_refused(tmp_path, capsys):
    assert main(["train", "xor-mlp", "--nproc", "0", "--out", str(tmp_path)]) == 2
    assert "--nproc must be a whole number of processes, at least 1; got 0" in capsys.readouterr().err
