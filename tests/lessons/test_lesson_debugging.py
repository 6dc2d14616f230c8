"""The debugging lesson: E53, E54, E60, E58 (004:6439-6558; 003:180-192; 001:229-235)."""

import math

from lesson_helpers import claim

from neuralab.lessons import LESSONS


def test_verdicts_and_figures(run_lesson):
    record = run_lesson("debugging")
    assert [c["id"] for c in record["claims"]] == ["E53", "E54", "E60", "E58"]
    assert {c["id"]: c["verdict"] for c in record["claims"]} == {
        "E53": "partly", "E54": "partly", "E60": "partly", "E58": "holds"}
    assert sorted(record["figures"]) == sorted(f"figures/{name}.png" for name in (
        "debugging-scenarios", "single-batch-overfit", "gradient-monitors", "quick-reference",
        "training-problem-cures", "five-exercises"))
    assert all((record["out"] / f).stat().st_size > 0 for f in record["figures"])


def test_nan_from_a_large_rate_and_an_unstable_softmax(run_lesson):
    m = claim(run_lesson("debugging"), "E53")["measured"]
    assert m["s1_nan_reached"] and 1 < m["s1_nan_step"] < 100
    assert m["s1_lr_0.1_finite"] and m["s1_lr_0.1_val_acc"] >= 0.9  # lr / 10 cures it
    assert not m["s1_clip_finite"] and m["s1_clip_nan_step"] > m["s1_nan_step"]  # clipping only delays it
    # The stable loss removes the NaN, but at lr 1.0 the network still does not learn.
    assert m["s1_stable_loss_finite"] and m["s1_stable_loss_val_acc"] < 0.5


def test_flat_loss_sits_at_the_random_baseline(run_lesson):
    m = claim(run_lesson("debugging"), "E53")["measured"]
    assert abs(m["baseline_ln10"] - math.log(10)) < 1e-12
    assert abs(m["s2_shuffled_val_loss"] - m["baseline_ln10"]) <= 0.1 and m["s2_shuffled_val_acc"] < 0.25
    assert abs(m["s2_low_lr_val_loss"] - m["baseline_ln10"]) <= 0.1
    assert m["s2_correct_labels_val_acc"] >= 0.9 and m["s2_lr_0.1_val_acc"] >= 0.9


def test_overfitting_and_underfitting(run_lesson):
    m = claim(run_lesson("debugging"), "E53")["measured"]
    assert m["s3_overfitting_draws"] == m["s3_draws"] == 1 and m["s3_val_rise_per_draw"][0] >= 1.2  # quick: 1 draw
    assert m["s3_train_final"] < m["s3_train_at_val_min"]
    assert m["s3_fixes_that_cure_count"] >= 1 and "dropout 0.5" in m["s3_fixes_that_cure"]
    assert m["s4_train_final"] >= 0.5 and m["s4_val_final"] >= 0.5 and abs(m["s4_val_minus_train"]) <= 0.1
    assert m["s4_wider_val_acc"] >= 0.9 and m["s4_longer_train_final"] < m["s4_train_final"]
    assert m["s4_deeper_train_final"] > 0.95 * m["s4_train_final"]  # 2-unit layers add depth, not capacity


def test_exploding_and_vanishing_gradients(run_lesson):
    m = claim(run_lesson("debugging"), "E53")["measured"]
    assert m["s5_initial_loss"] > 50 and m["s5_grad_norm_over_he"] > 100  # the initial-loss check flags it
    assert m["s5_nan_draws"] == m["s5_draws"] and m["s5_batch_norm_learns_draws"] == m["s5_draws"]
    assert m["s6_grad_first_over_last"] < 1e-5 and m["s6_val_acc"] <= 0.2
    assert m["s6_sigmoid_batch_norm_val_acc"] >= 0.9 and m["s6_relu_he_init_val_acc"] >= 0.85
    assert m["s6_relu_default_init_val_acc"] <= 0.2 and m["s6_sigmoid_xavier_init_val_acc"] <= 0.2
    assert m["s6_sigmoid_batch_norm_grad_first_over_last"] > 0.1


def test_checklist(run_lesson):
    m = claim(run_lesson("debugging"), "E53")["measured"]
    assert m["shapes_batch_flat_logits"] == [[32, 1, 8, 8], [32, 64], [32, 10]]
    assert abs(m["initial_loss"] - math.log(10)) <= 0.1
    assert m["single_batch_reached_1e-3"] and 300 < m["single_batch_steps_to_1e-3"] <= 2000
    # Per-matrix gradient norms of the healthy net sit above 0.1; mean absolute entries inside the range.
    assert m["grad_norms_in_range"] / m["grad_values"] < 0.5 and m["grad_norm_median"] > 0.1
    assert m["grad_mean_abs_in_range"] / m["grad_values"] > 0.8
    assert 1e-4 < m["update_ratio_median"] < 1e-2


def test_quick_reference(run_lesson):
    e54 = claim(run_lesson("debugging"), "E54")
    m = e54["measured"]
    assert m["default_test_acc"] >= 0.9  # learns; the E54 bar of 0.95 is the rule's, and it is missed by a hair
    for name in ("dropout_0.5", "dropout_0.3", "l2_0.01", "early_stopping"):
        assert m[f"{name}_test_loss_over_untreated"] <= 0.95, name
    assert m["batch_norm_stabilises_exploding"] and m["lower_lr_stabilises_nan_run"]
    assert not m["clipping_stabilises_nan_run"] and "clipping on the NaN run" in e54["correction"]


def test_training_problems(run_lesson):
    m = claim(run_lesson("debugging"), "E60")["measured"]
    assert m["cures_named"] == 8 and 2 < m["cures_that_improved"] < 8
    assert m["dropout_improved"] and m["train_longer_improved"] and m["batch_norm_improved"]
    assert not m["more_layers_improved"] and not m["relu_improved"] and not m["better_init_improved"]
    assert m["relu_with_he_init_val_acc"] >= 0.85


def test_the_five_exercises_are_done_and_measured(run_lesson):
    e58 = claim(run_lesson("debugging"), "E58")
    m = e58["measured"]
    assert e58["figures"] == ["figures/five-exercises.png"]
    assert m["classifier_test_accuracy"] >= 0.9 and m["gd_middle_lr_best"] and m["regularisation_cures"] >= 1
    assert m["autoencoder_test_mse"] < 0.5 * m["mean_image_mse"]
    for key in ("simple_classifier", "explore_gradient_descent", "visualise_learning", "apply_regularisation",
                "generative_foundation"):
        assert all(name in LESSONS for name in m[f"lessons_{key}"].split(", ")), key
