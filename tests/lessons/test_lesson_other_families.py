"""The other families lesson: F1-F4 (002:41-52), in quick mode."""

from lesson_helpers import claim


def test_every_claim_has_its_verdict_and_figure(run_lesson):
    record = run_lesson("other_families")
    verdicts = {c["id"]: c["verdict"] for c in record["claims"]}
    assert verdicts == {"F1": "partly", "F2": "holds", "F3": "partly", "F4": "partly"}
    for made in record["claims"]:
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"])
        assert (made["correction"] is None) == (made["verdict"] == "holds"), made["id"]
    assert {c["name"] for c in record["checks"]} >= {
        "F1: the engine's RBF network gives the NumPy scores",
        "F1: autograd's gradient vanishes at the least-squares read-out",
    }


def test_rbf_network_ties_in_2d_and_falls_to_the_linear_floor_with_noise_inputs(run_lesson):
    m = claim(run_lesson("other_families"), "F1")["measured"]
    rbf, mlp, linear = (m[f"{name}_accuracy_by_dimension"] for name in ("rbf", "mlp", "linear"))
    assert m["dimensions"][0] == 2 and rbf[0] > 0.95 and abs(m["rbf_minus_mlp_2d"]) <= 0.01
    assert all(r - lin < 0.01 for r, lin in zip(rbf[1:], linear[1:]))  # no better than a linear classifier
    assert mlp[1] - rbf[1] > 0.05                                       # D = 8: the MLP weights the noise down
    assert mlp[-1] < rbf[-1] and m["dimensions_where_rbf_drops_more"] < m["padded_dimensions"]


def test_som_keeps_neighbourhoods_of_digits(run_lesson):
    m = claim(run_lesson("other_families"), "F2")["measured"]
    assert m["topographic_error"] < 0.1 < 0.5 < m["topographic_error_shuffled"]
    assert m["label_contiguity_ratio"] >= 2.0 and m["neighbours_same_digit_shuffled"] < 0.15
    assert m["quantisation_error_kmeans"] < m["quantisation_error"] < m["quantisation_error_random_samples"]
    assert m["unit_label_test_accuracy"] > 0.6 and m["units_winning_no_training_digit"] == 0
    assert m["u_edge_between_digits"] > m["u_edge_within_digit"]


def test_ensembles_of_seeds_win_and_averaging_lifts_every_kind_of_member(run_lesson):
    m = claim(run_lesson("other_families"), "F3")["measured"]
    assert m["seeds_ensemble_accuracy"] > m["single_accuracy"] and m["seeds_ensemble_nll"] < m["single_nll"]
    assert m["bagging_ensemble_accuracy"] > m["bagging_member_accuracy"]
    assert m["snapshot_ensemble_accuracy"] > m["snapshot_member_accuracy"]
    assert m["bagging_ensemble_nll"] < m["bagging_member_nll"]
    assert len(m["seeds_accuracy_by_size"]) == m["members"]
    assert len(m["snapshot_accuracy_by_size"]) == m["snapshot_cycles"]
    assert m["seeds_nll_by_size"][-1] < m["seeds_nll_by_size"][0]


def test_mixture_of_experts_wins_where_its_gate_splits_the_regimes(run_lesson):
    m = claim(run_lesson("other_families"), "F4")["measured"]
    assert m["moe_parameters"] == 136 and m["mlp_parameters"] == 151
    split = [a >= 0.9 for a in m["gate_agreement"]]
    assert 0 < sum(split) < m["seeds"]  # both outcomes occur
    for did_split, moe, mlp in zip(split, m["moe_mse"], m["mlp_mse"]):
        if did_split:
            assert moe < 0.6 * mlp
    assert m["seeds_split_and_win"] == sum(split)
    for did_split, angle in zip(split, m["gate_angle_degrees"]):
        assert angle < 5 if did_split else angle > 45  # a stuck gate divides the square the wrong way
