"""Settings, TF hashes and limits: TF keys mean what they mean in TF Playground; bad input is refused clearly."""

import pytest

from neuralab.playground import LIMITS, PlaygroundError, create, defaults, parse_hash, parse_tf_hash, to_hash

TF_LINK = ("#activation=tanh&batchSize=10&dataset=spiral&regDataset=reg-plane&learningRate=0.03&"
           "regularizationRate=0&noise=0&networkShape=8,8&seed=0.55534&showTestData=false&discretize=false&"
           "percTrainData=50&x=true&y=true&xTimesY=true&xSquared=true&ySquared=true&cosX=false&sinX=true&"
           "cosY=false&sinY=true&collectStats=false&problem=classification&initZero=false&hideText=false")


def test_a_tf_link_gives_the_same_experiment():
    settings = parse_tf_hash(TF_LINK)
    assert settings["dataset"] == "spiral" and settings["networkShape"] == [8, 8]
    assert settings["learningRate"] == 0.03 and settings["batchSize"] == 10 and settings["seed"] == "0.55534"
    assert [k for k in ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY") if settings[k]] == \
        ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"]
    assert "collectStats" not in settings and "hideText" not in settings
    pg = create("network", settings)
    assert pg.features == ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"]
    assert pg.frame()["weights"][0].__len__() == 7 and len(pg.frame()["weights"][1]) == 8


def test_tf_defaults_are_ours():
    d = defaults("network")
    assert (d["learningRate"], d["batchSize"], d["percTrainData"], d["noise"], d["networkShape"]) == (0.03, 10, 50, 0, [4, 2])
    assert (d["activation"], d["regularization"], d["dataset"], d["regDataset"], d["problem"]) == \
        ("tanh", "none", "circle", "reg-plane", "classification")
    assert d["x"] and d["y"] and not any(d[k] for k in ("xSquared", "ySquared", "xTimesY", "sinX", "sinY"))


def test_tf_value_rules():
    assert parse_tf_hash("x=1&y=false")["x"] is True          # TF: anything but "false" is true
    assert parse_tf_hash("#y=false")["y"] is False
    assert parse_tf_hash("networkShape=")["networkShape"] == []   # no hidden layer
    assert "learningRate" not in parse_tf_hash("learningRate=&x=true")  # empty keeps the default
    assert parse_tf_hash("seed=a%26b")["seed"] == "a&b"
    flat = create("network", parse_tf_hash("networkShape=&initZero=true"))
    assert flat.frame()["weights"] == [[[0.0], [0.0]]] and flat.frame()["biases"] == [[0.0]]
    regression = create("network", parse_tf_hash("problem=regression&dataset=spiral&regDataset=reg-gauss"))
    assert regression.points()["problem"] == "regression" and regression.settings["regDataset"] == "reg-gauss"


@pytest.mark.parametrize("kind", ["network", "gan", "diffusion"])
def test_hash_round_trip(kind):
    settings = create(kind, {"seed": "x=1&y"}).settings
    assert {**settings, **parse_hash(to_hash(settings, kind), kind)} == settings
    assert set(parse_hash(to_hash(settings, kind), kind)) == {k for k, v in settings.items() if v is not None and k != "points"}


@pytest.mark.parametrize("text, words", [
    ("activation=foo", ["activation", "one of", "'foo'"]),
    ("learningRate=fast", ["learningRate", "number", "'fast'"]),
    ("networkShape=8,x", ["networkShape", "8,x"]),
    ("batchSise=10", ["batchSise", "did you mean 'batchSize'"]),
    ("noise=80", ["noise", "[0, 50]", "80"]),
    ("points=1", ["unknown", "points"]),
])
def test_bad_hashes_are_refused_with_reasons(text, words):
    with pytest.raises(PlaygroundError) as error:
        parse_tf_hash(text)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("settings, words", [
    ({"networkShape": [8] * (LIMITS["max_layers"] + 1)}, ["networkShape", f"at most {LIMITS['max_layers']}"]),
    ({"networkShape": [LIMITS["max_neurons"] + 1]}, ["networkShape", str(LIMITS["max_neurons"] + 1)]),
    ({"numPoints": LIMITS["max_points"] + 1}, ["numPoints", str(LIMITS["max_points"] + 1)]),
    ({"batchSize": 0}, ["batchSize", "got 0"]),
    ({"batchSize": 2.5}, ["batchSize", "integer"]),
    ({"learningRate": True}, ["learningRate", "True"]),
    ({"x": False, "y": False}, ["features", "at least one"]),
    ({"activations": ["tanh"]}, ["activations", "one per hidden layer"]),
    ({"problem": "regression", "loss": "cross_entropy"}, ["loss", "regression"]),
    ({"batchNorm": True, "batchSize": 1}, ["batchSize", "batch norm"]),
    ({"dataset": "upload"}, ["dataset=upload", "points"]),
    ({"dataset": "drawn", "points": [[0, 0, 0.5], [1, 1, 1]]}, ["class labels", "0.5"]),
    ({"points": [[0, 0]]}, ["points[0]", "[x1, x2, label]"]),
    ({"points": [[0, 0, 0]] * (LIMITS["max_points"] + 1)}, ["points", str(LIMITS["max_points"])]),
    ({"dataset": "spirall"}, ["dataset", "did you mean 'spiral'"]),
    ({"learnigRate": 0.1}, ["learnigRate", "did you mean 'learningRate'"]),
])
def test_bad_network_settings_are_refused_with_reasons(settings, words):
    with pytest.raises(PlaygroundError) as error:
        create("network", settings)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("kind, settings, words", [
    ("gan", {"loss": "hinge"}, ["loss", "wgan_gp"]),
    ("gan", {"distribution": "drawn"}, ["drawn", "at least 2"]),
    ("gan", {"gShape": [0]}, ["gShape"]),
    ("diffusion", {"t": 100}, ["t", "[0, 99]"]),
    ("diffusion", {"diffusionSteps": LIMITS["max_diffusion_steps"] + 1}, ["diffusionSteps"]),
    ("diffusion", {"samplingSteps": 0}, ["samplingSteps"]),
])
def test_bad_gan_and_diffusion_settings_are_refused(kind, settings, words):
    with pytest.raises(PlaygroundError) as error:
        create(kind, settings)
    for word in words:
        assert word in str(error.value)


def test_bad_calls_are_refused():
    with pytest.raises(PlaygroundError, match="kind.*did you mean 'gan'"):
        create("gans")
    with pytest.raises(PlaygroundError, match="engine"):
        create("network", engine="jax")
    pg = create("network")
    with pytest.raises(PlaygroundError, match=r"step: expected a number of steps in \[1, "):
        pg.step(0)
    with pytest.raises(PlaygroundError, match="step part"):
        pg.step(1, part="d")
    with pytest.raises(PlaygroundError, match="only the network playground"):
        create("gan").set_weight(0, 0, 0, 1.0)


def test_a_bad_update_leaves_the_playground_as_it_was():
    pg = create("network", {"learningRate": 0.1})
    pg.step(5)
    before = pg.frame()
    with pytest.raises(PlaygroundError, match="learningRate"):
        pg.update({"learningRate": -1})
    with pytest.raises(PlaygroundError, match="features"):
        pg.update({"x": False, "y": False})
    assert pg.settings["learningRate"] == 0.1 and pg.step_count == 5
    assert pg.frame() == before
