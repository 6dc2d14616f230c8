"""The convolution lesson: E22 (004:1730-1787, 2040-2309) and E23 (004:2321-2401)."""

from lesson_helpers import claim


def test_convolution_demos(run_lesson):
    record = run_lesson("convolution")
    e22 = claim(record, "E22")
    measured = e22["measured"]
    assert e22["verdict"] == "holds"
    assert measured["sobel_patch_response"] == 1020 == measured["sobel_max_possible"]
    assert measured["flipped_kernel_response"] == -1020  # true convolution flips the kernel
    # The vertical edge: 4 in the two output columns straddling it, 0 elsewhere; the horizontal Sobel sees nothing.
    assert measured["edge_on_min"] == measured["edge_on_max"] == 4
    assert measured["edge_off_max_abs"] == 0 and measured["horizontal_max_abs"] == 0
    # (H - 3 + 2p) // s + 1 for 6x6 (s, p) = (1,0) (2,0) (1,1) (2,1), 20x20 the same, 32x32 (1,1), 10x10 (1,0).
    assert measured["sizes_engine"] == [4, 2, 6, 3, 18, 9, 20, 10, 32, 8]
    assert measured["sizes_matching"] == measured["sizes_total"] == 10
    assert measured["sizes_unrounded_non_integer"] == 4
    assert measured["blur_lowers_tv"] == measured["sharpen_raises_tv"] == measured["digits"]
    assert measured["ones_sobel_x_dominant"] == measured["ones"] > 0
    for figure in e22["figures"]:
        assert (record["out"] / figure).stat().st_size > 0


def test_pooling(run_lesson):
    record = run_lesson("convolution")
    e23 = claim(record, "E23")
    measured = e23["measured"]
    assert e23["verdict"] == "holds"
    assert measured["max_pooled"] == [[6, 8, 3], [4, 7, 9], [9, 6, 7]]
    assert measured["avg_pooled"] == [[3.75, 3.75, 1.75], [2.5, 3.25, 5.0], [3.75, 3.5, 3.25]]
    assert measured["reduction"] == 4 and measured["pooled_side_of_100"] == 50
    assert measured["max_pooled_top"] == measured["global_max"] == 9 and measured["avg_pooled_top"] == 5
    assert measured["digit_peak_kept_by_max"] == measured["digits"]
    assert (record["out"] / e23["figures"][0]).stat().st_size > 0
