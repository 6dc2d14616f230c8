"""The 2-D toy recipes (xor-mlp, circles-mlp, spirals-mlp) and the figures the classify runner picks
by the shape of the data: a decision boundary for points of the plane, never fake images."""

from __future__ import annotations

import json
import time

import pytest

from neuralab import data, recipes
from neuralab.cli import main

QUICK = ["--set", "threads=1", "--quiet"]
PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def figures(run_dir) -> set[str]:
    return {path.name for path in (run_dir / "figures").iterdir()}


@pytest.mark.parametrize("shape, kind", [
    ((2,), "points"), ((4,), "tabular"), ((3,), "tabular"), ((16,), "tabular"), ((63,), "tabular"),
    ((64,), "image"), ((784,), "image"), ((1, 8, 8), "image"), ((1, 28, 28), "image"), ((8, 8), "image"),
])
def test_input_kind_follows_the_shape(shape, kind):
    assert data.input_kind(shape) == kind


def test_the_registered_sets_have_the_expected_kinds():
    assert data.load("xor").input_kind == "points" and data.load("spirals", k=3).input_kind == "points"
    assert data.load("iris").input_kind == "tabular"
    assert data.load("digits").input_kind == "image"


def test_toy_recipes_are_in_the_catalog_with_their_curriculum():
    for name, target in (("xor-mlp", 0.99), ("circles-mlp", 0.98), ("spirals-mlp", 0.95)):
        recipe = recipes.get(name)
        assert recipe.task == "classify" and recipe.targets == {"test_accuracy": target}
        assert recipe.config["model"]["name"] == "mlp" and recipe.curriculum
    assert recipes.get("xor-mlp").curriculum.startswith("004:1213-1640")
    assert recipes.get("circles-mlp").curriculum.startswith("004:136-178")
    assert "no seed reference" in recipes.get("spirals-mlp").curriculum


def test_xor_mlp_meets_its_target_and_draws_its_decision_boundary(tmp_path, capsys):
    """The default recipe, untouched, in seconds: target met, a decision boundary and no image grid."""
    start = time.perf_counter()
    code, out, _ = run_cli(capsys, "train", "xor-mlp", "--out", str(tmp_path), "--quiet")
    seconds = time.perf_counter() - start
    assert code == 0 and "target test_accuracy >= 0.99: met" in out
    (run_dir,) = tmp_path.iterdir()
    assert figures(run_dir) == {"curves.png", "confusion.png", "decision_boundary.png"}
    assert (run_dir / "figures" / "decision_boundary.png").read_bytes()[:8] == PNG
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["metrics"]["test_accuracy"] >= 0.99 and summary["targets"]["test_accuracy"]["met"]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["data"]["options"]["noise"] == 0.15 and config["model"]["sizes"] == [2, 8, 2]
    assert seconds < 60, f"xor-mlp took {seconds:.1f} s: it is meant to take seconds"
    code, out, _ = run_cli(capsys, "eval", str(run_dir), "--checkpoint", "last", "--json")  # eval reads data.options
    assert code == 0 and json.loads(out)["test_accuracy"] == summary["metrics"]["test_accuracy"]


@pytest.mark.parametrize("name", ["circles-mlp", "spirals-mlp"])
def test_toy_recipes_run_on_the_scratch_engine(tmp_path, capsys, name):
    code, out, _ = run_cli(capsys, "train", name, "--engine", "scratch", "--epochs", "2", "--out", str(tmp_path), *QUICK)
    assert code in (0, 1) and f"{name} (scratch, cpu, seed 0)" in out  # 2 epochs need not meet the target
    (run_dir,) = tmp_path.iterdir()
    assert figures(run_dir) == {"curves.png", "confusion.png", "decision_boundary.png"}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert 0.0 <= summary["metrics"]["test_accuracy"] <= 1.0


def test_iris_draws_a_table_of_mistakes_and_no_images(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "train", "iris-mlp", "--epochs", "3", "--out", str(tmp_path), *QUICK)
    assert code in (0, 1)
    (run_dir,) = tmp_path.iterdir()
    assert figures(run_dir) == {"curves.png", "confusion.png", "misclassified_table.png"}


def test_an_iris_recipe_on_xor_trains_a_net_fitted_to_the_points(tmp_path, capsys):
    """Once a crash ('cannot show a flat sample of 2 values as a square image'); now a 2-10-2 net and its boundary."""
    code, out, _ = run_cli(capsys, "train", "iris-mlp", "--set", "data.name=xor", "--epochs", "5",
                           "--out", str(tmp_path), *QUICK)
    assert code in (0, 1) and "test_accuracy" in out
    (run_dir,) = tmp_path.iterdir()
    assert figures(run_dir) == {"curves.png", "confusion.png", "decision_boundary.png"}
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["sizes"] == [2, 10, 2]  # iris's 4-10-3, fitted to 2 inputs and 2 classes
    code, out, _ = run_cli(capsys, "eval", str(run_dir), "--json")
    assert code == 0 and "test_accuracy" in json.loads(out)


def test_options_of_another_data_set_are_refused_before_training(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "xor-mlp", "--set", "data.name=iris", "--out", str(tmp_path), *QUICK)
    assert code == 2 and "iris has no option" in err and "data.options={}" in err
    assert not any(tmp_path.iterdir())
    code, _, _ = run_cli(capsys, "train", "xor-mlp", "--set", "data.name=iris", "--set", "data.options={}",
                         "--set", "data.standardize=true", "--epochs", "2", "--out", str(tmp_path), *QUICK)
    assert code in (0, 1)
