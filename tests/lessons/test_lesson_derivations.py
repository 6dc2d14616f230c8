"""The derivations lesson: the seven sympy derivations S1-S7 (004:2040-6274)."""

from lesson_helpers import claim


def test_six_derivations_hold_and_batchnorm_is_partly(run_lesson):
    record = run_lesson("derivations")
    assert [c["id"] for c in record["claims"]] == ["S1", "S2", "S3", "S4", "S5", "S6", "S7"]
    verdicts = {c["id"]: c["verdict"] for c in record["claims"]}
    assert verdicts == {"S1": "holds", "S2": "holds", "S3": "holds", "S4": "holds", "S5": "holds", "S6": "holds",
                        "S7": "partly"}
    for made in record["claims"]:
        assert made["measured"]["max_relative_error"] < 1e-12, made["id"]  # rounding only, far below the 1e-10 bar
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])


def test_convolution_gradients_are_patch_and_flipped_kernel(run_lesson):
    m = claim(run_lesson("derivations"), "S1")["measured"]
    assert m["seed_sum_equals_its_expansion"] and m["sobel_response_sympy"] == 1020
    assert m["kernel_gradient_is_input_patch"] and m["input_gradient_is_flipped_kernel"]


def test_gradient_through_time_is_a_product_of_slopes(run_lesson):
    m = claim(run_lesson("derivations"), "S2")["measured"]
    assert m["one_step_jacobian_correct"] and m["tanh_slope_max_1_at_0"]
    assert m["unrolled_gradient_is_product_of_factors"]
    assert m["error_product_formula_50_steps"] < 1e-12


def test_kl_closed_form_and_its_gradients(run_lesson):
    m = claim(run_lesson("derivations"), "S3")["measured"]
    assert m["log_density_correct"] and m["kl_closed_form_correct"] and m["reparameterisation_derivatives_correct"]
    assert m["dkl_dsigma_is_sigma_minus_inverse"]
    assert m["monte_carlo_worst_z"] <= 4.0


def test_optimal_discriminator_and_generator_gradients(run_lesson):
    m = claim(run_lesson("derivations"), "S4")["measured"]
    assert m["d_star_correct"] and m["d_star_is_maximum"] and m["seed_examples_correct"]
    assert m["value_at_equilibrium_is_minus_log4"] and m["logit_gradients_minus_d_and_minus_1_minus_d"]
    assert m["generator_gradients_in_d_correct"] and m["stationary_residual_at_d_star"] < 1e-13


def test_softmax_jacobian_and_attention_gradient(run_lesson):
    m = claim(run_lesson("derivations"), "S5")["measured"]
    assert m["softmax_jacobian_is_diag_p_minus_ppT"] and m["softmax_rows_sum_to_1"] and m["scores_are_dot_products"]
    assert m["error_attention_dq"] < 1e-12 and m["error_hand_written_dq"] < 1e-12


def test_l2_gradient_is_weight_decay(run_lesson):
    m = claim(run_lesson("derivations"), "S6")["measured"]
    assert m["gradient_correct"] and m["weight_decay_form_correct"] and m["decay_factor_example_correct"]
    assert m["five_weight_gradient_is_lambda_w"] and m["error_sgd_weight_decay_step"] < 1e-13


def test_batchnorm_printed_input_gradient_is_m_times_too_large(run_lesson):
    s7 = claim(run_lesson("derivations"), "S7")
    m = s7["measured"]
    assert m["dbeta_correct"] and m["dgamma_correct"] and not m["printed_dx_correct"]
    assert m["printed_dx_is_m_times_true_reading_dxhat_as_dy"] and m["printed_dx_is_m_gamma_times_true_read_literally"]
    assert abs(m["printed_dx_relative_error_m4_reading_dxhat_as_dy"] - 3.0) < 1e-12  # m - 1 for m = 4
    assert s7["correction"] and s7["fix"]["verdict"] == "holds"
    assert s7["fix"]["measured"]["corrected_dx_equals_sympy"]
