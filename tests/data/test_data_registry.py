import numpy as np
import pytest

from neuralab import data

# The datasets the issues promise; later issues add more (patterns, shakespeare, dates...).
PROMISED = ["mnist", "fashion-mnist", "digits", "iris", "and", "xor", "circles", "moons", "spirals",
            "gaussians", "ring"]


def test_names_start_with_the_promised_datasets_and_are_unique():
    names = data.names()
    assert names[:len(PROMISED)] == PROMISED
    assert len(set(names)) == len(names)
    for name in names:
        assert data.entry(name) is not None


@pytest.mark.parametrize("typo, suggestion", [("mnsit", "mnist"), ("fashion", "fashion-mnist"),
                                              ("spiral", "spirals"), ("gaussian", "gaussians")])
def test_unknown_name_suggests_the_closest(typo, suggestion):
    with pytest.raises(KeyError) as caught:
        data.load(typo)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"unknown dataset {typo!r}; did you mean {suggestion!r}?")


def test_names_ignore_case_and_underscores():
    assert data.entry("Fashion_MNIST").name == "fashion-mnist"


def test_unknown_option_suggests_the_closest():
    with pytest.raises(ValueError, match="moons has no option 'nosie'; did you mean 'noise'"):
        data.load("moons", nosie=0.3)
    with pytest.raises(ValueError, match="iris has no option 'force'"):
        data.fetch("iris", force=True)


def test_fetch_toy_is_a_no_op():
    info = data.fetch("circles")
    assert info.action == "generated" and info.path is None and info.total == 700
    assert list(data.data_home().glob("*")) == []


def test_split_is_a_map_style_dataset():
    splits = data.load("moons", n=10, n_val=2, n_test=2)
    assert len(splits.train) == 10
    x0, y0 = splits.train[0]
    np.testing.assert_array_equal(x0, splits.train.x[0])
    assert y0 == splits.train.y[0]
    assert "train 10" in repr(splits)
