"""The GAN playground (GAN Lab's experiment): a generator learns a 2-D distribution against a discriminator.

    G: z (N, noiseDim) ~ N(0, I) -> MLP (gShape, gActivation) -> (N, 2)
    D: x (N, 2) -> MLP (dShape, dActivation) -> (N, 1) raw score (a logit, or a WGAN critic value)

Losses (``neuralab.generative.gan_losses``): ``non_saturating`` (D: binary cross-entropy, G:
``-E log D(G(z))``), ``saturating`` (G: ``E log(1 - D(G(z)))``, Goodfellow's minimax form) and
``wgan_gp`` (critic loss plus ``gpWeight`` times the gradient penalty). One ``step()`` is one
round: ``dSteps`` updates of D, then one of G; ``step(n, part="d")`` (or ``"g"``) makes n
updates of that network only. ``step_count`` counts rounds and single updates alike.
"""

from __future__ import annotations

import numpy as np

from neuralab.generative import gan_losses
from neuralab.playground import distributions, heatmap, net as net_module
from neuralab.playground.base import Playground, rounded
from neuralab.playground.history import History
from neuralab.playground.limits import LIMITS
from neuralab.playground.optimizers import OPTIMIZERS, SHORT_MEMORY_BETAS, make_optimizer, set_lr
from neuralab.playground.settings import LIVE, REBUILD, VIEW, Setting

LOSSES = ("non_saturating", "saturating", "wgan_gp")
SCORE_SIZE = 50     # D's score heatmap: cells per side


def _specs() -> dict[str, Setting]:
    specs = [
        *distributions.data_settings(),
        Setting("noiseDim", "int", 2, REBUILD, 1, 16),
        Setting("gShape", "widths", [32, 32], REBUILD),
        Setting("dShape", "widths", [32, 32], REBUILD),
        Setting("gActivation", "choice", "relu", REBUILD, choices=net_module.ACTIVATIONS),
        Setting("dActivation", "choice", "relu", REBUILD, choices=net_module.ACTIVATIONS),
        Setting("loss", "choice", "non_saturating", REBUILD, choices=LOSSES),
        Setting("gOptimizer", "choice", "adam", LIVE, choices=OPTIMIZERS),
        Setting("dOptimizer", "choice", "adam", LIVE, choices=OPTIMIZERS),
        Setting("gLearningRate", "float", 0.002, LIVE, 1e-6, 10),
        Setting("dLearningRate", "float", 0.002, LIVE, 1e-6, 10),
        Setting("dSteps", "int", 1, LIVE, 1, 20, about="D updates per G update"),
        Setting("batchSize", "int", 128, LIVE, 1, LIMITS["max_batch_size"]),
        Setting("gpWeight", "float", 10.0, LIVE, 0, 100, about="WGAN-GP penalty weight"),
        Setting("numShown", "int", 300, VIEW, 10, LIMITS["max_points"]),
    ]
    return {spec.name: spec for spec in specs}


class GanPlayground(Playground):
    kind = "gan"
    SETTINGS = _specs()
    PARTS = ("d", "g")

    def _check(self, settings: dict) -> dict:
        distributions.check(settings)
        return settings

    def _draw_data(self) -> None:
        self._data_rng = self.rng(2)
        self._draw_shown()

    def _draw_shown(self) -> None:
        """The shown real points and the fixed noise of the shown generated points."""
        self._shown_real = distributions.sample(self.settings, self.settings["numShown"], self.rng(4))
        self._shown_z = self.rng(5).standard_normal((self.settings["numShown"], self.settings["noiseDim"])).astype(np.float32)
        self._shown_for = (self.settings["numShown"], self.settings["noiseDim"], self.settings["distribution"])

    def _build(self) -> None:
        s, T = self.settings, self.T
        self.seed_engine(1)
        self.generator = net_module.build(T, s["noiseDim"], s["gShape"], [s["gActivation"]] * len(s["gShape"]), 2,
                                          "linear")
        self.discriminator = net_module.build(T, 2, s["dShape"], [s["dActivation"]] * len(s["dShape"]), 1, "linear")
        self._make_optimizers()
        self._noise_rng = self.rng(3)
        self.d_steps = self.g_steps = 0
        self.last = {"d_loss": None, "g_loss": None, "d_real": None, "d_fake": None}
        self.history = History(("d_loss", "g_loss", "d_real", "d_fake"))
        self._grid = T.from_numpy(heatmap.grid(distributions.EXTENT, SCORE_SIZE).astype(np.float32))

    def _make_optimizers(self) -> None:
        s, T = self.settings, self.T
        self.g_optimizer = make_optimizer(T, s["gOptimizer"], list(self.generator.parameters()), s["gLearningRate"],
                                          betas=SHORT_MEMORY_BETAS)
        self.d_optimizer = make_optimizer(T, s["dOptimizer"], list(self.discriminator.parameters()), s["dLearningRate"],
                                          betas=SHORT_MEMORY_BETAS)
        self._optimizer_key = (s["gOptimizer"], s["dOptimizer"])

    def _apply_live(self, old: dict) -> None:
        s = self.settings
        if (s["gOptimizer"], s["dOptimizer"]) != self._optimizer_key:
            self._make_optimizers()
        set_lr(self.g_optimizer, s["gLearningRate"])
        set_lr(self.d_optimizer, s["dLearningRate"])

    # -- training ---------------------------------------------------------------------------
    def _noise(self, n: int):
        return self.T.from_numpy(self._noise_rng.standard_normal((n, self.settings["noiseDim"])).astype(np.float32))

    def _score_mean(self, scores) -> float:
        """Mean D(x) as a probability (GAN losses) or the mean critic value (WGAN)."""
        values = scores.detach().numpy()
        if self.settings["loss"] != "wgan_gp":
            values = 1 / (1 + np.exp(-values))
        return float(values.mean())

    def _step_d(self) -> None:
        s, T = self.settings, self.T
        n = s["batchSize"]
        real = T.from_numpy(distributions.sample(s, n, self._data_rng))
        with T.no_grad():
            fake = self.generator(self._noise(n))
        self.d_optimizer.zero_grad()
        real_scores, fake_scores = self.discriminator(real), self.discriminator(fake)
        if s["loss"] == "wgan_gp":
            mix = T.from_numpy(self._noise_rng.uniform(0, 1, (n, 1)).astype(np.float32))
            loss = gan_losses.critic_loss(real_scores, fake_scores) + s["gpWeight"] * gan_losses.gradient_penalty(
                T, self.discriminator, real, fake, mix)
        else:
            loss = gan_losses.discriminator_loss(T, real_scores, fake_scores)
        loss.backward()
        self.d_optimizer.step()
        self.d_steps += 1
        self.last.update(d_loss=float(loss.item()), d_real=self._score_mean(real_scores),
                         d_fake=self._score_mean(fake_scores))

    def _generator_loss(self, fake_scores):
        loss = self.settings["loss"]
        if loss == "wgan_gp":
            return gan_losses.wasserstein_generator_loss(fake_scores)
        if loss == "saturating":
            return gan_losses.saturating_generator_loss(self.T, fake_scores)
        return gan_losses.generator_loss(self.T, fake_scores)

    def _step_g(self) -> None:
        n = self.settings["batchSize"]
        self.g_optimizer.zero_grad()
        loss = self._generator_loss(self.discriminator(self.generator(self._noise(n))))
        loss.backward()
        self.g_optimizer.step()
        self.g_steps += 1
        self.last["g_loss"] = float(loss.item())

    def _train(self, n: int, part) -> None:
        for _ in range(n):
            if part in (None, "d"):
                for _ in range(self.settings["dSteps"] if part is None else 1):
                    self._step_d()
            if part in (None, "g"):
                self._step_g()
            self.step_count += 1
            if self.history.due(self.step_count):
                self.history.add(self.step_count, **self.last)

    # -- views ------------------------------------------------------------------------------
    def samples(self, n: int | None = None, seed: int = 7) -> np.ndarray:
        """``n`` generated points ``(n, 2)`` (default: the shown ones, from fixed noise)."""
        T = self.T
        z = self._shown_z if n is None else np.random.default_rng(seed).standard_normal(
            (n, self.settings["noiseDim"])).astype(np.float32)
        with T.no_grad():
            return self.generator(T.from_numpy(z)).numpy()

    def _generator_push(self, fake: np.ndarray) -> np.ndarray:
        """``-dL_G/dx`` at each generated point ``(N, 2)``: where G's loss moves it."""
        T = self.T
        points = T.from_numpy(fake.astype(np.float32)).requires_grad_(True)
        loss = self._generator_loss(self.discriminator(points)) * len(fake)   # per-point gradients, not /N
        (grad,) = T.autograd.grad(loss, points)
        return -grad.numpy()

    def points(self) -> dict:
        return {"real": rounded(self._shown_real), "extent": list(distributions.EXTENT),
                "distribution": self.settings["distribution"]}

    def _frame(self) -> dict:
        T, s = self.T, self.settings
        if self._shown_for != (s["numShown"], s["noiseDim"], s["distribution"]):
            self._draw_shown()
        fake = self.samples()
        push = self._generator_push(fake)
        longest = float(np.linalg.norm(push, axis=1).max()) if len(push) else 0.0
        with T.no_grad():
            scores = self.discriminator(self._grid).numpy()[:, 0]
        if s["loss"] == "wgan_gp":
            lo, hi = float(scores.min()), float(scores.max())
        else:
            scores, lo, hi = 1 / (1 + np.exp(-scores)), 0.0, 1.0
        return {
            "kind": self.kind, "step": self.step_count, "d_steps": self.d_steps, "g_steps": self.g_steps,
            "real": rounded(self._shown_real), "fake": rounded(fake),
            "d_score": heatmap.encode(scores, lo, hi), "d_score_range": [lo, hi],
            "d_score_shape": [SCORE_SIZE, SCORE_SIZE], "extent": list(distributions.EXTENT),
            "arrows": rounded(push / longest if longest > 0 else push), "arrow_scale": longest,
            **{key: (None if value is None else round(value, 6)) for key, value in self.last.items()},
            "history": self.history.as_dict(),
            "coverage": distributions.coverage(s, fake),
        }
