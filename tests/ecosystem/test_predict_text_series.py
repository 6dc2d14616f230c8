"""`neuralab predict` on a language model (a prompt) and on a forecaster (a CSV series), issue #18 item 5.

Both runs are trained here in a second or two: a 16-unit GRU on a small corpus, a 8-unit LSTM
forecaster for 3 epochs. What is checked is the plumbing (same draw as `neuralab sample`, the
forecaster's own preparation of the series), not the quality of such tiny models.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neuralab import data
from neuralab.cli import main

TEXT = "".join(f"ROMEO:\nBut soft, what light {i} through yonder window breaks?\n\nJULIET:\nAy me!\n\n" for i in range(60))


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _train(root: Path, recipe: str, *flags: str) -> Path:
    assert main(["train", recipe, "--out", str(root), "--set", "threads=1", "--quiet", *flags]) == 0
    (run,) = [p for p in root.iterdir() if p.name.startswith(recipe)]
    return run


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lm")
    corpus = root / "tiny.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    return _train(root / "runs", "shakespeare-gru", "--epochs", "2", "--batch-size", "4", "--set", f"data.path={corpus}",
                  "--set", "lm.context=16", "--set", "lm.steps_per_epoch=3", "--set", "lm.eval_tokens=256",
                  "--set", "lm.final_eval_tokens=512", "--set", "lm.sample_tokens=20",
                  "--set", "model.hidden=16", "--set", "model.embed=8")


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory) -> Path:
    return _train(tmp_path_factory.mktemp("forecast"), "stock-lstm", "--epochs", "3", "--set", "model.hidden=8")


def test_predict_continues_a_prompt_as_sample_does(lm_run, capsys):
    settings = ["--seed", "3", "--top-k", "5", "--temperature", "0.7"]
    code, out, err = run_cli(capsys, "predict", lm_run, "--prompt", "JULIET:", "--length", "25", *settings, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["prompt"] == "JULIET:" and len(result["generated"]) == 25
    assert result["text"] == "JULIET:" + result["generated"] and (result["seed"], result["top_k"]) == (3, 5)
    code, sampled, _ = run_cli(capsys, "sample", lm_run, "--prompt", "JULIET:", "--tokens", "25", *settings)
    assert code == 0 and sampled == result["text"] + "\n"  # one draw, two commands
    code, other, _ = run_cli(capsys, "predict", lm_run, "--prompt", "JULIET:", "--length", "25", "--seed", "4", "--json")
    assert json.loads(other)["generated"] != result["generated"]  # the seed matters


def test_predict_reads_a_prompt_file(lm_run, tmp_path, capsys):
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("ROMEO:\nBut soft", encoding="utf-8")
    code, out, err = run_cli(capsys, "predict", lm_run, prompt, "--length", "10")
    assert code == 0, err
    assert out.startswith("ROMEO:\nBut soft") and len(out) == len("ROMEO:\nBut soft") + 10 + 1


@pytest.mark.parametrize("case, message", [
    ("empty", "prompt.txt: the file is empty"),
    ("binary", "prompt.txt: not a UTF-8 text file"),
    ("both", "give --prompt TEXT or one .txt FILE (got both)"),
    ("none", "give --prompt TEXT or one .txt FILE (got 0 files)"),
    ("unknown", "not in this tokenizer's vocabulary"),
])
def test_bad_prompts_are_refused_clearly(lm_run, tmp_path, capsys, case, message):
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes({"empty": b"", "binary": b"\xff\xfe\x00\x81"}.get(case, b"ROMEO:"))
    argv = {"empty": [prompt], "binary": [prompt], "both": [prompt, "--prompt", "x"], "none": [],
            "unknown": ["--prompt", "Zebra\u20ac"]}[case]
    code, _, err = run_cli(capsys, "predict", lm_run, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def _series_csv(path: Path, values: np.ndarray, header: str = "day,price") -> Path:
    rows = (f"{i},{float(v)!r}" if "," in header else repr(float(v)) for i, v in enumerate(values))
    path.write_text(header + "\n" + "".join(row + "\n" for row in rows))
    return path


def test_a_forecaster_continues_a_series_as_its_run_forecast_the_test_tail(forecast_run, tmp_path, capsys):
    summary = json.loads((forecast_run / "summary.json").read_text())
    stock = data.load("stock")
    history = _series_csv(tmp_path / "history.csv", stock.values[:stock.train_size])
    code, out, err = run_cli(capsys, "predict", forecast_run, history, "--column", "price", "--json")
    assert code == 0, err
    (result,) = json.loads(out)
    assert result["column"] == "price" and result["values_read"] == stock.train_size and result["lookback"] == 30
    # the run's first test forecast saw the same 30 values: the same prediction (float32 arithmetic)
    assert result["next"][0] == pytest.approx(summary["forecast"][0], abs=1e-3)
    later = _series_csv(tmp_path / "later.csv", stock.values[:stock.train_size + 7], header="price")
    code, out, _ = run_cli(capsys, "predict", forecast_run, later, "--json")
    assert code == 0 and json.loads(out)[0]["next"][0] == pytest.approx(summary["forecast"][7], abs=1e-3)
    code, out, _ = run_cli(capsys, "predict", forecast_run, history, "--column", "2", "--length", "4", "--json")
    steps = json.loads(out)[0]
    assert len(steps["next"]) == 4 and steps["next"][0] == pytest.approx(result["next"][0]) and "recursive" in steps["method"]
    code, out, _ = run_cli(capsys, "predict", forecast_run, history, "--column", "price")
    assert code == 0 and f"next 1 after {stock.train_size} values of 'price'" in out


@pytest.mark.parametrize("content, flags, message", [
    (b"", [], "series.csv: the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", [], "series.csv: not a text CSV file"),
    (b"value\n1\n2\n3\n", [], "series.csv: 3 values; the model reads the last 30 (forecast.lookback)"),
    (b"day,price\n1,2\n2,3\n", [], "series.csv: 2 columns of numbers (day, price); choose one with --column NAME"),
    (b"day,price\n1,2\n2,3\n", ["--column", "cost"], "series.csv: no column 'cost' (columns: day, price)"),
    (b"name,price\na,1\nb,nan\n", ["--column", "price"], "series.csv, row 3, column 'price': 'nan' is not a finite number"),
    (b"words,only\nno,numbers\n", [], "series.csv: no column holds only numbers"),
])
def test_bad_series_files_are_refused_clearly(forecast_run, tmp_path, capsys, content, flags, message):
    path = tmp_path / "series.csv"
    path.write_bytes(content)
    code, _, err = run_cli(capsys, "predict", forecast_run, path, *flags)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_huge_series_file_and_a_prompt_for_a_forecaster_are_refused(forecast_run, tmp_path, capsys, monkeypatch):
    import neuralab.predict_series as predict_series

    monkeypatch.setattr(predict_series, "MAX_SERIES_BYTES", 2**20)
    huge = tmp_path / "huge.csv"
    huge.write_text("value\n" + "1.0\n" * 300_000)
    code, _, err = run_cli(capsys, "predict", forecast_run, huge)
    assert code == 2 and "huge.csv: 1 MiB is too large (at most 1 MiB)" in err
    code, _, err = run_cli(capsys, "predict", forecast_run, "--prompt", "hello")
    assert code == 2 and "--prompt is for language-model runs" in err
