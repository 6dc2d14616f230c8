"""The CNN lesson: E24, D8, D9 (004:2405-2801)."""

import math

from lesson_helpers import claim


def test_hand_backward_matches_autograd(run_lesson):
    record = run_lesson("cnn")
    checks = {c["name"]: c for c in record["checks"]}
    assert checks["hand-written conv/pool/dense backward equals autograd (float64)"]["passed"]
    assert checks["head-only training on cached features equals the seed's loop"]["passed"]
    assert checks["the network has the seed's 473 parameters (004:2620)"]["passed"]


def test_seed_training_learns_only_partly_end_to_end_learns(run_lesson):
    e24 = claim(run_lesson("cnn"), "E24")
    m = e24["measured"]
    assert e24["verdict"] == "partly"
    assert m["head_only_epochs"] == 50
    assert 0.75 <= m["head_only_mean_accuracy"] < 0.95     # far above chance, short of 0.95
    assert m["end_to_end_mean_accuracy"] >= 0.95
    assert m["head_only_longer_mean_accuracy"] >= 0.95     # the random filters are enough, given time
    assert e24["fix"]["verdict"] == "holds"
    assert len(e24["figures"]) == 3


def test_seed_filters_never_move_end_to_end_filters_do(run_lesson):
    d8 = claim(run_lesson("cnn"), "D8")
    m = d8["measured"]
    assert d8["verdict"] == "fails"
    assert m["seed_filter_change_max"] == 0.0 and m["seed_filter_abs_change"] == 0.0
    assert m["end_to_end_filter_change_min"] > 0.1
    assert d8["fix"]["verdict"] == "holds"


def test_seed_xavier_is_he(run_lesson):
    d9 = claim(run_lesson("cnn"), "D9")
    m = d9["measured"]
    assert d9["verdict"] == "fails"
    assert math.isclose(m["conv_he_std"], math.sqrt(2 / 9)) and math.isclose(m["conv_xavier_glorot_std"], math.sqrt(2 / 36))
    assert abs(m["conv_std_over_he"] - 1) < 0.01 and abs(m["rnn_std_over_he"] - 1) < 0.01
    assert abs(m["conv_std_over_xavier_glorot"] - 2) < 0.02 and abs(m["conv_std_over_xavier_fan_in"] - math.sqrt(2)) < 0.02
    assert abs(m["he_variance_ratio_per_layer"] - 1) < 0.15 and abs(m["xavier_variance_ratio_per_layer"] - 0.5) < 0.075
    assert d9["fix"]["verdict"] == "holds"


def test_every_figure_is_written(run_lesson):
    record = run_lesson("cnn")
    names = {f.split("/")[-1] for f in record["figures"]}
    assert names == {"shape-samples.png", "training-curves.png", "predictions.png", "feature-maps.png",
                     "filters-before-after.png", "init-he-vs-xavier.png"}
    assert all((record["out"] / f).stat().st_size > 0 for f in record["figures"])
