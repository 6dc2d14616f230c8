"""The diffusion playground: a DDPM learns the ring; forward noising and reverse trajectories."""

import json

import numpy as np

from neuralab.playground import create


def test_samples_land_on_the_ring():
    pg = create("diffusion", {"distribution": "ring"}, seed=0)
    pg.step(1200)
    for sampler in ("ddim", "ddpm"):
        pg.update({"sampler": sampler})
        coverage = pg.frame()["coverage"]
        # the ring has radius 2 and noise 0.1: samples on it within 0.2 on average, spread like it
        assert abs(coverage["mean_radius"] - 2.0) <= 0.2, (sampler, coverage)
        assert coverage["radius_std"] < 0.3 and coverage["near"] > 0.8 and coverage["covered"] >= 14, (sampler, coverage)


def test_forward_noising_and_trajectory_views():
    pg = create("diffusion", {"numShown": 40, "t": 0, "samplingSteps": 10})
    pg.step(3)
    f = pg.frame()
    json.dumps(f)
    real, noised = np.array(f["real"]), np.array(f["noised"])
    assert real.shape == noised.shape == (40, 2)
    assert np.abs(noised - real).max() < 0.2           # t = 0: barely noised
    pg.update({"t": 99})
    late = np.array(pg.frame()["noised"])
    assert abs(late.std() - 1.0) < 0.3                 # t = T - 1: close to N(0, I)
    assert f["trajectory_steps"][0] == 100 and f["trajectory_steps"][-1] == 0
    # x_T, then one set per DDIM jump (the last one is x_0)
    assert len(f["trajectory"]) == len(f["trajectory_steps"]) == 10 and f["samples"] == f["trajectory"][-1]
    assert np.abs(np.array(f["samples"])).max() <= 4.0   # DDIM's x0 bound keeps even an untrained model in view
    pg.update({"sampler": "ddpm"})
    f = pg.frame()
    assert len(f["trajectory"]) == 26 and f["trajectory_steps"][0] == 100   # thinned from 101 sets


def test_trajectory_is_cached_between_frames_and_seeds_reproduce():
    pg = create("diffusion", {"trajectoryEvery": 50, "numShown": 30})
    pg.step(10)
    first = pg.frame()
    pg.step(10)
    assert pg.frame()["trajectory_at"] == first["trajectory_at"] == 10
    pg.step(40)
    assert pg.frame()["trajectory_at"] == 60
    other = create("diffusion", {"trajectoryEvery": 50, "numShown": 30})
    other.step(10), other.step(10), other.step(40)
    assert other.frame() == pg.frame()
