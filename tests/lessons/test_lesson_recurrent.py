"""The recurrent lesson: E25-E30, D7, D17 (004:1803-1855, 2802-3463)."""

import numpy as np

from lesson_helpers import claim
from neuralab import engines
from neuralab.lessons import recurrent

VERDICTS = {"E25": "holds", "E26": "partly", "D17": "fails", "E27": "holds", "D7": "fails", "E28": "partly",
            "E29": "holds", "E30": "holds"}


def test_verdicts_and_figures(run_lesson):
    record = run_lesson("recurrent")
    assert {c["id"]: c["verdict"] for c in record["claims"]} == VERDICTS
    assert [c["id"] for c in record["claims"]] == list(recurrent.ABOUT["claims"])
    for made in record["claims"]:
        assert all((record["out"] / f).stat().st_size > 0 for f in made["figures"])
        if made["verdict"] != "holds":
            assert made["correction"]
    assert {"figures/hidden-state-memory.png", "figures/char-rnn-loss.png", "figures/gradient-regimes.png",
            "figures/vanishing-vs-length.png", "figures/lstm-gates.png"} <= set(record["figures"])


def test_hidden_state_remembers_the_first_input(run_lesson):
    m = claim(run_lesson("recurrent"), "E25")["measured"]
    assert m["demo_delta_h_last"] > 1e3 * m["demo_rounding_floor"]
    assert m["hello_delta_h_last"] > 1e3 * m["hello_rounding_floor"]
    assert m["seed_init_shrink_per_step"] < 0.1            # weights * 0.01: the trace fades fast
    assert 5 <= m["seed_init_trace_zero_from_step"] <= 20  # ... and is gone in float64 within 20 steps
    assert m["default_init_delta_h_at_29"] > 0


def test_bptt_equals_autograd():
    """The hand-written BPTT of the seed's CharRNN against scratch autograd, on random weights (float64)."""
    T = engines.get("scratch")
    rng = np.random.default_rng(0)
    rnn = recurrent.CharRNN(rng, 15, 8, 6)
    encoded = rng.integers(0, 15, 20)
    inputs, targets = recurrent.window(encoded, 3, 15, length=6)
    h_prev = np.tanh(rng.standard_normal((1, 8)))
    xs, hs, _, ps = rnn.forward(inputs, h_prev)
    by_hand = rnn.backward(xs, hs, ps, targets, clip=None)
    autograd = recurrent.engine_char_rnn_gradients(T, rnn, inputs, targets, h_prev)
    for mine, theirs in zip(by_hand, autograd):
        assert mine.shape == theirs.shape
        assert np.abs(mine - theirs).max() <= 1e-10 * np.abs(theirs).max()
    clipped = rnn.backward(xs, hs, ps, targets)
    assert all(np.abs(g).max() <= recurrent.CLIP for g in clipped)


def test_char_rnn_starts_above_the_uniform_loss(run_lesson):
    e26 = claim(run_lesson("recurrent"), "E26")
    m, fix = e26["measured"], e26["fix"]["measured"]
    assert m["vocab_size"] == 15 and abs(m["uniform_loss"] - 27.0805) < 1e-4  # -log(1/15) * 10
    assert m["initial_loss_mean"] > 1.05 * m["uniform_loss"]                  # the seed's init starts higher
    assert abs(fix["initial_loss_mean"] - m["uniform_loss"]) < 0.01 * m["uniform_loss"]  # W_hy * 0.01 does not
    assert m["seeds_falling_80pct"] == m["seeds"] and m["final_smoothed_loss_mean"] < 0.2 * m["uniform_loss"]
    assert m["sample_bigrams_in_text"] >= 0.8 > 0.3 > m["untrained_sample_bigrams_in_text"]
    assert isinstance(m["sample"], str) and len(m["sample"]) == 51
    assert e26["fix"]["verdict"] == "holds"


def test_seed_softmax_overflows_and_the_stable_one_does_not(run_lesson):
    d17 = claim(run_lesson("recurrent"), "D17")
    m = d17["measured"]
    assert not m["seed_finite_for_large_logits"] and not m["seed_finite_for_very_negative_logits"]
    assert abs(m["overflow_threshold"] - 709.78) < 0.01
    assert m["largest_logit_in_char_rnn_training"] < m["overflow_threshold"]  # the seed's demo itself is safe
    assert d17["fix"]["verdict"] == "holds"
    probabilities = recurrent.softmax(np.array([[1000.0, 999.0, 0.0]]))
    assert np.allclose(probabilities, [[1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1)), 0.0]], rtol=0, atol=1e-15)


def test_vanishing_factor_matches_the_seed(run_lesson):
    m = claim(run_lesson("recurrent"), "E27")["measured"]
    for steps, printed in {5: 3.05e-5, 10: 9.31e-10, 20: 8.67e-19, 50: 7.01e-46}.items():
        assert abs(m[f"vanishing_T{steps}"] - 0.125 ** steps) <= 1e-12 * 0.125 ** steps
        assert abs(m[f"vanishing_T{steps}"] / printed - 1) < 0.005
    assert m["autograd_relative_gap"] < 1e-10


def test_seed_exploding_cases_shrink_or_stay_flat_and_the_fix_grows(run_lesson):
    d7 = claim(run_lesson("recurrent"), "D7")
    m, fix = d7["measured"], d7["fix"]["measured"]
    assert m["printed_factor"] == 0.5 and m["plotted_factor"] == 1.0
    assert m["printed_T50"] == 0.5 ** 50 and m["printed_T50"] < m["printed_T5"]   # decays
    assert m["plotted_T5"] == m["plotted_T50"] == 1.0                              # flat
    assert fix["fix_factor"] == 1.25 and abs(fix["fix_T50"] / 1.25 ** 50 - 1) < 1e-12
    assert fix["fix_T50"] > 7e4 and abs(fix["fix_autograd_T50"] / fix["fix_T50"] - 1) < 1e-10  # grows


def test_vanishing_with_length(run_lesson):
    e28 = claim(run_lesson("recurrent"), "E28")
    m = e28["measured"]
    assert m["matrices_below_1e-10_at_100"] == m["matrices"] == 20
    assert 0.2 < m["median_spectral_radius"] < 0.45                  # about 0.1 * sqrt(10)
    norms = m["median_norm_per_length"]
    assert all(a > b for a, b in zip(norms, norms[1:])) and norms[-1] < 1e-30
    for cell in recurrent.CELLS:
        assert m[f"{cell}_untrained_median_sensitivity_T100"] < 1e-6  # untrained, every cell vanishes
    assert m["gru_accuracy_mean"] > 0.9 and m["lstm_accuracy_mean"] > 0.9
    assert min(m["gru_sensitivity_T100_per_seed"]) > 1e-2             # the trained GRU keeps its memory
    assert m["gru_seeds_above_1e-10_at_T100"] == m["trained_seeds"]
    assert m["rnn_seeds_above_1e-10_at_T100"] < m["trained_seeds"]  # some vanilla RNNs still vanish
    assert "not on every seed" in e28["correction"]


def test_lstm_gates_sit_at_one_half(run_lesson):
    m = claim(run_lesson("recurrent"), "E29")["measured"]
    assert m["largest_gate_offset_from_half"] < 0.02 and m["engine_gap"] < 1e-12
    assert len(m["cell_norms"]) == len(m["hidden_norms"]) == 5
    assert all(h < c for h, c in zip(m["hidden_norms"], m["cell_norms"]))  # h = o * tanh(c) with o ~ 0.5
    assert abs(m["cell_path_factor_5_steps"] - 0.5 ** 5) < 0.005          # prod f_t with f ~ 0.5


def test_lstm_and_gru_parameter_counts(run_lesson):
    m = claim(run_lesson("recurrent"), "E30")["measured"]
    assert m["seed_formula_lstm"] == m["seed_cell_arrays_lstm"] == 117_248
    assert m["seed_formula_gru"] == m["seed_cell_arrays_gru"] == 87_936
    assert m["engine_lstm"] == 117_760 and m["engine_gru"] == 88_320       # two bias vectors per gate
    assert m["seed_reduction"] == m["engine_reduction"] == 0.25
    assert m["engine_gru_gap_from_h0"] < 1e-12 < m["engine_gru_gap_from_other_h"]  # a different GRU variant
