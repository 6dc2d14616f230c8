"""Random number generation: the global generator, ``Generator``, seeds and RNG state.

Each :class:`Generator` wraps a NumPy ``PCG64`` bit generator.  ``get_rng_state()``
returns a uint8 Tensor holding the JSON encoding of the bit generator's state, so a
trainer can save it next to a checkpoint and ``set_rng_state`` restores it exactly.
"""

from __future__ import annotations

import json

import numpy as np

DEFAULT_SEED = 67280421310721  # torch's initial seed, for the same "deterministic by default" feel


class Generator:
    """A seeded source of random numbers (mirrors ``torch.Generator``)."""

    def __init__(self, device="cpu"):
        from .tensor import _check_device
        _check_device(device)
        self._seed = DEFAULT_SEED
        self.np = np.random.Generator(np.random.PCG64(self._seed))
        self.device = device

    def manual_seed(self, seed) -> "Generator":
        """Reseed; returns the generator (so ``Generator().manual_seed(0)`` works)."""
        seed = int(seed)
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed & ((1 << 128) - 1)))
        return self

    def seed(self) -> int:
        """Reseed from OS entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The bit generator state as a uint8 Tensor (JSON bytes)."""
        from .tensor import _wrap
        state = {"seed": self._seed, "bit_generator": self.np.bit_generator.state}
        raw = json.dumps(state, sort_keys=True, default=int).encode()
        return _wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> "Generator":
        """Restore a state from :meth:`get_state`."""
        arr = state._data if hasattr(state, "_data") else np.asarray(state)
        try:
            decoded = json.loads(bytes(np.asarray(arr, dtype=np.uint8)).decode())
            bit_state = decoded["bit_generator"]
            if bit_state.get("bit_generator") != "PCG64":
                raise ValueError
        except (ValueError, KeyError, UnicodeDecodeError):
            raise RuntimeError(
                "set_rng_state expects a state from scratch.get_rng_state() (uint8 JSON bytes); "
                "PyTorch's Mersenne-Twister states cannot be loaded into the scratch engine"
            ) from None
        self._seed = decoded.get("seed", self._seed)
        bit = np.random.PCG64()
        bit.state = bit_state
        self.np = np.random.Generator(bit)
        return self

    def __repr__(self) -> str:
        return f"<scratch.Generator seed={self._seed}>"


default_generator = Generator()


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (or the global one)."""
    return (generator or default_generator).np


def manual_seed(seed) -> Generator:
    """Seed the global generator; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state as a uint8 Tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the global generator from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


class fork_rng:
    """Context manager that restores the global RNG state on exit."""

    def __init__(self, devices=None, enabled=True, **_):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self._state = get_rng_state()

    def __exit__(self, *exc):
        if self.enabled:
            set_rng_state(self._state)
        return False
