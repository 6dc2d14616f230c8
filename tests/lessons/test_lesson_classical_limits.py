"""The classical-limits lesson: E3-E6 (004:97-281)."""

import math

from lesson_helpers import claim


def test_seven_features_drop_inputs_not_all_information(run_lesson):
    e3 = claim(run_lesson("classical_limits"), "E3")
    assert e3["verdict"] == "partly"
    m = e3["measured"]
    assert abs(m["share_of_inputs_dropped_pct"] - 99.107) < 1e-3     # 777/784, the seed's arithmetic
    assert m["accuracy_gap"] >= 0.3                                   # pixels are far better ...
    assert m["accuracy_7_features"] > 0.3                             # ... yet 7 numbers beat chance (0.1) easily
    assert m["min_feature_is_always_0"]


def test_linear_model_on_circles_is_at_chance(run_lesson):
    e4 = claim(run_lesson("classical_limits"), "E4")
    assert e4["verdict"] == "holds"
    assert e4["measured"]["train_accuracy"] == 0.51                   # make_circles(random_state=42) is fixed
    assert 0.4 <= e4["measured"]["heldout_accuracy"] <= 0.6
    assert 0.6 < e4["measured"]["best_line_train_accuracy"] < 1.0      # no line separates; the best still beats 50%
    assert e4["fix"]["verdict"] == "holds"


def test_training_time_grows_but_does_not_explode(run_lesson):
    e5 = claim(run_lesson("classical_limits"), "E5")
    assert e5["verdict"] in ("partly", "fails")
    m = e5["measured"]
    assert m["rf_slope"] < 0.8                                        # about sqrt(features): sub-linear
    assert m["rf_seconds"][-1] > m["rf_seconds"][0]                   # but it does grow
    # the SVM's slope is near 1 (a dot product per pair plus a fixed cost), but it measured 1.23-1.31
    # on an Intel Xeon (2026-12-03) and below 1.2 elsewhere: the lesson's text must say which it saw
    assert 0.5 < m["svm_slope"] < 2.0
    assert ("faster than linear on this machine" in e5["correction"]) == (m["svm_slope"] > 1.0)


def test_curse_of_dimensionality(run_lesson):
    e6 = claim(run_lesson("classical_limits"), "E6")
    assert e6["verdict"] == "partly"                                  # 10^1000 should be 10^2000
    m = e6["measured"]
    assert abs(m["per_axis_10d"] - 1.585) < 1e-3
    assert abs(m["per_axis_1000d"] - 1.0046) < 1e-4
    assert m["log10_points_for_1d_density_at_1000d"] == 2000
    assert m["mean_grows_monotonically"]
    assert m["relative_spread_1000d"] < 0.05
    assert abs(m["mean_distance"][-1] - math.sqrt(1000 / 6)) < 0.5
