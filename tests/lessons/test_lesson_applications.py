"""The applications lesson: A1-A5, D16, D21 (004:6559-7116), in quick mode."""

import math

from lesson_helpers import claim

VERDICTS = {"A1": "holds", "A2": "holds", "A3": "fails", "A4": "partly", "D16": "fails", "A5": "holds", "D21": "fails"}


def test_verdicts_and_figures(run_lesson):
    record = run_lesson("applications")
    assert {c["id"]: c["verdict"] for c in record["claims"]} == VERDICTS
    for made in record["claims"]:
        assert made["figures"] and all((record["out"] / f).stat().st_size > 0 for f in made["figures"]), made["id"]
        if made.get("fix"):
            assert made["fix"]["verdict"] == "holds", made["id"]
    assert len(record["figures"]) == 10
    assert record["shows"]["figures/reading-list.png"] == ["V57"]
    assert record["shows"]["figures/practice-curves.png"] == ["V58"]


def test_image_classifier_beats_the_demo_and_shirts_are_the_weak_class(run_lesson):
    m = claim(run_lesson("applications"), "A1")["measured"]
    assert m["seed_demo_accuracy"] == 0.8  # 4 of the seed's 5 typed-in predictions are right
    assert m["parameters"] == 203_530      # 003's 784-256-10 SimpleNN
    assert m["test_accuracy"] > 0.8 and m["macro_f1"] > 0.75
    assert m["worst_f1_class"] == 6 and m["worst_f1"] < m["macro_f1"] - 0.15  # Fashion-MNIST's "Shirt"
    assert m["mean_confidence_right"] > m["mean_confidence_wrong"] + 0.1
    assert m["accuracy_when_confidence_above_0.9"] > 0.9


def test_sentiment_pairs_read_negation_that_words_miss(run_lesson):
    m = claim(run_lesson("applications"), "A2")["measured"]
    assert [round(m[f"seed_average_{k}"], 3) for k in ("positive", "neutral", "negative")] == [0.458, 0.197, 0.345]
    assert m["bag_accuracy"] >= 0.9 and m["majority_accuracy"] < 0.4
    assert m["words_only_accuracy"] < m["bag_accuracy"] - 0.05
    assert m["words_only_accuracy_negation_flips"] < 0.5 < m["bag_accuracy_negation_flips"]
    assert m["seed_reviews_labelled_as_demo"] == 6


def test_stock_errors_of_the_seed_are_below_the_noise_floor(run_lesson):
    m = claim(run_lesson("applications"), "A3")["measured"]
    # the seed's own series (np.random.seed(42)) and its simulated predictions, re-run
    assert abs(m["seed_mae"] - 1.7027) < 1e-3 and abs(m["seed_rmse"] - 2.1829) < 1e-3 and abs(m["seed_mape"] - 1.1730) < 1e-3
    assert abs(m["oracle_mae"] - 2.1396) < 1e-3 and abs(m["oracle_rmse"] - 2.6661) < 1e-3
    assert abs(m["naive_mae"] - 3.2116) < 1e-3 and abs(m["seasonal_naive_mae"] - 7.7206) < 1e-3
    assert abs(m["expected_floor_mae"] - 3 * math.sqrt(2 / math.pi)) < 1e-12
    assert abs(m["oracle_mae_mean_over_noise_draws"] - 2.394) < 0.01
    assert m["share_of_noise_draws_oracle_mae_at_most_seed_mae"] < 0.01
    assert m["seed_mae"] < m["oracle_mae"] < m["lstm_mae"] < m["naive_mae"] < m["seasonal_naive_mae"]


def test_recommender_beats_item_means_but_not_the_demos_list(run_lesson):
    m = claim(run_lesson("applications"), "A4")["measured"]
    assert m["seed_top5"] == [8, 2, 3, 5, 6] and m["seed_top5_values"] == [3.5, 2.5, 2.3, 2.2, 2.1]
    assert m["rated_entries"] == 26 and m["comedy_ratings"] == 0
    assert m["mf_loo_rmse"] < m["item_mean_loo_rmse"] - 0.1
    assert m["generated_oracle_rmse"] < m["generated_mf_rmse"] < m["generated_item_mean_rmse"]
    assert not m["trained_top_is_seed_top"]


def test_recommender_demo_overwrites_a_rated_movie(run_lesson):
    d16 = claim(run_lesson("applications"), "D16")
    m = d16["measured"]
    assert m["writes"] == 6 and m["writes_on_rated"] == 1
    assert m["overwritten_movie"] == 4 and m["overwritten_true_rating"] == 2.0 and m["value_written"] == 3.0
    assert not m["overwritten_value_shown"] and m["unrated_movies_predicted"] == 5
    assert d16["fix"]["measured"]["writes_on_rated"] == 0


def test_molecule_toy_mlp_beats_linear(run_lesson):
    m = claim(run_lesson("applications"), "A5")["measured"]
    assert m["seed_best_candidate"] == 0 and abs(m["seed_best_score"] - 0.6177) < 1e-4  # Aspirin
    assert m["mlp_r2"] > m["linear_r2"] + 0.1 and m["mlp_r2"] <= m["r2_ceiling"]
    assert m["mlp_toxic_call_accuracy"] > m["majority_toxic_call_accuracy"]


def test_relu_alone_does_not_keep_gradients_level(run_lesson):
    d21 = claim(run_lesson("applications"), "D21")
    m = d21["measured"]
    assert m["relu_default_within_10x"] == 0 and m["relu_glorot_within_10x"] == 0
    assert m["sigmoid_default_median_ratio"] < 1e-10 < m["relu_default_median_ratio"] < m["relu_glorot_median_ratio"] < 0.1
    assert d21["fix"]["measured"]["relu_he_within_10x"] == d21["fix"]["measured"]["seeds"]
