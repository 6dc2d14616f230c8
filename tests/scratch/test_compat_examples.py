"""The scripts in examples/compat run unchanged on torch and on the scratch engine (issue #19 item 7).

Each script is executed as a file by examples/compat/run.py, once with real torch and once
with ``neuralab.scratch`` answering every ``import torch`` (the runner fails if real torch
gets imported in that run).  The engines draw different random numbers (initial weights,
shuffles, dropout), so the runs are compared by their end results: accuracy within 1 point,
losses within 2%.  The custom-Function script starts from fixed weights and no randomness,
so there the two runs follow one trajectory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
RUNNER = os.path.join(ROOT, "examples", "compat", "run.py")
MNIST = os.path.join(os.environ.get("NEURALAB_DATA", os.path.expanduser("~/.cache/neuralab")), "mnist")


def run(engine: str, script: str, *args: str) -> str:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, RUNNER, engine, os.path.join(ROOT, "examples", "compat", script), *args],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"{script} on {engine} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def both(script: str, *args: str) -> dict:
    return {engine: run(engine, script, *args) for engine in ("torch", "scratch")}


def needs_mnist():
    if not os.path.isfile(os.path.join(MNIST, "train-images-idx3-ubyte")):
        pytest.skip(f"MNIST IDX files not in {MNIST} (neuralab data fetch mnist)")


def test_mnist_cnn_adadelta_steplr_same_accuracy():
    needs_mnist()
    out = both("mnist_cnn.py", "--epochs", "2", "--train-size", "2000", "--test-size", "1000", "--data", MNIST)
    acc = {}
    for engine, text in out.items():
        found = re.findall(r"Accuracy: (\d+)/(\d+)", text)
        assert len(found) == 2, f"{engine}: expected one test line per epoch\n{text[-1000:]}"
        acc[engine] = 100.0 * int(found[-1][0]) / int(found[-1][1])
    assert acc["torch"] > 80, acc  # it learned
    assert abs(acc["scratch"] - acc["torch"]) <= 1.0, acc


def test_custom_autograd_function_same_trajectory():
    out = both("custom_function.py", "--steps", "600")
    losses = {}
    for engine, text in out.items():
        losses[engine] = [float(line.split()[1]) for line in text.splitlines() if re.match(r"^\d+ ", line)]
        assert len(losses[engine]) == 3, text
    assert losses["torch"][-1] < losses["torch"][0]  # it fits
    for t, s in zip(losses["torch"], losses["scratch"]):
        assert abs(s - t) <= 1e-5 * abs(t), losses  # float32 throughout


def test_vae_same_loss():
    needs_mnist()
    out = both("vae.py", "--epochs", "3", "--train-size", "3000", "--test-size", "1000", "--data", MNIST)
    loss = {}
    for engine, text in out.items():
        found = re.findall(r"Test set loss: ([\d.]+)", text)
        assert len(found) == 3, text
        loss[engine] = [float(v) for v in found]
    assert loss["torch"][-1] < loss["torch"][0]
    assert abs(loss["scratch"][-1] - loss["torch"][-1]) <= 0.02 * loss["torch"][-1], loss


def test_runner_refuses_unknown_engine_and_missing_script():
    for args in (["jax", RUNNER], ["scratch", "no_such_script.py"]):
        proc = subprocess.run([sys.executable, RUNNER, *args], capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr
        assert "usage: run.py" in proc.stderr or "no script at" in proc.stderr


SHAKESPEARE = os.path.join(os.environ.get("NEURALAB_DATA", os.path.expanduser("~/.cache/neuralab")),
                           "shakespeare", "shakespeare.txt")


def test_word_lm_same_loss_and_best_model_reloaded(tmp_path):
    if not os.path.isfile(SHAKESPEARE):
        pytest.skip(f"no corpus at {SHAKESPEARE} (neuralab data fetch shakespeare)")
    results = {}
    for engine in ("torch", "scratch"):
        save = tmp_path / f"{engine}.pt"
        text = run(engine, "word_lm.py", "--data", SHAKESPEARE, "--lines", "2000", "--epochs", "3", "--lr", "5",
                   "--emsize", "32", "--nhid", "32", "--log-interval", "1000", "--save", str(save))
        assert save.is_file(), f"{engine}: torch.save wrote nothing"
        vocab = re.findall(r"vocabulary (\d+) words, (\d+) training tokens", text)
        valid = [float(v) for v in re.findall(r"\| valid loss\s+([\d.]+) \|", text)]
        best, test = re.findall(r"best valid loss ([\d.]+) \| test loss ([\d.]+)", text)[0]
        assert len(valid) == 3, text
        assert abs(float(best) - min(valid)) < 0.01, text  # the saved model is the best one
        results[engine] = (vocab, valid, float(test))
    assert results["torch"][0] == results["scratch"][0]  # one tokenisation
    assert min(results["torch"][1]) < results["torch"][1][0]  # it learned
    t, s = results["torch"][2], results["scratch"][2]
    assert abs(s - t) <= 0.02 * t, results
