"""Every playground runs on the torch engine too (the views are engine-independent JSON)."""

import json

import pytest

from neuralab.playground import create

pytest.importorskip("torch")


@pytest.mark.parametrize("kind, settings", [
    ("network", {"dataset": "spirals", "loss": "cross_entropy", "batchNorm": True, "dropout": 0.1}),
    ("gan", {"loss": "wgan_gp"}),
    ("diffusion", {"sampler": "ddpm", "diffusionSteps": 20, "t": 5, "samplingSteps": 5}),
])
def test_torch_engine_steps_and_frames(kind, settings):
    pg = create(kind, settings, engine="torch")
    pg.step(3)
    frame = pg.frame()
    json.dumps(frame)
    assert frame["step"] == 3
    if kind == "network":
        assert set(pg.export()) == {"model.safetensors", "model.json", "model.py"}
