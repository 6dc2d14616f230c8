"""``lm.autocast: auto``: a timed probe picks bf16 only where it is faster, the run record says so.

* the rule: bf16 is picked only when its median step is under 95% of float32's (a fake clock);
* a real run measures both, records the pick with the times in summary.json and in the
  per-machine probe file; the next run of the same shape reads the cached pick; a probe
  whose times scatter (a busy machine) decides its own run only;
* ``NEURALAB_PRECISION`` forces the pick; the scratch engine is float32 without a probe.
"""

from __future__ import annotations

import json
import types

import pytest

from neuralab import recipes
from neuralab.train import precision

from test_sequence_recipes import TEXT

TINY_GPT = ["model.d_model=16", "model.heads=2", "model.layers=1", "model.context=16"]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALAB_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv(precision.FORCE_ENV, raising=False)
    return tmp_path / "cache" / precision.PROBE_FILE


def _config(tmp_path, engine="torch"):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    return recipes.resolve("shakespeare-gpt", epochs=1, batch_size=4, engine=engine, overrides=[
        "threads=1", f"data.path={corpus}", "lm.context=16", "lm.steps_per_epoch=2", "lm.eval_tokens=128",
        "lm.final_eval_tokens=128", "lm.sample_tokens=0", "schedule.name=null", *TINY_GPT])


@pytest.mark.parametrize(("bf16_ms", "picked"), [(5.0, "bf16"), (9.8, "float32"), (12.0, "float32")])
def test_bf16_is_picked_only_when_clearly_faster(cache, bf16_ms, picked):
    engine = types.SimpleNamespace(__version__="test", get_num_threads=lambda: 1, autocast=object())
    result = precision.choose(engine, "cpu", 1, f"fake {bf16_ms}", lambda bf16: (bf16_ms if bf16 else 10.0) / 1e3)
    assert result["picked"] == picked and result["source"] == "measured"
    assert result["float32_step_ms"] == pytest.approx(10.0) and result["bf16_step_ms"] == pytest.approx(bf16_ms)
    assert json.loads(cache.read_text())[result["key"]]["picked"] == picked


def test_auto_run_records_the_measured_pick_then_reuses_it(cache, tmp_path):
    config = _config(tmp_path)
    assert config["lm"]["autocast"] == "auto"
    first = recipes.run(config, runs_root=tmp_path / "runs", progress=False)["precision"]
    assert first["source"] == "measured" and first["picked"] in ("float32", "bf16")
    faster = first["bf16_step_ms"] < precision.MARGIN * first["float32_step_ms"]
    assert first["picked"] == ("bf16" if faster else "float32")
    assert "bf16 step" in first["why"]
    second = recipes.run(config, runs_root=tmp_path / "runs2", progress=False)["precision"]
    if "not cached" in first["why"]:  # a busy machine scattered the probe (the fake-clock test covers the rule)
        assert second["source"] == "measured"
    else:
        assert first["key"] in json.loads(cache.read_text())
        assert second["source"] == "cached" and second["picked"] == first["picked"]
        assert second["float32_step_ms"] == first["float32_step_ms"]


def test_a_bf16_step_that_raises_picks_float32_and_says_why(cache):
    engine = types.SimpleNamespace(__version__="test", get_num_threads=lambda: 1, autocast=object())

    def time_step(bf16):
        if bf16:  # what torch's oneDNN LSTM raises under bf16 autocast on a CPU without AVX512-BF16
            raise RuntimeError("could not create a primitive descriptor for the LSTM forward propagation primitive.\nmore")
        return 0.01

    result = precision.choose(engine, "cpu", 1, "no bf16 lstm", time_step)
    assert result["picked"] == "float32" and "bf16 autocast fails on this machine: could not create a primitive" in result["why"]
    assert "more" not in result["why"] and json.loads(cache.read_text())[result["key"]]["picked"] == "float32"


def test_a_scattered_probe_decides_its_run_but_is_not_cached(cache):
    engine = types.SimpleNamespace(__version__="test", get_num_threads=lambda: 1, autocast=object())
    clock = iter([0.010, 0.005] + [0.010, 0.005, 0.030, 0.005] * precision.STEPS)  # one float32 step 3x slower
    result = precision.choose(engine, "cpu", 1, "scattered", lambda bf16: next(clock))
    assert result["picked"] == "bf16" and "not cached" in result["why"]
    assert not cache.exists()


def test_forced_and_scratch_picks_skip_the_probe(cache, tmp_path, monkeypatch):
    scratch = recipes.run(_config(tmp_path, engine="scratch"), runs_root=tmp_path / "runs", progress=False)["precision"]
    assert scratch["picked"] == "float32" and "float32 only" in scratch["why"]
    monkeypatch.setenv(precision.FORCE_ENV, "float32")
    forced = recipes.run(_config(tmp_path), runs_root=tmp_path / "runs", progress=False)["precision"]
    assert forced == {"requested": "auto", "picked": "float32", "why": "forced by NEURALAB_PRECISION=float32",
                      "source": "forced"}
    assert not cache.exists()
    monkeypatch.setenv(precision.FORCE_ENV, "fp8")
    with pytest.raises(ValueError, match="NEURALAB_PRECISION must be"):
        recipes.run(_config(tmp_path), runs_root=tmp_path / "runs", progress=False)


def test_a_requested_bf16_that_fails_here_says_so_and_how_to_go_on(cache, tmp_path, monkeypatch):
    from neuralab.recipes import language_model

    real = language_model.character_loss

    def no_bf16_kernel(T, net, inputs, targets, precision, device):
        if precision == "bf16":  # what a machine without the kernel raises (oneDNN's LSTM, no AVX512-BF16)
            raise RuntimeError("could not create a primitive descriptor for the LSTM forward propagation primitive.")
        return real(T, net, inputs, targets, precision, device)

    monkeypatch.setattr(language_model, "character_loss", no_bf16_kernel)
    config = _config(tmp_path)
    config["lm"]["autocast"] = "bf16"
    with pytest.raises(ValueError, match=r"lm.autocast=bf16 failed on this machine \(could not create a primitive.*set lm.autocast=auto"):
        recipes.run(config, runs_root=tmp_path / "runs", progress=False)
    config["lm"]["autocast"] = "auto"  # the probe meets the same failure and picks float32
    picked = recipes.run(config, runs_root=tmp_path / "runs2", progress=False)["precision"]
    assert picked["picked"] == "float32" and "bf16 autocast fails on this machine" in picked["why"]
