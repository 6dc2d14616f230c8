"""The batchnorm lesson: E52, D15 (004:6183-6438)."""

import numpy as np
from lesson_helpers import claim


def test_claims_and_figures(run_lesson):
    record = run_lesson("batchnorm")
    assert [c["id"] for c in record["claims"]] == ["E52", "D15"]
    assert claim(record, "E52")["verdict"] == "holds"
    d15 = claim(record, "D15")
    assert d15["verdict"] == "fails" and d15["fix"]["verdict"] == "holds"
    for made in record["claims"]:
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])


def test_worked_example(run_lesson):
    m = claim(run_lesson("batchnorm"), "E52")["measured"]
    assert m["example_mean"] == 2.5 and m["example_var"] == 1.25
    assert np.allclose(m["example_x_hat"], [-1.342, -0.447, 0.447, 1.342], atol=1e-3)
    assert np.allclose(m["example_y"], [-2.183, -0.394, 1.394, 3.183], atol=1e-3)
    assert abs(m["example_y_mean"] - 0.5) < 1e-12 and abs(m["example_y_std"] - 2.0) < 1e-3


def test_normalised_batches(run_lesson):
    m = claim(run_lesson("batchnorm"), "E52")["measured"]
    assert abs(m["skewed_mean_after"]) < 1e-12 and abs(m["skewed_std_after"] - 1) < 1e-5
    assert abs(m["scaled_mean"] - 0.3) < 1e-12 and abs(m["scaled_std"] - 1.5) < 1e-4
    assert abs(m["skewness_before"] - m["skewness_after"]) < 1e-9 and m["skewness_before"] > 1  # shape kept
    assert abs(m["batch1_mean"] - 5) < 0.1 and abs(m["batch2_mean"] + 3) < 0.1
    assert m["per_feature_max_abs_mean"] < 1e-12 and m["per_feature_max_abs_std_minus_1"] < 1e-5


def test_seed_layer_against_the_engine(run_lesson):
    m = claim(run_lesson("batchnorm"), "E52")["measured"]
    assert m["train_output_max_abs_diff"] < 1e-10
    assert m["running_mean_gap_seed09_vs_torch01"] < 1e-12  # seed's 0.9 is torch's 0.1
    assert m["running_var_gap_seed09_vs_torch01"] > 1e-3    # but torch stores the unbiased variance
    assert abs(m["running_var_ratio_torch_to_seed_after_stream"] - 64 / 63) < 1e-3
    assert m["running_var_gap_matched_after_stream"] < 1e-10 and m["eval_output_max_abs_diff_matched"] < 1e-10
    # After the seed's two demo batches the running mean is far from the data's: eval mode is off.
    assert m["running_mean_after_demo"] < 0.5 and m["eval_on_batch1_after_demo_mean"] > 2
    assert m["batches_to_1pct_at_momentum_0.9"] == 44


def test_training_effects(run_lesson):
    m = claim(run_lesson("batchnorm"), "E52")["measured"]
    assert max(m["deep_plain_best"]) < 0.2 and min(m["deep_bn_best"]) >= 0.9
    assert m["deep_seeds_bn_trains"] == m["seeds"]
    assert m["relu_bn_largest_lr"][0] > m["relu_plain_largest_lr"][0] > 0


def test_printed_input_gradient_is_off_by_gamma_m(run_lesson):
    d15 = claim(run_lesson("batchnorm"), "D15")
    m = d15["measured"]
    assert m["printed_literal_min_rel_error"] > 1e-2 and m["printed_kind_min_rel_error"] > 1e-2
    assert np.allclose(m["printed_kind_rel_errors"], [b - 1 for b in m["batch_sizes"]], rtol=1e-9)
    assert np.allclose(m["literal_error_factor_over_gamma_m"], 1.0, rtol=1e-9)
    assert max(m["correct_vs_autograd_rel_errors"]) < 1e-12 and max(m["correct_vs_fd_rel_errors"]) < 1e-7
    assert m["parameter_grads_max_rel_error"] < 1e-12
    assert d15["fix"]["measured"]["correct_max_rel_error_vs_fd"] < 1e-7
