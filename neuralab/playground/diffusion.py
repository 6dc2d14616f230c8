"""The diffusion playground: a small DDPM learns a 2-D distribution; watch it noise and denoise.

The model is ``neuralab.models.diffusion`` (an MLP noise predictor eps_theta(x_t, t) with a
sinusoidal step embedding), trained with the simple DDPM loss ``E ||eps - eps_theta(x_t, t)||^2``
on fresh batches of the distribution; the math is ``neuralab.generative.diffusion``
(``noise_schedule``, ``q_sample``, ``denoising_loss``, ``ddpm_sample``, ``ddim_trajectory``).
One ``step`` is one optimizer update.

``frame()`` shows the forward process at step ``t`` (``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``
for the shown data) and a reverse-sampling trajectory from fixed starting noise: DDPM
(ancestral, every step) or DDIM (deterministic, ``samplingSteps`` steps), sampled with a moving average of the weights
(``ema``, ``neuralab.train.ema.WeightEMA``), which steadies the samples. The trajectory is
sampled again only every ``trajectoryEvery`` training steps (or when a sampling setting
changes), so frames stay cheap.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from neuralab.generative import diffusion as ddpm
from neuralab.models import diffusion as denoiser
from neuralab.models.mlp import ACTIVATIONS
from neuralab.playground import distributions
from neuralab.playground.base import Playground, rounded
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.history import History
from neuralab.playground.limits import LIMITS
from neuralab.playground.optimizers import OPTIMIZERS, SHORT_MEMORY_BETAS, make_optimizer, set_lr
from neuralab.playground.settings import LIVE, REBUILD, VIEW, Setting
from neuralab.train.ema import WeightEMA

MAX_SHOWN_SNAPSHOTS = 26   # trajectory point sets sent per frame (start and end included)
# DDIM's bound on its x0 prediction: every distribution lies within |x| <= 3 (plus noise); the
# first jump divides by sqrt(abar_T) ~ 0.007, and an untrained model's error would fly off the view
X0_CLIP = 4.0


def _specs() -> dict[str, Setting]:
    specs = [
        *distributions.data_settings(),
        Setting("diffusionSteps", "int", 100, REBUILD, 2, LIMITS["max_diffusion_steps"]),
        Setting("schedule", "choice", "linear", REBUILD, choices=ddpm.SCHEDULES),
        Setting("hidden", "int", 64, REBUILD, 4, 256),
        Setting("depth", "int", 3, REBUILD, 1, 6),
        Setting("activation", "choice", "silu", REBUILD, choices=ACTIVATIONS),
        Setting("optimizer", "choice", "adam", LIVE, choices=OPTIMIZERS),
        Setting("learningRate", "float", 0.003, LIVE, 1e-6, 10),
        Setting("ema", "float", 0.995, LIVE, 0, 0.9999, about="decay of the weight average that samples (0: last weights)"),
        Setting("batchSize", "int", 256, LIVE, 1, LIMITS["max_batch_size"]),
        Setting("sampler", "choice", "ddim", VIEW, choices=("ddpm", "ddim")),
        Setting("samplingSteps", "int", 25, VIEW, 1, LIMITS["max_diffusion_steps"], about="DDIM steps"),
        Setting("t", "int", 50, VIEW, 0, LIMITS["max_diffusion_steps"] - 1, about="forward-noising step shown"),
        Setting("numShown", "int", 300, VIEW, 10, LIMITS["max_points"]),
        Setting("trajectoryEvery", "int", 200, VIEW, 1, LIMITS["max_steps_per_call"]),
    ]
    return {spec.name: spec for spec in specs}


def make_schedule(name: str, steps: int) -> ddpm.NoiseSchedule:
    """Linear betas ``0.1 / steps -> 20 / steps`` (the project's ring-ddpm: 0.001 -> 0.2 over 100
    steps; capped at 0.5), or the cosine schedule. On 2-D data the cosine schedule's last steps
    leave abar ~ 1e-7, and DDIM's first jump then blows the network's error up (see recipes/diffusion)."""
    if name == "linear":
        return ddpm.noise_schedule("linear", steps, beta_start=min(0.1 / steps, 0.5), beta_end=min(20 / steps, 0.5))
    return ddpm.noise_schedule(name, steps)


class DiffusionPlayground(Playground):
    kind = "diffusion"
    SETTINGS = _specs()

    def _check(self, settings: dict) -> dict:
        distributions.check(settings)
        steps = settings["diffusionSteps"]
        for key in ("t", "samplingSteps"):
            low = 0 if key == "t" else 1
            high = steps - 1 if key == "t" else steps
            if not low <= settings[key] <= high:
                raise PlaygroundError(f"{key}: expected an integer in [{low}, {high}] for diffusionSteps={steps}, "
                                      f"got {settings[key]}")
        return settings

    def _draw_data(self) -> None:
        self._data_rng = self.rng(2)
        self._trajectory = None

    def _build(self) -> None:
        s, T = self.settings, self.T
        self.seed_engine(1)
        self.schedule = make_schedule(s["schedule"], s["diffusionSteps"])
        self.model = denoiser.build(T, data_dim=2, hidden=s["hidden"], depth=s["depth"], activation=s["activation"])
        self.sampler_model = denoiser.build(T, data_dim=2, hidden=s["hidden"], depth=s["depth"], activation=s["activation"])
        self._owner = SimpleNamespace(model=self.model)   # WeightEMA reads the model of a trainer
        self.ema = WeightEMA(s["ema"])
        self.ema.on_fit_start(self._owner)
        self._make_optimizer()
        self.seed_engine(3)   # the engine RNG now draws the training noise and steps
        self.history = History(("train_loss",))
        self._losses: list[float] = []
        self.train_loss = None
        self._trajectory = None

    def _make_optimizer(self) -> None:
        s = self.settings
        # the betas the defaults were measured with (samples on the ring by ~750 steps)
        self.optimizer = make_optimizer(self.T, s["optimizer"], list(self.model.parameters()), s["learningRate"],
                                        betas=SHORT_MEMORY_BETAS)
        self._optimizer_name = s["optimizer"]

    def _apply_live(self, old: dict) -> None:
        if self.settings["optimizer"] != self._optimizer_name:
            self._make_optimizer()
        set_lr(self.optimizer, self.settings["learningRate"])

    def _train(self, n: int, part) -> None:
        T, s = self.T, self.settings
        self.model.train()
        for _ in range(n):
            x0 = T.from_numpy(distributions.sample(s, s["batchSize"], self._data_rng))
            self.optimizer.zero_grad()
            loss = ddpm.denoising_loss(T, self.model, self.schedule, x0)
            loss.backward()
            self.optimizer.step()
            self.step_count += 1
            self.ema.decay = s["ema"]
            self.ema.on_batch_end(self._owner, self.step_count, {})
            self._losses.append(float(loss.item()))
            if self.history.due(self.step_count):
                # the mean since the last entry: a readable curve from a noisy per-batch loss
                self.train_loss = float(np.mean(self._losses))
                self.history.add(self.step_count, train_loss=self.train_loss)
                self._losses = []

    # -- views ------------------------------------------------------------------------------
    def _shown_data(self) -> np.ndarray:
        return distributions.sample(self.settings, self.settings["numShown"], self.rng(4))

    def noised(self, t: int) -> np.ndarray:
        """The shown data after ``t + 1`` forward steps: a draw of ``q(x_t | x_0)``."""
        x0 = self._shown_data().astype(np.float64)
        mean, variance = ddpm.q_mean_var(self.schedule, x0, t)
        return mean + np.sqrt(variance) * self.rng(5).standard_normal(x0.shape)

    def _sampling_model(self):
        """The model that samples: the moving average of the weights (``ema``), or the last weights."""
        T = self.T
        if self.settings["ema"] == 0:
            return self.model
        like = self.model.state_dict()
        self.sampler_model.load_state_dict({name: T.from_numpy(value) for name, value in
                                            self.ema.model_weights(like).items()})
        return self.sampler_model

    def sample_trajectory(self) -> tuple[list[int], list[np.ndarray]]:
        """Reverse sampling from fixed noise: ``(steps, point sets)``, from x_T down to x_0."""
        T, s = self.T, self.settings
        model = self._sampling_model()
        n, total = s["numShown"], self.schedule.steps
        if s["sampler"] == "ddpm":
            _, snapshots = ddpm.ddpm_sample(T, model, self.schedule, (n, 2), seed=int(self.rng(6).integers(2 ** 31)),
                                            record=range(total + 1))
        else:
            noise = T.from_numpy(self.rng(6).standard_normal((n, 2)).astype(np.float32))
            _, snapshots = ddpm.ddim_trajectory(T, model, self.schedule, noise, steps=s["samplingSteps"], clip=X0_CLIP)
        steps = sorted(snapshots, reverse=True)
        if len(steps) > MAX_SHOWN_SNAPSHOTS:   # keep the start, the end and evenly spread steps between
            keep = np.unique(np.linspace(0, len(steps) - 1, MAX_SHOWN_SNAPSHOTS).round().astype(int))
            steps = [steps[i] for i in keep]
        return steps, [snapshots[t] for t in steps]

    def _current_trajectory(self):
        s = self.settings
        key = (s["sampler"], s["samplingSteps"], s["numShown"], s["ema"])
        stale = (self._trajectory is None or self._trajectory[0] != key
                 or self.step_count - self._trajectory[1] >= s["trajectoryEvery"])
        if stale:
            self._trajectory = (key, self.step_count, *self.sample_trajectory())
        return self._trajectory

    def points(self) -> dict:
        return {"real": rounded(self._shown_data()), "extent": list(distributions.EXTENT),
                "distribution": self.settings["distribution"]}

    def _frame(self) -> dict:
        s = self.settings
        _, computed_at, steps, snapshots = self._current_trajectory()
        samples = snapshots[-1]
        return {
            "kind": self.kind, "step": self.step_count,
            "train_loss": None if self.train_loss is None else round(self.train_loss, 6),
            "history": self.history.as_dict(), "extent": list(distributions.EXTENT),
            "t": s["t"], "noised": rounded(self.noised(s["t"])), "real": rounded(self._shown_data()),
            "sampler": s["sampler"], "trajectory_steps": steps, "trajectory": [rounded(x) for x in snapshots],
            "trajectory_at": computed_at, "samples": rounded(samples),
            "coverage": distributions.coverage(s, samples),
        }
