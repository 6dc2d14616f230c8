"""The neuron lesson: E7-E13 (004:282-826)."""

from lesson_helpers import claim


def test_every_claim_holds_with_its_figure(run_lesson):
    record = run_lesson("neuron")
    assert [c["id"] for c in record["claims"]] == ["E7", "E8", "E10", "E9", "E11", "E12", "E13"]
    for made in record["claims"]:
        assert made["verdict"] == "holds", made["id"]
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])


def test_sigmoid_neuron_stays_strictly_inside_zero_one(run_lesson):
    m = claim(run_lesson("neuron"), "E7")["measured"]
    assert 0.0 < m["demo_output"] < 1.0 and abs(m["demo_output"] - m["demo_output_engine"]) < 1e-12
    assert 0.0 < m["wide_sweep_min"] < 1e-13 and 0.0 < m["one_minus_wide_sweep_max"] < 1e-13
    assert m["threshold_matches_sign"]
    assert 36.5 < m["float64_first_z_where_sigmoid_is_1"] < 37.0  # float64 rounds sigma(z) to 1 there


def test_weight_is_slope_bias_is_shift(run_lesson):
    m = claim(run_lesson("neuron"), "E8")["measured"]
    assert abs(m["out_w1_b+0"] - 0.8808) < 1e-4 and abs(m["out_w2_b+0"] - 0.9820) < 1e-4
    assert abs(m["out_w1_b+3"] - 0.9933) < 1e-4 and abs(m["out_w0.5_b-1"] - 0.5) < 1e-12
    assert abs(m["max_slope_w1"] - 0.25) < 1e-3 and abs(m["slope_ratio_w2_to_w1"] - 2.0) < 0.01
    assert abs(m["crossing_b-3"] - 3.0) < 0.01 and abs(m["crossing_b+3"] + 3.0) < 0.01


def test_linear_layers_collapse_but_relu_ones_do_not(run_lesson):
    m = claim(run_lesson("neuron"), "E10")["measured"]
    assert m["collapse_max_abs_diff"] < 1e-12 and m["linear_stack_unexplained"] < 1e-12
    assert m["relu_stack_unexplained"] > 0.01 and m["relu_1d_unexplained"] > 0.01


def test_activation_gradients_at_three(run_lesson):
    m = claim(run_lesson("neuron"), "E9")["measured"]
    for name, value in {"sigmoid": 0.045177, "tanh": 0.009866, "relu": 1.0, "leaky_relu": 1.0}.items():
        assert abs(m[f"{name}_grad_fd"] - value) < 1e-6, name
        assert abs(m[f"{name}_grad_autograd"] - m[f"{name}_grad_fd"]) < 1e-8, name
    assert m["relu_grad_min_positive"] == m["relu_grad_max_positive"] == 1.0
    assert m["relu_grad_max_negative"] == 0.0 and abs(m["leaky_grad_negative"] - 0.01) < 1e-12
    assert abs(m["sigmoid_grad_max"] - 0.25) < 1e-12 and abs(m["tanh_grad_max"] - 1.0) < 1e-12


def test_four_five_two_network_has_37_parameters(run_lesson):
    m = claim(run_lesson("neuron"), "E11")["measured"]
    assert m["params_seed"] == m["params_formula"] == m["params_engine"] == 37
    assert m["sample_shapes"] == [[1, 4], [1, 5], [1, 2]]
    assert m["batch_shapes"][1][1] == 5 and m["batch_shapes"][2][1] == 2
    assert m["max_distance_from_half"] < 0.01  # weights * 0.01: the untrained net says about 0.5


def test_forward_trace_gives_the_seeds_probability(run_lesson):
    record = run_lesson("neuron")
    e12 = claim(record, "E12")
    assert e12["verdict"] == "holds"
    assert abs(e12["measured"]["probability"] - 0.7047) < 1e-4
    assert abs(e12["measured"]["z2"] - 0.87) < 1e-12
    assert (record["out"] / e12["figures"][0]).stat().st_size > 0


def test_losses_match_the_seed(run_lesson):
    m = claim(run_lesson("neuron"), "E13")["measured"]
    assert m["mse_good"] == 43_750_000 and m["mse_bad"] == 2_975_000_000
    assert abs(m["engine_mse_bad"] - m["mse_bad"]) < 1e-3
    for name, value in {"confident_correct": 0.1339, "uncertain": 0.5543, "confident_wrong": 1.9560}.items():
        assert abs(m[f"bce_{name}"] - value) < 1e-4, name
        assert abs(m[f"engine_bce_{name}"] - m[f"bce_{name}"]) < 1e-12, name
    assert m["mse_ratio_bad_to_good"] == 68 and abs(m["mae_ratio_bad_to_good"] - 8.4) < 1e-12
    assert m["bce_ratio_wrong_to_correct"] > 14
