"""The network playground: live changes, link edits, views, export and training."""

import json
import subprocess
import sys

import numpy as np
import pytest

from neuralab import engines
from neuralab.playground import PlaygroundError, create, heatmap, net
from neuralab.playground.tf_hash import parse_tf_hash

SPIRAL = ("#activation=tanh&batchSize=10&dataset=spiral&learningRate=0.03&noise=0&networkShape=8,8&seed=0"
          "&percTrainData=50&x=true&y=true&xSquared=true&ySquared=true&xTimesY=true&sinX=true&sinY=true")


def weights(pg):
    return [np.array(w) for w in pg.frame()["weights"]]


def test_live_learning_rate_change_applies_without_reset():
    a, b = create("network", {"learningRate": 0.1}), create("network", {"learningRate": 0.1})
    a.step(3), b.step(3)
    result = b.update({"learningRate": 0.4})
    assert result == {"reset": False, "data": False} and b.step_count == 3
    assert all(np.array_equal(x, y) for x, y in zip(weights(a), weights(b)))
    start = weights(a)
    a.step(1), b.step(1)
    # plain SGD: the same gradient, four times the step
    moved_a = np.concatenate([(w - s).ravel() for w, s in zip(weights(a), start)])
    moved_b = np.concatenate([(w - s).ravel() for w, s in zip(weights(b), start)])
    assert np.abs(moved_a).max() > 1e-4
    big = np.abs(moved_a) > 1e-3
    assert np.allclose(moved_b[big] / moved_a[big], 4.0, rtol=0.05)


def test_structural_change_rebuilds_and_data_change_keeps_weights():
    pg = create("network")
    pg.step(20)
    kept = weights(pg)
    assert pg.update({"noise": 20}) == {"reset": False, "data": True}
    assert pg.step_count == 20 and all(np.array_equal(x, y) for x, y in zip(kept, weights(pg)))
    assert pg.update({"networkShape": [3, 3, 3]}) == {"reset": True, "data": True}
    assert pg.step_count == 0 and [len(w[0]) for w in pg.frame()["weights"]] == [3, 3, 3, 1]


def test_set_weight_edits_one_link():
    pg = create("network")
    pg.set_weight(1, 2, 1, 0.75)   # neuron 2 of hidden layer 1 -> neuron 1 of hidden layer 2
    assert pg.frame()["weights"][1][2][1] == 0.75
    before = pg.frame()["output"]
    pg.set_weight(2, 0, 0, -5.0)
    assert pg.frame()["output"] != before
    with pytest.raises(PlaygroundError, match=r"i: expected an integer in \[0, 3\] for layer 1, got 4"):
        pg.set_weight(1, 4, 0, 1.0)
    with pytest.raises(PlaygroundError, match=r"layer: expected an integer in \[0, 2\], got 3"):
        pg.set_weight(3, 0, 0, 1.0)
    with pytest.raises(PlaygroundError, match="finite"):
        pg.set_weight(0, 0, 0, float("nan"))
    pg.set_bias(0, 3, -0.25)
    assert pg.frame()["biases"][0][3] == -0.25
    with pytest.raises(PlaygroundError, match=r"j: expected an integer in \[0, 0\] for layer 2"):
        pg.set_bias(2, 1, 0.0)


def test_frame_shapes_and_encodings():
    pg = create("network", parse_tf_hash(SPIRAL))
    pg.step(30)
    f = pg.frame()
    json.dumps(f)
    assert heatmap.decode(f["output"], f["output_shape"]).shape == (100, 100)
    assert [len(layer) for layer in f["neurons"]] == [7, 8, 8, 1]
    assert heatmap.decode(f["neurons"][1][0], f["neuron_shape"]).shape == (25, 25)
    assert f["extent"] == [-6, 6, -6, 6] and f["step"] == 30 and f["epoch"] == 1
    assert len(f["history"]["test_loss"]) == 2 and "classes_map" not in f
    # the heatmap is the network's output: its top-left cell is the output at (-6, 6)
    shown = net.predict_points(pg.T, pg.net, {"features": pg.features}, np.array([[-6.0, 6.0]]))[0, 0]
    assert abs(heatmap.decode(f["output"], (100, 100))[0, 0] - (shown + 1) / 2 * 255) <= 1


def test_multi_class_and_regression_frames():
    pg = create("network", {"dataset": "blobs", "classes": 4, "loss": "cross_entropy", "optimizer": "adam",
                            "networkShape": [8]})
    pg.step(200)
    f = pg.frame()
    classes = heatmap.decode(f["classes_map"], (100, 100))
    assert set(np.unique(classes)) == {0, 1, 2, 3} and f["output_range"] == [0.0, 1.0]
    assert len(f["neurons"][-1]) == 4 and f["test_loss"] < 0.5
    reg = create("network", {"problem": "regression", "regDataset": "reg-plane"})
    reg.step(300)
    assert reg.points()["classes"] == 0 and reg.frame()["test_loss"] < 0.01


@pytest.mark.parametrize("extra", [{"dropout": 0.1}, {"batchNorm": True}, {"residual": True},
                                   {"activations": ["relu", "gelu"]}, {"optimizer": "momentum", "regularization": "L2",
                                                                        "regularizationRate": 0.01}])
def test_options_train(extra):
    pg = create("network", {"dataset": "circle", "networkShape": [6, 6], **extra})
    first = pg.frame()["test_loss"]
    pg.step(300)
    assert pg.frame()["test_loss"] < first


def test_same_seed_same_frames_other_seed_other_frames():
    def run(seed, data_seed="0"):
        pg = create("network", {"dataset": "xor", "seed": data_seed, "dropout": 0.2}, seed=seed)
        pg.step(40)
        return pg.frame()
    assert run(1) == run(1)
    assert run(1)["weights"] != run(2)["weights"]
    assert create("network", {"seed": "a"}).points() != create("network", {"seed": "b"}).points()


def test_both_engines_start_from_the_same_weights():
    frames = [create("network", {"dataset": "xor"}, engine=name).frame() for name in ("scratch", "torch")]
    assert frames[0]["weights"] == frames[1]["weights"]
    assert np.isclose(frames[0]["test_loss"], frames[1]["test_loss"], rtol=1e-5)


def test_export_round_trip(tmp_path):
    pg = create("network", {"dataset": "circle", "networkShape": [5, 3], "batchNorm": True,
                            "activations": ["relu", "tanh"], "xSquared": True})
    pg.step(50)
    files = pg.export()
    assert set(files) == {"model.safetensors", "model.json", "model.py"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    grid = np.array([[0.0, 0.0], [1.5, -2.0], [-4.0, 3.0]])
    pg.net.eval()   # batch norm: the running statistics, as the export is used
    expected = net.predict_points(pg.T, pg.net, {"features": pg.features}, grid)
    loaded, config = net.load(engines.get("scratch"), tmp_path)
    assert np.allclose(net.predict_points(engines.get("scratch"), loaded, config, grid), expected, atol=1e-6)
    assert config["hash"].startswith("#dataset=circle") and config["features"] == ["x", "y", "xSquared"]
    (tmp_path / "points.json").write_text(json.dumps(grid.tolist()))
    run = subprocess.run([sys.executable, str(tmp_path / "model.py"), str(tmp_path / "points.json")],
                         capture_output=True, text=True, timeout=60, check=True)
    assert np.allclose(json.loads(run.stdout), expected, atol=1e-6)
    other = create("network", {"dataset": "circle", "networkShape": [5, 3], "batchNorm": True,
                               "activations": ["relu", "tanh"], "xSquared": True}, seed=1)
    (tmp_path / "model.safetensors").write_bytes(other.export()["model.safetensors"])
    with pytest.raises(ValueError, match="SHA-256"):
        net.load(engines.get("scratch"), tmp_path)


def test_spiral_reaches_test_loss_below_0_1():
    pg = create("network", parse_tf_hash(SPIRAL), seed=0)
    for _ in range(80):
        pg.step(100)
        if pg.frame()["test_loss"] < 0.1:
            break
    assert pg.frame()["test_loss"] < 0.1
