"""The gradient-descent lesson: E14, D2 (004:841-925) and E55 (002:64-67)."""

import math

from lesson_helpers import claim


def test_four_settings_hold_except_the_overshoot(run_lesson):
    e14 = claim(run_lesson("gradient_descent"), "E14")
    assert e14["verdict"] == "partly"
    m = e14["measured"]
    assert abs(m["w_lr0.1"] - 2.99996) < 1e-5 and abs(m["w_start7"] - 3.00006) < 1e-5
    assert abs(m["w_lr0.01"] - 1.9075) < 1e-4 and abs(m["loss_lr0.01"] - 1.1936) < 1e-4
    assert m["overshoot_lr0.5"] == 0.0


def test_lr_half_lands_on_the_minimum_in_one_step(run_lesson):
    d2 = claim(run_lesson("gradient_descent"), "D2")
    assert d2["verdict"] == "fails"
    assert d2["measured"]["w_after_1_step_lr0.5"] == 3.0  # exactly: 0 - 0.5 * 2 * (0 - 3)
    fix = d2["fix"]
    assert fix["verdict"] == "holds"
    assert fix["measured"]["sign_alternates_lr0.9"] and abs(fix["measured"]["overshoot_lr0.9"] - 2.4) < 1e-12
    assert fix["measured"]["gap_lr0.9"] < 1e-4  # |1 - 2 * 0.9|^50 * 3 = 4.3e-5
    assert abs(fix["measured"]["gap_lr1.1"] - 3 * 1.2 ** 50) / (3 * 1.2 ** 50) < 1e-9  # diverges
    assert math.isclose(fix["measured"]["growth_per_step_lr1.1"], 1.2, rel_tol=1e-9)


def test_a_small_step_lowers_the_loss_and_a_large_adam_step_does_not(run_lesson):
    e55 = claim(run_lesson("gradient_descent"), "E55")
    assert e55["verdict"] == "holds"
    m = e55["measured"]
    assert m["lowered_sgd_lr0.01"] == m["lowered_adam_lr0.01"] == m["seeds"]
    at = dict(zip(m["lrs"], zip(m["fraction_sgd"], m["fraction_adam"])))
    assert at[1e-3] == (1.0, 1.0)
    assert at[1.0][0] == 1.0 and at[1.0][1] <= 0.3  # SGD still safe at lr 1, Adam mostly raises the loss
    assert at[10.0][0] < 0.5 and at[10.0][1] < 0.5
    assert abs(m["median_adam_step_over_lr"] - math.sqrt(33)) < 1e-3  # lr * sign(g) on 33 weights
