"""The GAN playground: G learns the ring; parts, views and seeds."""

import json

import numpy as np
import pytest

from neuralab.playground import PlaygroundError, create, heatmap


def on_ring(coverage):
    return abs(coverage["mean_radius"] - 2.0) <= 0.2 and coverage["radius_std"] < 0.3 and coverage["near"] > 0.8


def test_generated_ring_reaches_radius_2():
    pg = create("gan", {"distribution": "ring"}, seed=0)
    for _ in range(30):
        pg.step(50)
        coverage = pg.frame()["coverage"]
        if on_ring(coverage):
            break
    assert on_ring(coverage), coverage
    assert coverage["covered"] >= 12     # of 16 arcs: no collapse onto a part of the ring
    # the criterion holds for fresh samples too, not just the shown ones
    fresh = pg.samples(2000, seed=11)
    assert abs(np.linalg.norm(fresh, axis=1).mean() - 2.0) <= 0.2


def test_part_steps_move_only_that_network():
    pg = create("gan")

    def state(module):
        return [p.detach().numpy().copy() for p in module.parameters()]

    g, d = state(pg.generator), state(pg.discriminator)
    pg.step(2, part="d")
    assert pg.d_steps == 2 and pg.g_steps == 0
    assert all(np.array_equal(a, b) for a, b in zip(g, state(pg.generator)))
    assert not all(np.array_equal(a, b) for a, b in zip(d, state(pg.discriminator)))
    d = state(pg.discriminator)
    pg.step(1, part="g")
    assert all(np.array_equal(a, b) for a, b in zip(d, state(pg.discriminator)))
    pg.update({"dSteps": 3})
    pg.step(2)
    assert (pg.d_steps, pg.g_steps, pg.step_count) == (8, 3, 5)


@pytest.mark.parametrize("loss", ["non_saturating", "saturating", "wgan_gp"])
def test_frame_views(loss):
    pg = create("gan", {"loss": loss, "distribution": "gaussians", "numShown": 50})
    pg.step(5)
    f = pg.frame()
    json.dumps(f)
    assert len(f["real"]) == len(f["fake"]) == len(f["arrows"]) == 50
    assert heatmap.decode(f["d_score"], f["d_score_shape"]).shape == (50, 50)
    longest = np.linalg.norm(np.array(f["arrows"]), axis=1).max()
    assert abs(longest - 1) < 1e-3 and f["arrow_scale"] > 0
    assert all(np.isfinite(f[key]) for key in ("d_loss", "g_loss", "d_real", "d_fake"))
    assert f["coverage"]["modes"] == 8 and len(f["history"]["d_loss"]) == 5


def test_arrows_point_where_the_generator_loss_falls():
    pg = create("gan", {"numShown": 100})
    pg.step(30)
    fake = pg.samples()
    before = float(pg._generator_loss(pg.discriminator(pg.T.from_numpy(fake))).item())
    moved = fake + 0.01 * np.array(pg.frame()["arrows"], dtype=np.float32)
    after = float(pg._generator_loss(pg.discriminator(pg.T.from_numpy(moved))).item())
    assert after < before


def test_drawn_distribution_and_seeds():
    drawn = {"distribution": "drawn", "points": [[1, 1], [-1, 1], [0, -1.5, 0]]}
    a, b = create("gan", drawn, seed=3), create("gan", drawn, seed=3)
    a.step(10), b.step(10)
    assert a.frame() == b.frame()
    assert create("gan", drawn, seed=4).frame()["fake"] != create("gan", drawn, seed=3).frame()["fake"]
    assert a.update({"gLearningRate": 0.01}) == {"reset": False, "data": False}
    with pytest.raises(PlaygroundError, match="points"):
        a.update({"points": [[1, 1]]})
