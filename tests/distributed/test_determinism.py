"""Determinism (issue #17 item 5): the same seed on the same machine gives the same run, bit for bit,
for every task family: the measures, the per-epoch log and the final checkpoint (weights,
optimizer, RNG states). The families and their short configs are the resume test's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from neuralab import recipes
from neuralab.cli import main
from neuralab.train import load_checkpoint

torch = pytest.importorskip("torch")

_spec = importlib.util.spec_from_file_location("resume_families", Path(__file__).parents[1] / "recipes" / "test_recipes_resume.py")
families = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(families)


@pytest.mark.parametrize("family", list(families.FAMILIES))
def test_the_same_seed_gives_the_same_run(family, tmp_path):
    config = families.resolve(family, tmp_path)
    config["train"]["epochs"] = 2
    first = recipes.run(config, runs_root=tmp_path / "first", progress=False)
    second = recipes.run(config, runs_root=tmp_path / "second", progress=False)
    measured = {k: v for k, v in first["metrics"].items() if k not in families.TIMING}
    assert measured and {k: second["metrics"][k] for k in measured} == measured
    first_dir, second_dir = Path(first["run_dir"]), Path(second["run_dir"])
    assert families.epoch_lines(first_dir) == families.epoch_lines(second_dir)
    families.assert_same(load_checkpoint(second_dir / "checkpoints" / "last"), load_checkpoint(first_dir / "checkpoints" / "last"))


def test_deterministic_flag_turns_on_torch_deterministic_algorithms(tmp_path, monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # restored after the test, as the flags below
    before = torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic
    try:
        assert main(["train", "xor-mlp", "--epochs", "1", "--deterministic", "--quiet", "--out", str(tmp_path)]) == 0
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        (run,) = tmp_path.iterdir()
        assert json.loads((run / "summary.json").read_text())["status"] == "completed"
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = before[1], before[2]
