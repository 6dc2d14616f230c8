"""The autoencoders lesson: E31-E34 and D10 (004:3464-4227), in quick mode."""

import math

from lesson_helpers import claim


def test_verdicts_and_figures(run_lesson):
    record = run_lesson("autoencoders")
    verdicts = {c["id"]: c["verdict"] for c in record["claims"]}
    assert verdicts == {"E31": "partly", "E32": "fails", "D10": "fails", "E33": "holds", "E34": "partly"}
    for made in record["claims"]:
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])
        assert made["verdict"] == "holds" or made["correction"], made["id"]


def test_compression_finds_the_factors_but_not_pca_error(run_lesson):
    e31 = claim(run_lesson("autoencoders"), "E31")
    m = e31["measured"]
    assert abs(m["gradient_over_printed_loss_gradient"] - 20) < 1e-9  # the seed steps on the sum, not the mean
    assert min(m["code_r2"]) > 0.99                      # the code holds the 3 factors
    assert min(m["ae_over_pca"]) > 1.1                   # ... but the error is not PCA's
    assert min(m["improvement_percent"]) > 99            # the seed's printed number looks great anyway
    assert max(m["ae_over_pca_after_more_epochs"]) < max(m["ae_over_pca"])
    fix = e31["fix"]
    assert fix["verdict"] == "holds" and fix["measured"]["linear_ae_over_pca_max"] < 1.02


def test_seed_dae_makes_images_worse(run_lesson):
    m = claim(run_lesson("autoencoders"), "E32")["measured"]
    assert m["seeds_denoised_below_noisy"] == 0
    for noisy, denoised in zip(m["noisy_mse"], m["denoised_mse"]):
        assert 0.04 < noisy < 0.06          # clipping leaves about half of the 0.3^2 noise
        assert denoised > 3 * noisy         # worse than doing nothing
    assert m["seed_8_images_denoised_mse"] > m["seed_8_images_noisy_mse"]


def test_d10_as_written_fails_and_the_fix_meets_its_target(run_lesson):
    d10 = claim(run_lesson("autoencoders"), "D10")
    m = d10["measured"]
    assert d10["verdict"] == "fails"
    assert m["seeds_improved_lr_0.01"] == 0 and m["seeds_improved_lr_0.001"] == 0
    assert abs(m["gradient_over_printed_loss_gradient"] - 256) < 1e-6
    assert max(m["live_code_units_at_end_lr_0.01"]) <= 2      # the ReLU code dies ...
    for denoised, mean_image in zip(m["denoised_mse_lr_0.01"], m["mean_image_mse"]):
        assert abs(denoised - mean_image) < 0.005             # ... and the output is the mean image
    assert m["encoder_gradient_relative_error_as_written"] > 0.1
    fix = d10["fix"]
    assert fix["verdict"] == "holds"
    assert fix["measured"]["fixed_over_noisy_max"] < 0.5
    assert min(fix["measured"]["fixed_improvement_percent"]) > 50


def test_kl_closed_form_matches_monte_carlo_and_reparameterisation(run_lesson):
    m = claim(run_lesson("autoencoders"), "E33")["measured"]
    assert abs(m["kl_total"] - 0.2508) < 5e-5 and abs(m["vae_loss"] - 0.2517) < 5e-5
    assert m["kl_monte_carlo_relative_gap"] < 0.01
    assert m["random_8d_worst_gap_in_standard_errors"] < 4
    for name in ("mu", "sigma"):
        for got, want in zip(m[f"grad_{name}_autograd"], m[f"grad_{name}_analytic"]):
            assert abs(got / want - 1) < 0.01
    assert m["grad_fd_minus_autograd_max"] < 1e-6


def test_vae_shapes_loss_and_training(run_lesson):
    m = claim(run_lesson("autoencoders"), "E34")["measured"]
    assert m["shapes_as_printed"]
    assert abs(m["untrained_reconstruction_loss"] - 256 * math.log(2)) < 0.01 and m["untrained_kl"] < 1e-3
    assert m["untrained_generated_max_distance_from_half"] < 0.01     # the seed's samples are grey
    assert m["test_neg_elbo_trained"] < 0.5 * m["test_nll_ignoring_z"]
    assert m["kinds_seen"] == 4
    assert 0.2 < m["samples_within_0.05_of_a_pattern"] / m["prior_samples"] < 0.9
