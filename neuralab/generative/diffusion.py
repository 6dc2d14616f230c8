"""Denoising diffusion (DDPM, Ho et al. 2020) and its deterministic sampler (DDIM, Song et al. 2021).

Forward process, a fixed Markov chain that adds Gaussian noise over ``steps`` steps::

    q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)
    q(x_t | x_0)     = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s<=t} (1 - beta_s)

so ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps`` in one jump. A network eps_theta(x_t, t)
learns to predict ``eps`` (loss: mean squared error). Sampling walks back from x_T ~ N(0, I):

* DDPM (ancestral): ``x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_theta) / sqrt(alpha_t) + sigma_t z``
  with ``sigma_t^2 = beta_t`` (``sigma_t`` is 0 at the last step).
* DDIM (eta = 0): predict ``x0_hat = (x_t - sqrt(1 - abar_t) eps_theta) / sqrt(abar_t)`` and jump
  to ``x_s = sqrt(abar_s) x0_hat + sqrt(1 - abar_s) eps_theta`` on a sub-sequence of the steps:
  a deterministic map from x_T to x_0.

Class-conditional models ``eps_theta(x_t, t, y)`` (``models/unet.py``) also learn the
unconditional ``eps_theta(x_t, t)`` when training replaces labels by a null label with some
probability (:func:`drop_labels`). Classifier-free guidance (Ho & Salimans 2021) then samples
with ``eps = eps_cond + w (eps_cond - eps_uncond)`` (:func:`guided_noise`): ``w = 0`` is the plain
conditional model, larger ``w`` trades diversity for clearer digits. Both samplers take
``labels`` and ``guidance``.

Timesteps are 0-based here: ``t = 0`` is the first noising step, ``t = steps - 1`` the last.
The schedule is plain NumPy; everything touching tensors takes the engine module ``T``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Sequence

import numpy as np

SCHEDULES = ("linear", "cosine")


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """The betas of a forward process (float64 ``(steps,)``) and the products derived from them."""

    name: str
    betas: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> np.ndarray:
        return 1.0 - self.betas

    @property
    def alphas_cumprod(self) -> np.ndarray:
        """``abar_t``: the share of the signal's variance left after step ``t``."""
        return np.cumprod(self.alphas)


def noise_schedule(name: str = "cosine", steps: int = 100, beta_start: float = 1e-4, beta_end: float = 0.02,
                   offset: float = 0.008, max_beta: float = 0.999) -> NoiseSchedule:
    """A linear (Ho et al.: betas from ``beta_start`` to ``beta_end``) or cosine (Nichol &
    Dhariwal 2021: ``abar(t) ~ cos^2((t/T + offset) / (1 + offset) * pi/2)``) schedule.

    The linear defaults are meant for ~1000 steps; with fewer steps, scale them up by
    ``1000 / steps`` or use ``cosine``, which adapts to any number of steps.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"a noise schedule needs an integer number of steps >= 1; got {steps!r}")
    if name == "linear":
        if not 0 < beta_start <= beta_end < 1:
            raise ValueError(f"linear betas need 0 < beta_start <= beta_end < 1; got {beta_start}, {beta_end}")
        betas = np.linspace(beta_start, beta_end, steps, dtype=np.float64)
    elif name == "cosine":
        grid = np.linspace(0, steps, steps + 1, dtype=np.float64) / steps
        abar = np.cos((grid + offset) / (1 + offset) * math.pi / 2) ** 2
        betas = np.clip(1 - abar[1:] / abar[:-1], 0, max_beta)
    else:
        raise ValueError(f"unknown noise schedule {name!r}: expected one of {SCHEDULES}")
    return NoiseSchedule(name, betas)


def q_mean_var(schedule: NoiseSchedule, x0: np.ndarray, t: int) -> tuple[np.ndarray, float]:
    """Mean and (isotropic) variance of ``q(x_t | x_0)``."""
    abar = schedule.alphas_cumprod[t]
    return math.sqrt(abar) * np.asarray(x0), float(1 - abar)


def _column(T: ModuleType, values: np.ndarray, t, like) -> Any:
    """``values[t]`` as a ``(N, 1, ...)`` tensor matching ``like``'s rank, dtype and device."""
    table = T.from_numpy(values.astype(np.float32)).to(like.device)
    picked = table[t]
    return picked.reshape(picked.shape[0], *([1] * (like.dim() - 1)))


def q_sample(T: ModuleType, schedule: NoiseSchedule, x0, t, noise):
    """``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise`` for integer steps ``t`` ``(N,)``."""
    abar = schedule.alphas_cumprod
    return _column(T, np.sqrt(abar), t, x0) * x0 + _column(T, np.sqrt(1 - abar), t, x0) * noise


def drop_labels(T: ModuleType, labels, probability: float, null_label: int):
    """``labels`` with each entry replaced by ``null_label`` with ``probability`` (engine RNG):
    the label dropout that teaches a conditional model its unconditional prediction too."""
    if probability <= 0:
        return labels
    dropped = T.rand(tuple(labels.shape), device=labels.device) < probability
    return T.where(dropped, T.full_like(labels, null_label), labels)


def denoising_loss(T: ModuleType, model, schedule: NoiseSchedule, x0, labels=None, label_dropout: float = 0.0):
    """The simple DDPM loss ``E ||eps - eps_theta(x_t, t[, y])||^2`` with ``t`` uniform and
    ``eps ~ N(0, I)`` drawn from the engine RNG (seeded by the Trainer).

    With ``labels`` (a conditional model, which has a ``null_label``), each label is dropped
    to the null label with probability ``label_dropout`` (classifier-free guidance training).
    """
    t = T.randint(0, schedule.steps, (x0.shape[0],), device=x0.device)
    noise = T.randn_like(x0)
    x_t = q_sample(T, schedule, x0, t, noise)
    if labels is None:
        prediction = model(x_t, t)
    else:
        prediction = model(x_t, t, drop_labels(T, labels, label_dropout, model.null_label))
    return T.nn.functional.mse_loss(prediction, noise)


def guided_noise(T: ModuleType, model, x, t, labels=None, guidance: float = 0.0):
    """The noise prediction at integer step ``t`` (an int or ``(N,)`` tensor) for ``x: (N, ...)``.

    Without labels: ``eps_theta(x, t)``. With labels and ``guidance = w``: classifier-free guidance
    ``eps_cond + w (eps_cond - eps_uncond)``, the conditional and unconditional (null label)
    predictions made in one forward pass of the doubled batch; ``w = 0`` costs one plain
    conditional pass.
    """
    n = x.shape[0]
    steps = T.full((n,), t, dtype=T.int64, device=x.device) if isinstance(t, int) else t
    if labels is None:
        return model(x, steps)
    if guidance == 0:
        return model(x, steps, labels)
    null = T.full_like(labels, model.null_label)
    both = model(T.cat([x, x], dim=0), T.cat([steps, steps], dim=0), T.cat([labels, null], dim=0))
    conditional, unconditional = both[:n], both[n:]
    return conditional + guidance * (conditional - unconditional)


def _normal(T: ModuleType, rng: np.random.Generator, shape: Sequence[int], device) -> Any:
    return T.from_numpy(rng.standard_normal(tuple(shape)).astype(np.float32)).to(device)


def ddpm_sample(T: ModuleType, model, schedule: NoiseSchedule, shape: Sequence[int], *, seed: int | Sequence[int] = 0,
                device: str = "cpu", record: Sequence[int] = (), labels=None,
                guidance: float = 0.0) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Ancestral sampling from x_T ~ N(0, I) down to x_0, all noise drawn from NumPy with ``seed``.

    Returns ``(x_0, snapshots)`` as NumPy, ``snapshots[t]`` being the batch at step ``t``
    (``t = steps`` is the starting noise) for each ``t`` in ``record``. ``labels`` (an int64
    tensor ``(N,)``) and ``guidance`` go to :func:`guided_noise`.
    """
    rng = np.random.default_rng(seed)
    betas, alphas, abar = schedule.betas, schedule.alphas, schedule.alphas_cumprod
    x = _normal(T, rng, shape, device)
    snapshots = {}
    model.eval()
    with T.no_grad():
        if schedule.steps in record:
            snapshots[schedule.steps] = _host(x)
        for t in reversed(range(schedule.steps)):
            eps = guided_noise(T, model, x, t, labels, guidance)
            x = (x - (betas[t] / math.sqrt(1 - abar[t])) * eps) / math.sqrt(alphas[t])
            if t > 0:
                x = x + math.sqrt(betas[t]) * _normal(T, rng, shape, device)
            if t in record:
                snapshots[t] = _host(x)
    return _host(x), snapshots


def ddim_timesteps(total: int, steps: int) -> list[int]:
    """``steps`` evenly spread steps out of ``total``, from ``total - 1`` down to 0."""
    if not 1 <= steps <= total:
        raise ValueError(f"DDIM steps must be between 1 and the schedule's {total} steps; got {steps}")
    return sorted({int(round(v)) for v in np.linspace(0, total - 1, steps)}, reverse=True)


def ddim_sample(T: ModuleType, model, schedule: NoiseSchedule, noise, *, steps: int | None = None, labels=None,
                guidance: float = 0.0, clip: float | None = None):
    """Deterministic DDIM (eta = 0) from the starting noise x_T (a tensor) to x_0, in
    ``steps`` model calls (default: every step of the schedule). Returns a tensor.
    ``labels`` and ``guidance`` go to :func:`guided_noise`. ``clip`` bounds every prediction
    ``x0_hat`` to ``[-clip, clip]`` (data known to lie there, e.g. images in [-1, 1]); the noise
    is then re-derived from the clipped ``x0_hat``, so a guided overshoot cannot compound."""
    x = noise
    model.eval()
    with T.no_grad():
        for _, x in _ddim_walk(T, model, schedule, noise, steps, labels, guidance, clip):
            pass
    return x


def ddim_trajectory(T: ModuleType, model, schedule: NoiseSchedule, noise, *, steps: int | None = None, labels=None,
                    guidance: float = 0.0, clip: float | None = None) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """:func:`ddim_sample` that also keeps every intermediate batch: ``(x_0, snapshots)`` as NumPy,
    ``snapshots[t]`` being x_t for each visited step (``t = steps`` the starting noise, 0 the result)."""
    snapshots = {schedule.steps: _host(noise)}
    x = noise
    model.eval()
    with T.no_grad():
        for t, x in _ddim_walk(T, model, schedule, noise, steps, labels, guidance, clip):
            snapshots[t] = _host(x)
    return _host(x), snapshots


def _ddim_walk(T: ModuleType, model, schedule: NoiseSchedule, noise, steps, labels, guidance, clip):
    """Yield ``(s, x_s)`` after each DDIM jump, ending with ``(0, x0_hat)`` (callers hold ``no_grad``)."""
    abar = schedule.alphas_cumprod
    times = ddim_timesteps(schedule.steps, steps or schedule.steps)
    x = noise
    for index, t in enumerate(times):
        eps = guided_noise(T, model, x, t, labels, guidance)
        x0_hat = (x - math.sqrt(1 - abar[t]) * eps) / math.sqrt(abar[t])
        if clip is not None:
            x0_hat = x0_hat.clamp(-clip, clip)
            eps = (x - math.sqrt(abar[t]) * x0_hat) / math.sqrt(1 - abar[t])
        if index + 1 == len(times):
            yield 0, x0_hat
        else:
            s = times[index + 1]
            x = math.sqrt(abar[s]) * x0_hat + math.sqrt(1 - abar[s]) * eps
            yield s, x


def _host(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
