"""The XOR lesson: E15, D3, D4, E17-E20 (004:940-1640)."""

from lesson_helpers import claim


def test_first_demo_never_learns_xor(run_lesson):
    record = run_lesson("xor")
    e15, d3 = claim(record, "E15"), claim(record, "D3")
    assert e15["verdict"] == "fails" and d3["verdict"] == "fails"
    m = d3["measured"]
    assert m["seeds"] == 20
    assert m["seeds"] - m["solved_x001_init_1000_epochs"] >= 18      # the first demo fails on >= 18 of 20 seeds
    assert m["seeds"] - m["solved_x001_init_10000_epochs"] >= 18     # ... and more epochs do not rescue it
    assert abs(e15["measured"]["final_mse_median"] - 0.25) < 1e-3    # a constant 0.5
    assert m["initial_gradient_norm_sqrt_median"] > 10 * m["initial_gradient_norm_x001_median"]
    assert d3["fix"]["verdict"] == "holds" and d3["fix"]["measured"]["solved_sqrt_init_10000_epochs"] == 20


def test_seed_gradient_is_the_bce_gradient(run_lesson):
    d4 = claim(run_lesson("xor"), "D4")
    assert d4["verdict"] == "fails"
    m = d4["measured"]
    assert m["seed_vs_bce_max_abs_diff"] < 1e-12
    assert m["seed_vs_mse_relative_diff"] > 0.5
    assert 0.4 < m["mse_over_seed_factor_at_start"] <= 0.5          # 2 a2 (1 - a2) with a2 near 1/2
    assert m["engine_bce_sgd_max_abs_diff"] < 1e-9
    assert d4["fix"]["verdict"] == "holds" and d4["fix"]["measured"]["solved_with_mse_gradient"] >= 18


def test_xor_network_from_scratch_learns_every_seed(run_lesson):
    e17 = claim(run_lesson("xor"), "E17")
    assert e17["verdict"] == "holds"
    assert e17["measured"]["solved"] == e17["measured"]["seeds"] == 20
    out = e17["measured"]["seed_42_outputs"]                          # the seed's np.random.seed(42) start
    assert [round(v, 3) for v in out] == [0.002, 0.998, 0.998, 0.001]
    assert 2e-6 < e17["measured"]["seed_42_final_mse"] < 4e-6


def test_predictions_approach_the_targets(run_lesson):
    e18 = claim(run_lesson("xor"), "E18")
    assert e18["verdict"] == "holds"
    assert e18["measured"]["epochs"] == [0, 100, 500, 1000, 5000, 9999]


def test_boundary_is_nonlinear_but_straight_and_units_repeat(run_lesson):
    record = run_lesson("xor")
    e19, e20 = claim(record, "E19"), claim(record, "E20")
    assert e19["verdict"] == "partly"
    assert e19["measured"]["points_correct"] == 4
    assert e19["measured"]["best_single_line_accuracy"] < 0.8
    assert e19["measured"]["boundary_pieces"] == 2 and e19["measured"]["max_distance_from_straight"] < 1e-3
    assert e20["verdict"] == "fails"
    assert e20["measured"]["max_abs_corr_seed_42"] > 0.99
    for made in (e19, e20):
        assert (record["out"] / made["figures"][0]).stat().st_size > 0
    assert len(record["figures"]) == 5
