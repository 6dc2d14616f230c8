"""The `neuralab` CLI and the recipe layer: bad inputs fail early and clearly, runs are complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from neuralab import recipes
from neuralab.cli import main

QUICK = ["--set", "threads=1", "--quiet"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_unknown_recipe_suggests_the_closest(capsys):
    code, _, err = run_cli(capsys, "train", "mnist-mpl")
    assert code == 2
    assert "unknown recipe 'mnist-mpl'" in err and "did you mean 'mnist-mlp'" in err


def test_unknown_option_suggests_the_closest(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "digits-mlp", "--epoch", "3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--epoch" in err and "did you mean --epochs?" in err


def test_unknown_option_message_names_the_sub_command_option(capsys):
    with pytest.raises(SystemExit):
        main(["train", "digits-mlp", "--batchsize", "3"])
    assert "did you mean --batch-size?" in capsys.readouterr().err


def test_an_option_of_another_command_names_that_command(capsys):
    with pytest.raises(SystemExit):
        main(["train", "digits-mlp", "--runs", "x"])  # --runs is the lab's; train has --out
    err = capsys.readouterr().err
    assert "--runs belongs to neuralab lab" in err and "did you mean --runs" not in err


def test_unknown_config_key_suggests_the_closest():
    with pytest.raises(KeyError, match="did you mean 'model.dropout'"):
        recipes.resolve("mnist-mlp", overrides=["model.dropuot=0.2"])


@pytest.mark.parametrize(
    "flags, message",
    [
        ({"lr": -0.1}, "learning rate must be a positive number; got -0.1"),
        ({"batch_size": 0}, "batch size must be an integer >= 1; got 0"),
        ({"epochs": 0}, "epochs must be an integer >= 1; got 0"),
        ({"overrides": ["data.name=mnistt"]}, "did you mean 'mnist'"),
        ({"overrides": ["train.clip_grad_norm=-1"]}, "clip_grad_norm must be positive"),
        ({"overrides": ["model.dropout=1.5"]}, None),  # checked when the model is built, still before training
    ],
)
def test_invalid_values_fail_before_training(tmp_path, capsys, flags, message):
    argv = ["train", "digits-mlp", "--out", str(tmp_path), *QUICK]
    if "lr" in flags:
        argv += ["--lr", str(flags["lr"])]
    if "batch_size" in flags:
        argv += ["--batch-size", str(flags["batch_size"])]
    if "epochs" in flags:
        argv += ["--epochs", str(flags["epochs"])]
    for override in flags.get("overrides", []):
        argv += ["--set", override]
    if message is None:
        with pytest.raises(ValueError, match="dropout must be in"):
            recipes.run(recipes.resolve("digits-mlp", overrides=flags["overrides"]), runs_root=tmp_path, progress=False)
    else:
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and message in err
    assert not any(tmp_path.iterdir()), "no run folder may be created for a refused config"


def test_set_requires_key_value(capsys):
    code, _, err = run_cli(capsys, "train", "digits-mlp", "--set", "model.dropout")
    assert code == 2 and "--set expects key=value" in err


def test_resolved_config_spells_out_every_default():
    config = recipes.resolve("mnist-cnn", seed=3, overrides=["model.hidden=64", "schedule={\"name\": \"cosine\"}"])
    assert config["seed"] == 3 and config["model"]["hidden"] == 64
    assert config["model"]["kernel_size"] == 3 and config["model"]["batchnorm"] is True  # from build()'s defaults
    assert config["schedule"] == {"name": "cosine"}


def test_recipes_table_lists_every_recipe(capsys):
    code, out, _ = run_cli(capsys, "recipes")
    assert code == 0
    for name in recipes.names():
        assert name in out
    assert "test_accuracy >= 0.98" in out


def test_a_run_writes_the_whole_folder_and_eval_reproduces_it(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "train", "iris-mlp", "--epochs", "20", "--out", str(tmp_path), "--seed", "1", *QUICK)
    assert code == 0 and "target test_accuracy >= 0.9" in out
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("recipe", "engine", "device", "seed", "epochs", "wall_time_s", "metrics"):
        assert key in summary
    assert summary["seed"] == 1 and summary["epochs"] == 20
    assert 0.0 <= summary["metrics"]["test_accuracy"] <= 1.0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["optimizer"]["betas"] == [0.9, 0.999] and config["optimizer"]["eps"] == 1e-8
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in lines if row["split"] == "train"] == list(range(1, 21))
    for name in ("curves", "confusion", "misclassified_table"):  # iris is tabular: a table of mistakes, no images
        assert (run_dir / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("best", "last"):
        assert (run_dir / "checkpoints" / f"{name}.safetensors").exists()
    code, out, _ = run_cli(capsys, "eval", str(run_dir), "--checkpoint", "last", "--json")
    assert code == 0
    evaluated = json.loads(out)
    assert evaluated["test_accuracy"] == summary["metrics"]["test_accuracy"]
    assert evaluated["test_loss"] == pytest.approx(summary["metrics"]["test_loss"], rel=1e-6)


def test_eval_of_a_missing_run_is_a_clear_error(tmp_path, capsys):
    code, _, err = run_cli(capsys, "eval", str(tmp_path / "nope"))
    assert code == 2 and "nope" in err


def _train_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "neuralab", "train", "digits-mlp", "--epochs", "6", "--seed", "7",
            "--out", str(out), "--set", "threads=1", "--set", "model.dropout=0.2"]


def test_killed_mid_epoch_then_resumed_matches_an_uninterrupted_run(tmp_path):
    """SIGKILL during epoch 2-3, `--resume RUN`, and the final metrics and weights equal a clean run's."""
    clean = subprocess.run(_train_command(tmp_path / "clean"), capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(_train_command(tmp_path / "killed"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env) as killed:
        for line in killed.stdout:  # epoch 1's checkpoint is on disk by the time epoch 2 reports
            if line.startswith("epoch 2/6"):
                killed.send_signal(signal.SIGKILL)
                break
        killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    (run_dir,) = (tmp_path / "killed").iterdir()
    saved_epoch = json.loads((run_dir / "checkpoints" / "last.json").read_text())["state"]["epoch"]
    assert 1 <= saved_epoch < 6, "the kill must leave an unfinished run behind"

    resumed = subprocess.run([sys.executable, "-m", "neuralab", "train", "--resume", str(run_dir), "--quiet"],
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    (clean_dir,) = (tmp_path / "clean").iterdir()
    clean_summary = json.loads((clean_dir / "summary.json").read_text())
    resumed_summary = json.loads((run_dir / "summary.json").read_text())
    assert resumed_summary["metrics"]["test_accuracy"] == clean_summary["metrics"]["test_accuracy"]
    assert resumed_summary["metrics"]["test_loss"] == clean_summary["metrics"]["test_loss"]
    clean_weights = load_file(clean_dir / "checkpoints" / "last.safetensors")
    resumed_weights = load_file(run_dir / "checkpoints" / "last.safetensors")
    for key in (k for k in clean_weights if k.startswith("model.")):
        np.testing.assert_array_equal(clean_weights[key], resumed_weights[key])


def test_mnist_mlp_learns_real_digits_in_one_epoch(tmp_path):
    """The real pipeline end to end: cached MNIST, augmentation, one-cycle, test metrics."""
    config = recipes.resolve("mnist-mlp", epochs=1, overrides=["threads=2"])
    summary = recipes.run(config, runs_root=tmp_path, progress=False)
    assert summary["metrics"]["test_accuracy"] > 0.93  # one epoch of a 98.5% recipe
    assert summary["parameters"] == 101_770  # 784*128 + 128 + 128*10 + 10, as the curriculum counts


def test_demo_prints_the_results_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("neuralab.recipes.tour.TOUR", (("iris-mlp", "torch"),))  # seconds, not minutes
    code, out, _ = run_cli(capsys, "demo", "--out", str(tmp_path), "--quiet")
    assert "neuralab tour" in out and "iris-mlp" in out and "test acc" in out
    assert code in (0, 1)  # 0 only when every target is met


def test_a_recipe_trains_on_the_scratch_engine(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "train", "digits-mlp", "--engine", "scratch", "--epochs", "5",
                           "--out", str(tmp_path), "--quiet")
    assert code == 0 and "digits-mlp (scratch, cpu, seed 0)" in out
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["engine"] == "scratch" and summary["metrics"]["test_accuracy"] > 0.9
    code, out, _ = run_cli(capsys, "eval", str(run_dir), "--checkpoint", "last", "--json")
    assert json.loads(out)["test_accuracy"] == summary["metrics"]["test_accuracy"]


def test_scratch_engine_refuses_a_gpu(tmp_path, capsys):
    code, _, err = run_cli(capsys, "train", "digits-mlp", "--engine", "scratch", "--device", "cuda", "--out", str(tmp_path))
    assert code == 2 and "scratch engine runs on the cpu only" in err


def test_a_recipe_on_other_data_drops_its_targets_unless_the_user_sets_some():
    """iris-mlp's 'test accuracy >= 0.9' was set on iris: on xor it is no target at all."""
    assert recipes.resolve("iris-mlp")["targets"]
    assert recipes.resolve("iris-mlp", overrides=["data.name=xor"])["targets"] == {}
    mine = recipes.resolve("iris-mlp", overrides=["data.name=xor", "targets.test_accuracy=0.8"])["targets"]
    assert mine == {**recipes.resolve("iris-mlp")["targets"], "test_accuracy": 0.8}


def test_an_older_config_file_without_the_log_section_loads_with_its_defaults(tmp_path):
    """A run's config.json written before the `log` section existed still works with --config."""
    config = recipes.resolve("xor-mlp")
    older = {key: value for key, value in config.items() if key != "log"}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(older))
    assert recipes.load_config(path)["log"] == config["log"]


def test_a_key_below_a_section_replaced_by_a_number_is_refused_clearly():
    """Found by the config fuzzer: `data.options=5 data.options.x=1` raised a TypeError."""
    with pytest.raises(ValueError, match="'data.options' must be a section"):
        recipes.resolve("xor-mlp", overrides=["data.options=5", "data.options.x=1"])
