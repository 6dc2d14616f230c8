"""The optimizers lesson: E16 and D5 (004:1076-1201)."""

from lesson_helpers import claim


def test_the_seeds_race_ends_with_sgd_momentum_closest(run_lesson):
    d5 = claim(run_lesson("optimizers"), "D5")
    assert d5["verdict"] == "fails"
    m = d5["measured"]
    assert m["sgd_momentum_distance"] < m["rmsprop_distance"] < m["adam_distance"]
    assert abs(m["sgd_momentum_distance"] - 0.170) < 1e-2
    assert abs(m["sgd_momentum_f"] - 0.006) < 1e-3
    assert abs(m["rmsprop_f"] - 3.17) < 1e-2 and abs(m["adam_f"] - 4.83) < 1e-2
    assert m["adam_path_length"] < 1.5 < m["valley_length"] < m["sgd_momentum_path_length"]


def test_adam_loses_as_written_and_wins_tuned(run_lesson):
    e16 = claim(run_lesson("optimizers"), "E16")
    assert e16["verdict"] == "fails"
    m = e16["measured"]
    for name, end in (("sgd_momentum", (0.92, 0.85)), ("rmsprop", (-0.77, 0.61)), ("adam", (-1.20, 1.44))):
        assert all(abs(a - b) < 1e-2 for a, b in zip(m[f"{name}_end"], end)), name
        assert m[f"{name}_iterations"] == 500  # no run reaches the |g| < 1e-5 stop
    fix = e16["fix"]
    assert fix["verdict"] == "holds"
    assert fix["measured"]["adam_lr"] == 0.1 and fix["measured"]["updates"] == 1000
    assert fix["measured"]["best_adam_distance_500"] > m["sgd_momentum_distance"]  # no Adam lr wins in 500
