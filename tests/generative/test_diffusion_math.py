"""Noise schedules, forward noising and the DDPM/DDIM samplers (torch engine)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from neuralab import models
from neuralab.generative import diffusion


class PointMassOracle(torch.nn.Module):
    """The exact noise predictor when all data sit at one point ``c``:
    eps(x_t, t) = (x_t - sqrt(abar_t) c) / sqrt(1 - abar_t)."""

    def __init__(self, schedule, center):
        super().__init__()
        self.abar = torch.tensor(schedule.alphas_cumprod, dtype=torch.float64)
        self.center = torch.tensor(center, dtype=torch.float64)

    def forward(self, x, t):
        abar = self.abar[t].reshape(-1, 1)
        return ((x.double() - abar.sqrt() * self.center) / (1 - abar).sqrt()).to(x.dtype)


@pytest.mark.parametrize("name, steps", [("cosine", 50), ("linear", 1000)])  # linear defaults: Ho et al.'s 1000 steps
def test_schedule_is_a_valid_noising_process(name, steps):
    schedule = diffusion.noise_schedule(name, steps=steps)
    abar = schedule.alphas_cumprod
    assert schedule.steps == steps and np.all((schedule.betas > 0) & (schedule.betas < 1))
    assert np.all(np.diff(abar) < 0), "abar_t must fall strictly with t"
    assert abar[0] > 0.99 and abar[-1] < 0.05, "almost clean at t=0, almost pure noise at t=T-1"


def test_linear_schedule_matches_its_endpoints_and_rejects_bad_settings():
    schedule = diffusion.noise_schedule("linear", steps=10, beta_start=0.01, beta_end=0.1)
    np.testing.assert_allclose(schedule.betas[[0, -1]], [0.01, 0.1])
    np.testing.assert_allclose(schedule.alphas_cumprod[2], 0.99 * 0.98 * 0.97)
    with pytest.raises(ValueError, match="unknown noise schedule 'cosin'"):
        diffusion.noise_schedule("cosin")
    with pytest.raises(ValueError, match="steps >= 1"):
        diffusion.noise_schedule("linear", steps=0)


def test_q_sample_has_the_mean_and_variance_of_q_xt_given_x0():
    schedule = diffusion.noise_schedule("cosine", steps=20)
    x0 = torch.tensor([[1.5, -0.5]]).repeat(200_000, 1)
    t = torch.full((len(x0),), 7)
    torch.manual_seed(0)
    xt = diffusion.q_sample(torch, schedule, x0, t, torch.randn_like(x0)).numpy()
    mean, var = diffusion.q_mean_var(schedule, np.array([1.5, -0.5]), 7)
    np.testing.assert_allclose(xt.mean(0), mean, atol=0.01)
    np.testing.assert_allclose(xt.var(0), [var, var], rtol=0.02)
    assert math.isclose(var, 1 - schedule.alphas_cumprod[7])


def test_ddim_with_every_step_is_a_deterministic_map_that_inverts_the_oracle():
    schedule = diffusion.noise_schedule("linear", steps=30, beta_start=0.001, beta_end=0.3)
    oracle = PointMassOracle(schedule, [0.7, -1.2])
    noise = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)
    first = diffusion.ddim_sample(torch, oracle, schedule, noise)
    torch.manual_seed(6)  # a different engine RNG state changes nothing: no randomness inside
    second = diffusion.ddim_sample(torch, oracle, schedule, noise)
    assert torch.equal(first, second)
    np.testing.assert_allclose(first.numpy(), np.tile([0.7, -1.2], (64, 1)), atol=1e-4)
    few = diffusion.ddim_sample(torch, oracle, schedule, noise, steps=5)
    np.testing.assert_allclose(few.numpy(), first.numpy(), atol=1e-4)


def test_ddpm_sampler_ends_on_the_point_mass_and_is_seeded():
    schedule = diffusion.noise_schedule("linear", steps=30, beta_start=0.001, beta_end=0.3)
    oracle = PointMassOracle(schedule, [0.7, -1.2])
    samples, _ = diffusion.ddpm_sample(torch, oracle, schedule, (32, 2), seed=3)
    np.testing.assert_allclose(samples, np.tile([0.7, -1.2], (32, 1)), atol=1e-4)


def test_ddpm_on_an_untrained_denoiser_gives_the_right_shapes():
    torch.manual_seed(0)
    model = models.build("denoiser", torch, hidden=16, depth=2, time_dim=8)
    schedule = diffusion.noise_schedule("cosine", steps=8)
    samples, snapshots = diffusion.ddpm_sample(torch, model, schedule, (10, 2), seed=0, record=(8, 4, 0))
    again, _ = diffusion.ddpm_sample(torch, model, schedule, (10, 2), seed=0)
    assert samples.shape == (10, 2) and np.isfinite(samples).all()
    assert sorted(snapshots) == [0, 4, 8] and all(v.shape == (10, 2) for v in snapshots.values())
    np.testing.assert_array_equal(samples, snapshots[0])
    np.testing.assert_array_equal(samples, again)
    loss = diffusion.denoising_loss(torch, model, schedule, torch.randn(12, 2))
    assert loss.ndim == 0 and loss.item() > 0
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_ddim_timesteps_run_from_the_last_step_to_zero():
    assert diffusion.ddim_timesteps(100, 5) == [99, 74, 50, 25, 0]
    assert diffusion.ddim_timesteps(4, 4) == [3, 2, 1, 0]
    with pytest.raises(ValueError, match="between 1 and the schedule's 10 steps"):
        diffusion.ddim_timesteps(10, 11)
