"""``neuralab.inference``: a drawing's preparation and validation, and the classifier views
(probabilities, first-layer maps, saliency) on both engines with the same weights."""

from __future__ import annotations

import io

import numpy as np
import pytest

from neuralab import engines, models
from neuralab.inference import classifier, drawing


def twin_models(name, **options):
    """The same weights in a torch model and a scratch model."""
    torch, scratch = engines.get("torch"), engines.get("scratch")
    torch.manual_seed(0)
    a = models.build(name, torch, **options)
    b = models.build(name, scratch, **options)
    b.load_state_dict({k: scratch.from_numpy(v.detach().numpy().copy()) for k, v in a.state_dict().items()})
    a.eval(), b.eval()
    return (torch, a), (scratch, b)


@pytest.fixture(scope="module")
def digit():
    rng = np.random.default_rng(0)
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 6:22, 12:16] = 1.0  # a "1"
    return image + rng.uniform(0, 0.05, image.shape).astype(np.float32)


@pytest.mark.parametrize("name, options", [("cnn", {"channels": [4, 8], "hidden": 16}), ("mlp", {"sizes": [784, 12, 10]})])
def test_both_engines_agree(name, options, digit):
    (torch, a), (scratch, b) = twin_models(name, **options)
    p_torch, p_scratch = classifier.probabilities(torch, a, digit), classifier.probabilities(scratch, b, digit)
    assert p_torch.shape == (10,) and p_torch.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(p_scratch, p_torch, atol=1e-5)
    s_torch, c_torch = classifier.saliency(torch, a, digit)
    s_scratch, c_scratch = classifier.saliency(scratch, b, digit)
    assert c_torch == c_scratch == int(np.argmax(p_torch)) and s_torch.shape == (28, 28)
    assert s_torch.max() == pytest.approx(1.0) and s_torch.min() >= 0
    np.testing.assert_allclose(s_scratch, s_torch, atol=1e-4)
    m_torch, m_scratch = classifier.feature_maps(torch, a, digit), classifier.feature_maps(scratch, b, digit)
    assert m_torch["kind"] == ("conv" if name == "cnn" else "dense") and m_torch["maps"].shape[-2:] == (28, 28)
    np.testing.assert_allclose(m_scratch["maps"], m_torch["maps"], atol=1e-5)


def test_saliency_is_the_input_gradient_of_the_logit(digit):
    (torch, model), _ = twin_models("mlp", sizes=[784, 12, 10])
    saliency, c = classifier.saliency(torch, model, digit)
    x = torch.from_numpy(digit[None].astype(np.float64)).requires_grad_(True)
    model.double()
    model(x)[0, c].backward()
    expected = np.abs(x.grad.numpy()[0, 0])
    np.testing.assert_allclose(saliency, expected / expected.max(), atol=1e-4)


def test_feature_maps_of_a_cnn_are_its_first_activations(digit):
    (torch, model), _ = twin_models("cnn", channels=[4, 8], hidden=16)
    maps = classifier.feature_maps(torch, model, digit)
    with torch.no_grad():
        expected = model[2](model[1](model[0](torch.from_numpy(digit[None])))).numpy()[0]
    np.testing.assert_allclose(maps["maps"], expected[maps["index"]], atol=1e-6)
    assert sorted(maps["index"]) == [0, 1, 2, 3] and (maps["maps"] >= 0).all()


def test_center_like_mnist_moves_a_corner_digit_to_the_middle():
    image = np.zeros((28, 28), dtype=np.float32)
    image[1:6, 20:22] = 1.0  # a small stroke in the top right corner
    centred = drawing.center_like_mnist(image)
    ys, xs = np.indices(centred.shape)
    assert (ys * centred).sum() / centred.sum() == pytest.approx(13.5, abs=1.0)
    assert (xs * centred).sum() / centred.sum() == pytest.approx(13.5, abs=1.0)
    rows = np.nonzero(centred.max(axis=1) > drawing.INK)[0]
    assert 18 <= rows.max() - rows.min() + 1 <= 20  # scaled up to the 20-pixel box
    assert not drawing.center_like_mnist(np.zeros((28, 28))).any()


def test_bad_drawings_are_refused_with_what_was_expected():
    for values, message in [("abc", "expected a list"), ([0.5] * 10, "expected 784 grey levels"),
                            ([0.5] * 783 + [2.0], "in \\[0, 1\\]; got 2.0"), ([0.5] * 783 + [float("nan")], "got nan"),
                            ([True] * 784, "got True")]:
        with pytest.raises(drawing.DrawingError, match=message):
            drawing.pixels_from_list(values)
    assert drawing.pixels_from_list([0.25] * 784).shape == (28, 28)


def test_png_inputs(tmp_path):
    from PIL import Image
    paper = np.full((56, 56), 255, dtype=np.uint8)
    paper[10:46, 26:30] = 0  # dark ink on white paper
    buffer = io.BytesIO()
    Image.fromarray(paper).save(buffer, format="PNG")
    grey = drawing.pixels_from_png(buffer.getvalue())
    assert grey.shape == (56, 56) and grey[20, 27] == 1.0 and grey[0, 0] == 0.0  # flipped to light on dark
    with pytest.raises(drawing.DrawingError, match="not a PNG"):
        drawing.pixels_from_png(b"GIF89a....")
    with pytest.raises(drawing.DrawingError, match="empty"):
        drawing.pixels_from_png(b"")
    with pytest.raises(drawing.DrawingError, match="cannot be decoded"):
        drawing.pixels_from_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(drawing.DrawingError, match="limit"):
        drawing.pixels_from_png(b"\x89PNG\r\n\x1a\n" + b"\x00" * drawing.MAX_PNG_BYTES)
    huge = io.BytesIO()
    Image.new("L", (drawing.MAX_SIDE + 1, 1)).save(huge, format="PNG")
    with pytest.raises(drawing.DrawingError, match="a side"):
        drawing.pixels_from_png(huge.getvalue())


@pytest.mark.parametrize("engine", [0, 1])
@pytest.mark.parametrize("name, options", [("cnn", {"channels": [4, 8], "hidden": 16}), ("mlp", {"sizes": [784, 12, 10]})])
def test_one_pass_look_equals_the_three_views(engine, name, options, digit):
    T, model = twin_models(name, **options)[engine]
    seen = classifier.look(T, model, digit)
    np.testing.assert_allclose(seen["probabilities"], classifier.probabilities(T, model, digit), atol=1e-6)
    salient, top = classifier.saliency(T, model, digit)
    assert seen["top"] == top
    np.testing.assert_allclose(seen["saliency"], salient, atol=1e-6)
    maps = classifier.feature_maps(T, model, digit)
    np.testing.assert_allclose(seen["maps"]["maps"], maps["maps"], atol=1e-6)
    assert seen["maps"]["index"] == maps["index"]
