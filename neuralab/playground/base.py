"""What the three playgrounds share: settings handling, seeding, the step counter.

A subclass names its ``kind`` and ``SETTINGS`` (specs), and implements ``_draw_data``
(data from the settings), ``_build`` (networks and optimizers from the seed), ``_apply_live``
(a live change), ``_train(n, part)``, ``points`` and ``frame``.
"""

from __future__ import annotations

import contextlib
import functools
from types import ModuleType

import numpy as np

from neuralab import engines
from neuralab.playground.datasets import seed_int
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.limits import LIMITS
from neuralab.playground.settings import DATA, LIVE, REBUILD, Setting, changed_effect, normalize


@functools.lru_cache(maxsize=1)
def _blas_controller():
    try:   # optional, as for the scratch engine's set_num_threads
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def one_blas_thread():
    """A context with NumPy's BLAS on one thread: a playground's matrices are tiny, and on a
    busy machine a second BLAS thread made a diffusion step 10x slower (measured, 2 cores)."""
    controller = _blas_controller()
    return controller.limit(limits=1, user_api="blas") if controller else contextlib.nullcontext()


class Playground:
    """One live experiment: settings, data, networks, optimizers and a step counter."""

    kind = ""
    SETTINGS: dict[str, Setting] = {}
    PARTS: tuple = ()

    def __init__(self, settings: dict | None, *, engine: str = "scratch", seed: int = 0):
        try:
            self.T: ModuleType = engines.get(engine)
        except (ValueError, ImportError) as error:
            raise PlaygroundError(f"engine: {error}") from None
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise PlaygroundError(f"seed: expected an integer >= 0, got {seed!r}")
        self.engine, self.seed = engine, seed
        self.settings = self._check(normalize(self.kind, self.SETTINGS, settings))
        self.step_count = 0
        self._draw_data()
        self.reset()

    # -- settings ---------------------------------------------------------------------------
    def _check(self, settings: dict) -> dict:
        """Checks across keys (a subclass adds its own); returns the settings."""
        return settings

    def update(self, changes: dict) -> dict:
        """Apply ``changes``: live keys at once, data keys by drawing the data again (weights
        kept), structural keys by rebuilding (step 0). Returns ``{"reset": bool, "data": bool}``
        so a face knows to send ``points()`` again. A bad change leaves everything as it was."""
        new = self._check(normalize(self.kind, self.SETTINGS, changes, base=self.settings))
        old, effect = self.settings, self._effect(self.settings, new)
        self.settings = new
        try:
            if effect == REBUILD:
                self._draw_data()
                self.reset()
            elif effect == DATA:
                self._draw_data()
            elif effect == LIVE:
                self._apply_live(old)
        except PlaygroundError:
            self.settings = old
            self._draw_data()
            self.reset()
            raise
        return {"reset": effect == REBUILD, "data": effect in (REBUILD, DATA)}

    def _effect(self, old: dict, new: dict):
        return changed_effect(self.SETTINGS, old, new)

    def _apply_live(self, old: dict) -> None:
        """Bring optimizers up to a live change (default: nothing to do)."""

    # -- seeding ----------------------------------------------------------------------------
    def rng(self, *stream: int) -> np.random.Generator:
        """A NumPy generator from the settings' seed, ``create(seed=)`` and a stream number."""
        return np.random.default_rng([seed_int(self.settings.get("seed", "0")), self.seed, *stream])

    def seed_engine(self, stream: int) -> None:
        """Seed the engine RNG (dropout, diffusion noise) reproducibly."""
        self.T.manual_seed(int(self.rng(stream).integers(2 ** 31)))

    # -- training ---------------------------------------------------------------------------
    def reset(self) -> None:
        """New weights from the seed, step 0, same data."""
        self.step_count = 0
        self._build()

    def step(self, n: int = 1, *, part: str | None = None) -> None:
        """``n`` training steps (``part`` picks one network where the kind has several)."""
        limit = LIMITS["max_steps_per_call"]
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= limit:
            raise PlaygroundError(f"step: expected a number of steps in [1, {limit}], got {n!r}")
        if part is not None and part not in self.PARTS:
            allowed = ", ".join(repr(p) for p in self.PARTS) if self.PARTS else "none for this playground"
            raise PlaygroundError(f"step part: expected None or {allowed}, got {part!r}")
        with one_blas_thread():
            self._train(n, part)

    def frame(self) -> dict:
        """The JSON-ready view state now (see the package docstring for its keys)."""
        with one_blas_thread():
            return self._frame()

    def set_weight(self, layer: int, i: int, j: int, value: float) -> None:
        raise PlaygroundError(f"set_weight: only the network playground has editable links, this is {self.kind!r}")

    def set_bias(self, layer: int, j: int, value: float) -> None:
        raise PlaygroundError(f"set_bias: only the network playground has editable biases, this is {self.kind!r}")

    def export(self) -> dict[str, bytes]:
        raise PlaygroundError(f"export: only the network playground exports a model, this is {self.kind!r}")

    def _draw_data(self) -> None:
        raise NotImplementedError

    def _build(self) -> None:
        raise NotImplementedError

    def _train(self, n: int, part: str | None) -> None:
        raise NotImplementedError

    def points(self) -> dict:
        raise NotImplementedError

    def _frame(self) -> dict:
        raise NotImplementedError


def rounded(values, digits: int = 4) -> list:
    """A NumPy array as nested lists of rounded floats (JSON-ready, small)."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()
