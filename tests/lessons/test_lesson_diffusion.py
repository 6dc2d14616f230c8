"""The diffusion lesson: DF1-DF4 (000:63, 000:1, 000:89; designed here, the seeds hold no code)."""

from lesson_helpers import claim


def test_verdicts_and_figures(run_lesson):
    record = run_lesson("diffusion")
    assert {c["id"]: c["verdict"] for c in record["claims"]} == {
        "DF1": "holds", "DF2": "holds", "DF3": "holds", "DF4": "partly"}
    for made in record["claims"]:
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])
    assert all(check["passed"] for check in record["checks"])


def test_forward_chain_matches_the_closed_form(run_lesson):
    m = claim(run_lesson("diffusion"), "DF1")["measured"]
    # slope sqrt(abar_t) and variance 1 - abar_t at every step, within sampling error
    assert m["slope_z_max"] < 5 and m["variance_z_max"] < 5 and m["variance_relative_gap_max"] < 0.1
    for t in (10, 25, 50, 75, 100):  # two-sample KS: chain against one jump, below the 0.1% critical value
        assert m[f"ks_t{t}"] <= m["ks_critical"], t
    assert m["ks_naive_t25"] > 5 * m["ks_critical"]  # variances do not simply add up to sum(beta)
    # after T = 100 steps: pure noise
    assert m["signal_left_at_T"] < 0.005
    assert m["ks_x_T_vs_gaussian"] <= m["ks_critical"] and m["x_T_cov_gap_from_identity"] < 0.1
    assert m["x_T_mean_abs_max"] < 0.05


def test_network_predicts_the_noise_nearly_as_well_as_possible(run_lesson):
    m = claim(run_lesson("diffusion"), "DF2")["measured"]
    assert abs(m["mse_zero"] - 1.0) < 0.05  # the trivial guess 0
    assert 0.2 < m["mse_best"] < 0.3  # E[eps | x_t]: a quarter of the noise cannot be predicted
    assert m["mse_best"] <= m["mse_network"] + 0.01 and m["share_of_learnable_gain"] >= 0.9
    assert m["mse_best_first_tenth_of_t"] > 0.6 and m["mse_best_last_tenth_of_t"] < 0.01
    assert abs(m["correlation_network"] - m["correlation_best"]) < 0.05


def test_ddpm_samples_land_on_the_ring(run_lesson):
    m = claim(run_lesson("diffusion"), "DF3")["measured"]
    assert m["on_ring"] / m["samples"] >= 0.9
    assert m["on_ring_data"] / m["samples"] > 0.99 and m["on_ring_start_noise"] / m["samples"] < 0.25
    assert abs(m["sample_radius_mean"] - 2.0) < 0.1 and m["largest_radius_gap_forward_vs_reverse"] < 0.1


def test_ddim_needs_twenty_steps_not_ten(run_lesson):
    made = claim(run_lesson("diffusion"), "DF4")
    m = made["measured"]
    assert m["ddim_10_shortfall"] > m["tolerance"]  # 10 steps lose quality against DDPM's 100
    assert m["ddim_20_shortfall"] <= m["tolerance"] and m["ddim_50_shortfall"] <= m["tolerance"]
    assert all(m[f"ddim_{k}_seconds"] < m["ddpm_seconds"] for k in (10, 20, 50))
    assert made["fix"]["verdict"] == "holds" and "10 steps" in made["correction"]
    assert m["ddim_10_ring_thickness"] < m["data_ring_thickness"]  # DDIM draws the ring too thin
