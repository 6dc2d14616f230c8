"""GAN losses and the gradient penalty against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from neuralab import models
from neuralab.generative import gan_losses


def test_losses_at_an_undecided_discriminator():
    zeros = torch.zeros(5, 1)  # logit 0: D says 1/2 everywhere
    assert gan_losses.discriminator_loss(torch, zeros, zeros).item() == pytest.approx(2 * math.log(2))
    assert gan_losses.generator_loss(torch, zeros).item() == pytest.approx(math.log(2))
    smoothed = gan_losses.discriminator_loss(torch, torch.full((3, 1), 2.0), torch.zeros(3, 1), real_label=0.9)
    p = 1 / (1 + math.exp(-2.0))
    assert smoothed.item() == pytest.approx(-(0.9 * math.log(p) + 0.1 * math.log(1 - p)) + math.log(2), rel=1e-6)


def test_wasserstein_losses():
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[-1.0], [0.0]])
    assert gan_losses.critic_loss(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert gan_losses.wasserstein_generator_loss(fake).item() == pytest.approx(0.5)


def test_gradient_penalty_of_a_linear_critic_is_the_squared_norm_gap():
    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[3.0, 4.0]]))  # |w| = 5 everywhere
        critic.bias.fill_(0.3)
    real, fake, mix = torch.randn(6, 2), torch.randn(6, 2), torch.rand(6, 1)
    penalty = gan_losses.gradient_penalty(torch, critic, real, fake, mix)
    assert penalty.item() == pytest.approx((5.0 - 1.0) ** 2, rel=1e-6)
    penalty.backward()  # the penalty trains the critic: d/dw (|w| - 1)^2 = 2 (|w| - 1) w / |w|
    torch.testing.assert_close(critic.weight.grad, torch.tensor([[2 * 4 * 3 / 5, 2 * 4 * 4 / 5]]))


def test_gan_model_holds_both_networks_in_one_state_dict():
    model = models.build("gan", torch, noise_dim=3, hidden=8, depth=1)
    keys = list(model.state_dict())
    assert keys[0].startswith("generator.") and keys[-1].startswith("discriminator.")
    assert model["generator"](torch.zeros(4, 3)).shape == (4, 2)
    assert model["discriminator"](torch.zeros(4, 2)).shape == (4, 1)
    with pytest.raises(ValueError, match="gan sizes must be >= 1"):
        models.build("gan", torch, depth=0)
