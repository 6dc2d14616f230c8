"""The neuron lesson: E7-E13 (004:282-826)."""

from lesson_helpers import claim


def test_forward_trace_gives_the_seeds_probability(run_lesson):
    record = run_lesson("neuron")
    e12 = claim(record, "E12")
    assert e12["verdict"] == "holds"
    assert abs(e12["measured"]["probability"] - 0.7047) < 1e-4
    assert abs(e12["measured"]["z2"] - 0.87) < 1e-12
    assert (record["out"] / e12["figures"][0]).stat().st_size > 0
