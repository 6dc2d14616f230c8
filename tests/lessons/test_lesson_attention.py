"""The attention lesson: E40-E44, D6, D13 (004:4920-5649, 004:1980-2024)."""

import math

from lesson_helpers import claim


def test_verdicts_and_figures(run_lesson):
    record = run_lesson("attention")
    verdicts = {c["id"]: c["verdict"] for c in record["claims"]}
    assert verdicts == {"E40": "holds", "E41": "holds", "D6": "fails", "D13": "fails", "E42": "holds",
                        "E43": "holds", "E44": "partly"}
    for made in record["claims"]:
        assert all((record["out"] / f).stat().st_size > 0 for f in made["figures"]), made["id"]
    assert len(record["figures"]) == 8
    assert all(c["passed"] for c in record["checks"])


def test_hand_set_bars_are_distributions(run_lesson):
    m = claim(run_lesson("attention"), "E40")["measured"]
    assert abs(m["sat_row_sum"] - 1) < 1e-12 and abs(m["mat_row_sum"] - 1) < 1e-12
    assert m["sat_peak_is_cat"] and m["mat_peak_is_on"] and m["sat_weight_on_itself"] == 0.0


def test_numeric_example_exactly(run_lesson):
    m = claim(run_lesson("attention"), "E41")["measured"]
    diag = 1 / (1 + math.exp(-1 / math.sqrt(2)))          # softmax([1/sqrt 2, 0])[0]
    assert abs(m["weight_diag"] - diag) < 1e-15 and abs(m["weight_off"] - (1 - diag)) < 1e-15
    assert abs(m["out_00"] - (10 * diag + 30 * (1 - diag))) < 1e-12
    assert abs(m["out_11"] - (40 * diag + 20 * (1 - diag))) < 1e-12
    assert round(m["out_00"], 4) == 16.6048 and round(m["out_01"], 4) == 26.6048
    assert round(m["out_10"], 4) == 23.3952 and round(m["out_11"], 4) == 33.3952
    assert m["row_sum_error_max"] < 1e-12
    # the seed's additive mask is the engine's causal mask; unchanged as a bool mask it is not
    assert m["causal_future_weight_max"] == 0.0 and m["causal_first_row"] == [1.0, 0.0, 0.0, 0.0]
    assert m["causal_engine_max_diff"] < 1e-12 and m["causal_bool_mask_max_diff"] < 1e-12
    assert m["seed_mask_as_bool_unchanged_max_diff"] > 0.1
    assert m["head_dim"] == 8 and m["head_weights_shape"] == [4, 4] and m["mha_output_shape"] == [4, 64]


def test_q_equals_k_attends_to_itself(run_lesson):
    made = claim(run_lesson("attention"), "D6")
    m = made["measured"]
    assert m["self_argmax_rows"] / m["rows"] > 0.9             # the diagonal wins in nearly every row
    assert m["draws_with_both"] / m["draws"] < 0.05             # cat->The and sat->cat together: rare chance
    assert 2.5 < m["mean_self_score"] < 3.1                     # |e|^2 / sqrt(8), mean 8 / sqrt(8) = 2.83
    assert made["fix"]["verdict"] == "holds"


def test_untrained_heads_are_uniform_trained_heads_differ(run_lesson):
    made = claim(run_lesson("attention"), "D13")
    m, fix = made["measured"], made["fix"]["measured"]
    assert m["untrained_max_dev_from_uniform"] < 0.02           # every weight ~0.25
    assert m["untrained_mean_pairwise_tv"] < 0.01 and m["untrained_min_entropy_share"] > 0.999
    assert made["fix"]["verdict"] == "holds"
    assert fix["trained_min_accuracy"] > 0.95 and fix["trained_min_mean_pairwise_tv"] > 0.3
    assert fix["trained_max_mean_entropy_share"] < 0.7 < min(fix["init_mean_entropy_share"])
    assert fix["min_heads_looking_back"] >= 1 and fix["min_heads_looking_ahead"] >= 1


def test_positional_encoding_offsets_are_rotations(run_lesson):
    m = claim(run_lesson("attention"), "E42")["measured"]
    assert -1.0 <= m["min"] and m["max"] <= 1.0 and m["min_distance_between_positions"] > 0.1
    assert m["rotation_residual_max"] < 1e-12 and m["rotation_orthogonality_error"] < 1e-12
    assert m["dot_spread_over_positions_max"] < 1e-12 and m["dot_closed_form_gap"] < 1e-12
    assert m["dot_at_offset_0"] == 64.0                         # d / 2 pairs of sin^2 + cos^2


def test_encoder_layer_counts(run_lesson):
    m = claim(run_lesson("attention"), "E43")["measured"]
    assert (m["mha"], m["ffn"], m["layer_norm"], m["total"], m["six_layers"]) == (16_384, 33_088, 256, 49_728, 298_368)
    assert m["engine_layer"] == 49_984 and m["engine_mha_without_bias"] == 16_384
    assert m["engine_minus_seed"] == m["mha_bias_count"] == 256


def test_model_sizes_quoted_and_counted(run_lesson):
    m = claim(run_lesson("attention"), "E44")["measured"]
    assert m["chart_equals_table"] and m["labels"] == ["110M", "175B", "11B", "86M"]
    assert abs(m["gpt3_over_bert"] - 1590.909) < 1e-3
    assert m["counted_BERT"] == 109_482_240 and m["counted_ViT"] == 86_567_656
    for name in ("BERT", "GPT-3", "T5", "ViT"):
        assert abs(m[f"{name}_quoted_off_by"]) < 0.03, name
    assert m["T5_seed_layers_off_by"] < -0.4                    # 12+12 layers give about half of 11B
    assert m["ours_seed_encoder_6_layers"] == 298_368 and m["ours_gpt_defaults"] < 2e6
