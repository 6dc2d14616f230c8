"""Every sequence recipe runs end to end for a few steps with tiny settings; `neuralab sample` reads a run."""

from __future__ import annotations

import json

import pytest

from neuralab import recipes
from neuralab.cli import main

TEXT = "".join(f"ROMEO:\nBut soft, what light {i} through yonder window breaks?\n\nJULIET:\nAy me!\n\n" for i in range(60))

TINY_LM = {
    "shakespeare-rnn": ["model.hidden=16", "model.embed=8"],
    "shakespeare-lstm": ["model.hidden=16", "model.embed=8"],
    "shakespeare-gru": ["model.hidden=16", "model.embed=8"],
    "shakespeare-gpt": ["model.d_model=16", "model.heads=2", "model.layers=1", "model.context=16"],
}


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _lm_config(name, corpus):
    return recipes.resolve(name, epochs=2, batch_size=4, overrides=[
        "threads=1", f"data.path={corpus}", "lm.context=16", "lm.steps_per_epoch=3", "lm.eval_tokens=256",
        "lm.final_eval_tokens=512", "lm.sample_tokens=20", *TINY_LM[name]])


@pytest.mark.parametrize("name", sorted(TINY_LM))
def test_language_model_recipe_runs_end_to_end(name, corpus, tmp_path):
    summary = recipes.run(_lm_config(name, corpus), runs_root=tmp_path / "runs", progress=False)
    run_dir = tmp_path / "runs" / next(p.name for p in (tmp_path / "runs").iterdir())
    written = json.loads((run_dir / "summary.json").read_text())
    assert written["status"] == "completed" and written["steps"] == 6
    metrics = written["metrics"]
    assert 0 < metrics["val_loss"] < 10 and metrics["tokens_per_second"] > 0
    assert metrics["unigram_entropy"] == pytest.approx(summary["metrics"]["unigram_entropy"])
    assert written["sample"].startswith("ROMEO:\n") and len(written["sample"]) == len("ROMEO:\n") + 20
    assert json.loads((run_dir / "tokenizer.json").read_text())["type"] == "char"
    assert (run_dir / "figures" / "curves.png").is_file() and (run_dir / "checkpoints" / "last.safetensors").is_file()
    assert set(written["targets"]) == set(recipes.get(name).targets)


def test_sample_command_prints_the_prompt_then_text(corpus, tmp_path, capsys):
    summary = recipes.run(_lm_config("shakespeare-gpt", corpus), runs_root=tmp_path, progress=False)
    capsys.readouterr()
    assert main(["sample", summary["run_dir"], "--prompt", "JULIET:", "--tokens", "30", "--top-k", "5", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("JULIET:") and len(first) == len("JULIET:") + 30 + 1  # print adds a newline
    assert main(["sample", summary["run_dir"], "--prompt", "JULIET:", "--tokens", "30", "--top-k", "5", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first  # seeded
    assert main(["sample", summary["run_dir"], "--prompt", "Zebra€", "--tokens", "5"]) == 2
    assert "not in this tokenizer's vocabulary" in capsys.readouterr().err


def test_dates_transformer_runs_end_to_end(tmp_path):
    config = recipes.resolve("dates-transformer", epochs=1, batch_size=32, overrides=[
        "data.options.n_train=200", "data.options.n_val=40", "data.options.n_test=60", "model.d_model=16",
        "model.heads=2", "model.ff=32", "model.encoder_layers=1", "model.decoder_layers=1"])
    summary = recipes.run(config, runs_root=tmp_path, progress=False)
    written = json.loads((tmp_path / next(p.name for p in tmp_path.iterdir()) / "summary.json").read_text())
    assert written["status"] == "completed" and 0.0 <= written["metrics"]["test_exact_match"] <= 1.0
    assert written["targets"]["test_exact_match"]["target"] == 0.99
    figures = {p.name for p in (tmp_path / summary["run_dir"].split("/")[-1] / "figures").iterdir()}
    assert {"encoder_self_attention.png", "cross_attention.png", "positional_encoding.png", "curves.png"} <= figures


def test_language_model_settings_are_checked_before_training():
    with pytest.raises(ValueError, match="position table"):
        recipes.resolve("shakespeare-gpt", overrides=["lm.context=512"])
    with pytest.raises(ValueError, match="temperature"):
        recipes.resolve("shakespeare-lstm", overrides=["lm.temperature=0"])
