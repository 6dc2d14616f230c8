"""The GAN lesson: E35-E39, D11, D12 (004:4228-4919), in quick mode."""

import math

from lesson_helpers import claim


def test_claims_in_order_with_their_figures(run_lesson):
    record = run_lesson("gans")
    assert [c["id"] for c in record["claims"]] == ["D12", "E37", "D11", "E35", "E36", "E38", "E39"]
    verdicts = {c["id"]: c["verdict"] for c in record["claims"]}
    assert verdicts | {"E38": None, "E39": None} == {"D12": "fails", "E37": "fails", "D11": "fails", "E35": "holds",
                                                   "E36": "partly", "E38": None, "E39": None}
    # Quick mode: 2 mixture seeds, neither of which collapses (in full mode seed 3 does), so E38 cannot hold here.
    # Whether WGAN-GP then covers all four modes on both seeds depends on the CPU's last bits (see
    # test_mode_collapse_measures_and_wgan_coverage): partly and holds where it does, fails and fails where not.
    assert (verdicts["E38"], verdicts["E39"]) in {("partly", "holds"), ("fails", "fails")}
    for made in record["claims"]:
        if made["id"] != "D12":
            assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])
        if made.get("fix"):
            assert made["fix"]["verdict"] == "holds", made["id"]
    assert len(record["figures"]) == 9


def test_seed_parameter_counts_are_wrong_by_the_biases(run_lesson):
    d12 = claim(run_lesson("gans"), "D12")
    m = d12["measured"]
    assert (m["printed_generator"], m["printed_discriminator"]) == (396, 99)
    assert (m["generator_engine"], m["discriminator_engine"]) == (418, 129)
    assert (m["generator_arrays"], m["discriminator_arrays"]) == (418, 129)
    assert d12["fix"]["measured"]["generator_formula"] == 10 * 32 + 32 + 32 * 2 + 2


def test_seed_ring_gan_as_written_stays_at_the_origin_and_the_fix_reaches_the_ring(run_lesson):
    record = run_lesson("gans")
    d11, e37 = claim(record, "D11"), claim(record, "E37")
    m = d11["measured"]
    assert m["radius_as_written"] < 0.3                            # the real ring has radius 2
    assert m["fix_c_bit_identical"] and m["radius_fix_c"] == m["radius_as_written"]
    assert m["radius_fix_a"] < 0.3 and m["radius_fix_b"] < 0.3 and m["radius_fix_d"] < 0.3
    assert m["radius_fix_a_b_c_sgd"] < 1.9                          # correct gradients, but SGD 1e-3 is too slow
    assert abs(m["seed_scale_factor"] - 1 / 64) < 1e-12          # (b): the batch size divided out twice
    assert m["seed_real_grad_cosine"] < 0.9                        # (a): the real batch through fake activations
    fix = d11["fix"]["measured"]
    assert fix["hand_vs_autograd_max_error"] < 1e-10
    assert abs(fix["radius_engine_fix"] - 2.0) <= 0.1 and fix["min_bin_engine_fix"] >= 0.03
    assert abs(e37["measured"]["real_mean_radius"] - 2.0) < 0.02
    assert e37["measured"]["generated_std_xy"][0] < 0.3 < 1.3 < e37["fix"]["measured"]["generated_std_xy"][0]


def test_optimal_discriminator_and_the_two_generator_losses(run_lesson):
    m = claim(run_lesson("gans"), "E35")["measured"]
    assert m["seed_dstar_0.8_vs_0.2"] == 0.8 and m["seed_dstar_equal"] == 0.5
    assert m["dstar_grid_max_error"] <= 1e-3 and m["dstar_trained_max_error"] <= 0.05
    assert abs(m["value_at_equilibrium"] + math.log(4)) < 1e-12
    assert abs(m["d_loss_fake_0.9"] - 2.3026) < 1e-4 and abs(m["g_loss_saturating_0.1"] + 0.1054) < 1e-4
    assert abs(m["grad_saturating_autograd"] + 1 / 0.99) < 1e-12 and abs(m["grad_nonsaturating_autograd"] + 100) < 1e-9
    assert abs(m["gradient_ratio_at_0.01"] - 99) < 1e-9
    assert abs(m["logit_grad_saturating"] + 0.01) < 1e-12 and abs(m["logit_grad_nonsaturating"] + 0.99) < 1e-12
    # Once D rejects the fakes the non-saturating gradient is far larger; trained together, D(G(z)) stays ~0.5.
    assert m["d_fake_when_d_wins"] < 0.05 and m["g_grad_ratio_when_d_wins"] > 10
    assert 0.4 < m["early_mean_d_fake"] < 0.6
    assert m["radius_error_nonsaturating"] <= 0.1


def test_discriminator_accuracy_starts_near_chance_and_ends_near_half(run_lesson):
    m = claim(run_lesson("gans"), "E36")["measured"]
    assert m["early_mean_accuracy"] < 0.9 and m["epoch0_accuracy"] < 0.8
    assert 0.4 <= m["final_accuracy"] <= 0.7


def test_mode_collapse_measures_and_wgan_coverage(run_lesson):
    record = run_lesson("gans")
    m = claim(record, "E38")["measured"]
    assert m["simulated_collapse_covered"] == 1 and m["simulated_healthy_covered"] == 4
    assert m["simulated_collapse_inception_score"] < 1.01 and m["simulated_healthy_inception_score"] > 3.9
    assert m["simulated_collapse_frechet"] > 10 > 0.1 > m["simulated_healthy_frechet"]
    assert m["seeds"] == 2 and m["plain_collapsed_seeds"] == 0
    # The 600-step WGAN-GP of seed 0 is chaotic in the float rounding: on Intel Xeons (NumPy's AVX-512
    # paths, OpenBLAS SkylakeX) it covers 4 of 4 modes, on a Zen 3 (AVX2, OpenBLAS Haswell) 2 of 4;
    # seed 1 covers all four on both. The lesson reports whichever it measured.
    assert m["wgan_full_coverage_seeds"] >= 1 and m["wgan_modes_covered"][1] == 4
    assert all(abs(sum(shares) - 1) < 1e-12 for shares in m["plain_shares"] + m["wgan_shares"])
    e39 = claim(record, "E39")["measured"]
    assert e39["wgan_at_least_plain_seeds"] == m["wgan_full_coverage_seeds"]   # plain covers 4 of 4 on both seeds
