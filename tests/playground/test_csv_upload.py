"""CSV uploads: points from text, and clear refusals naming the line."""

import pytest

from neuralab.playground import LIMITS, PlaygroundError, create, read_csv_upload


def test_classification_csv_with_header_becomes_an_upload_set():
    result = read_csv_upload(b"x1,x2,label\n0.5,1,-1\n-1,2,1\n3,-0.5,1\n\n2,2,-1\n")
    assert result["problem"] == "classification" and result["classes"] == 2 and result["scale"] == 1.0
    assert result["points"] == [[0.5, 1.0, 0.0], [-1.0, 2.0, 1.0], [3.0, -0.5, 1.0], [2.0, 2.0, 0.0]]
    pg = create("network", result["settings"])
    assert pg.settings["dataset"] == "upload" and pg.points()["classes"] == 2
    assert len(pg.points()["train"]) + len(pg.points()["test"]) == 4


def test_regression_csv_and_scaling_into_the_plane():
    result = read_csv_upload(b"10,0,0.25\n-20,5,0.5\n0,0,-0.1\n")
    assert result["problem"] == "regression" and result["settings"]["regDataset"] == "upload"
    assert result["scale"] == 0.25 and result["points"][1][:2] == [-5.0, 1.25]
    pg = create("network", result["settings"])
    assert pg.points()["problem"] == "regression"


@pytest.mark.parametrize("data, words", [
    (b"1,2,0\n1,2\n", ["line 2", "3 columns", "got 2"]),
    (b"x,y,label\n1,2,0\n1,abc,1\n", ["line 3", "'abc'"]),
    (b"1,2,0\n__import__('os').system('true'),2,1\n", ["line 2", "finite numbers"]),
    (b"1,2,0\n1,inf,1\n", ["line 2"]),
    (b"x,y,label\n1,2,0\n", ["at least 2"]),
    (b"\xff\xfe1,2", ["UTF-8"]),
    (b"1," * (LIMITS["max_upload_bytes"] // 2 + 1), ["at most", "bytes"]),
    (b"1,2,0\n" * (LIMITS["max_points"] + 1), ["at most", "points"]),
])
def test_bad_uploads_are_refused_clearly(data, words):
    with pytest.raises(PlaygroundError) as error:
        read_csv_upload(data)
    for word in words:
        assert word in str(error.value)


def test_non_bytes_are_refused():
    with pytest.raises(PlaygroundError, match="bytes"):
        read_csv_upload("1,2,3")
