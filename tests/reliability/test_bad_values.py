"""Catalogue rows 1-24: command-line values out of range or of the wrong type, and unknown or
misspelt keys at every level of a config. Each is refused before a run folder is made."""

from __future__ import annotations

import pytest

from faults import assert_refused, neuralab

XOR = ["train", "xor-mlp", "--quiet"]
GAN = ["train", "ring-gan", "--quiet"]

# (id, arguments, what the one line must say)
CASES = [
    ("epochs-zero", [*XOR, "--epochs", "0"], ["epochs must be an integer >= 1; got 0"]),
    ("epochs-word", [*XOR, "--epochs", "two"], ["argument --epochs: invalid int value: 'two'"]),
    ("batch-negative", [*XOR, "--batch-size", "-5"], ["batch size must be an integer >= 1; got -5"]),
    ("lr-negative", [*XOR, "--lr", "-1"], ["learning rate must be a positive number; got -1.0"]),
    ("lr-word", [*XOR, "--lr", "fast"], ["argument --lr: invalid float value: 'fast'"]),
    ("seed-negative", [*XOR, "--seed", "-1"], ["seed must be a non-negative integer; got -1"]),
    ("engine-unknown", [*XOR, "--engine", "tensorflow"], ["invalid choice: 'tensorflow'", "'torch', 'scratch'"]),
    ("device-unknown", [*XOR, "--device", "quantum"], ["device 'quantum' is not a device name: expected auto, cpu, cuda"]),
    ("nproc-zero", [*XOR, "--nproc", "0"], ["--nproc must be a whole number of processes, at least 1; got 0"]),
    ("set-epochs-text", [*XOR, "--set", "train.epochs=abc"], ["epochs must be an integer >= 1; got 'abc'"]),
    ("set-epochs-fraction", [*XOR, "--set", "train.epochs=1.5"], ["epochs must be an integer >= 1; got 1.5"]),
    ("set-dropout-range", [*XOR, "--set", "model.dropout=1.5"], ["dropout must be in [0, 1); got 1.5"]),
    ("set-threads-zero", [*XOR, "--set", "threads=0"], ["threads must be an integer >= 1 or null; got 0"]),
    ("set-no-equals", [*XOR, "--set", "train.epochs"], ["--set expects key=value", "got 'train.epochs'"]),
    ("set-section-number", [*XOR, "--set", "train=5"], ["config key 'train' must be an object", "got int 5"]),
    ("recipe-misspelt", ["train", "xor-mpl"], ["unknown recipe 'xor-mpl'; did you mean 'xor-mlp'?"]),
    ("option-misspelt", [*XOR, "--epoch", "3"], ["unrecognized arguments: --epoch", "did you mean --epochs?"]),
    ("key-top-level", [*XOR, "--set", "sed=1"], ["unknown config key 'sed'; did you mean 'seed'?"]),
    ("key-section", [*XOR, "--set", "optimizr.lr=0.1"], ["unknown config key 'optimizr.lr'; did you mean 'optimizer.lr'?"]),
    ("key-leaf", [*XOR, "--set", "optimizer.lrr=0.1"], ["unknown config key 'optimizer.lrr'; did you mean 'optimizer.lr'?"]),
    ("key-nested", [*XOR, "--set", "train.early_stopping.patiense=3"],
     ["did you mean 'train.early_stopping.patience'?"]),
    ("key-model", [*XOR, "--set", "model.sise=[2, 4, 2]"], ["unknown config key 'model.sise'; did you mean 'model.sizes'?"]),
    ("set-sizes-text", [*XOR, "--set", "model.sizes=a"], ["model.sizes must list the layer widths", "got 'a'"]),
    ("set-sizes-zero", [*XOR, "--set", "model.sizes=[2, 0, 2]"], ["each an integer >= 1", "got [2, 0, 2]"]),
    ("key-task-section", [*GAN, "--set", "gan.los=wgan-gp"], ["unknown config key 'gan.los'; did you mean 'gan.loss'?"]),
    ("key-data-options", [*XOR, "--set", "data.options.nois=0.1"], ["xor has no option 'nois' in data.options", "noise"]),
    ("name-dataset", [*XOR, "--set", "data.name=xorr"], ["unknown dataset 'xorr'; did you mean 'xor'?"]),
    ("name-optimizer", [*XOR, "--set", "optimizer.name=adamm"], ["unknown optimizer 'adamm'; did you mean 'adam'?"]),
    ("name-schedule", [*XOR, "--set", "schedule.name=cosin"], ["unknown schedule 'cosin'", "did you mean 'cosine'?"]),
    ("choice-task-value", [*GAN, "--set", "gan.loss=wgann"], ["gan.loss must be one of ('standard', 'wgan-gp'); got 'wgann'"]),
]


@pytest.mark.parametrize("arguments, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_bad_value_or_key_is_one_line_and_makes_no_run(arguments, expected, tmp_path, capsys):
    code, _, err = neuralab([*arguments, "--out", tmp_path / "runs"], capsys)
    assert_refused(code, err, *expected)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())  # nothing half-made
