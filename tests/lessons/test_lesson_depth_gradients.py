"""The depth-gradients lesson: E56 (002:69-72)."""

from lesson_helpers import claim


def test_sigmoid_vanishes_most_but_relu_needs_its_init(run_lesson):
    record = run_lesson("depth_gradients")
    e56 = claim(record, "E56")
    assert e56["verdict"] == "partly"
    measured = e56["measured"]
    assert measured["depth"] == 32
    # Sigmoid's first layer gets ~1e-27 of its last layer's gradient; default-init ReLU ~1e-11.
    assert measured["ratio_first_last_sigmoid"] < 1e-20
    assert 1e-14 < measured["ratio_first_last_relu"] < 1e-8
    assert measured["relu_over_sigmoid_ratio"] > 1e10
    assert measured["ratio_first_last_tanh"] > measured["ratio_first_last_relu"]
    # He init keeps ReLU's norms within 10x through 32 layers; the residual stack does not vanish.
    assert e56["fix"]["verdict"] == "holds"
    assert 0.1 <= measured["ratio_first_last_relu_he_init"] <= 10
    assert measured["first_layer_norm_residual_relu"] > 1.0
    assert (record["out"] / e56["figures"][0]).stat().st_size > 0
