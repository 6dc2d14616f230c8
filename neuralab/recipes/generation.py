"""What a conditional generator (GAN or diffusion model) is asked for when it samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from neuralab.generative.mixture import GaussianMixture


def sample_conditions(n: int, config: dict[str, Any], prior: GaussianMixture | None = None, seed: int = 0) -> np.ndarray | None:
    """What a conditional generator is asked for ``n`` samples: every class in turn, or codes drawn
    from the fitted ``prior`` (seeded by ``[seed, 7]``); None for an unconditional one."""
    classes = config["model"].get("num_classes") or 0
    if classes:
        return np.arange(n, dtype=np.int64) % classes
    if config["model"].get("code_dim"):
        if prior is None:
            raise ValueError("a code-conditioned GAN samples codes from its fitted prior (checkpoints/prior); none was given")
        return prior.sample(n, seed=[seed, 7]).astype(np.float32)
    return None
