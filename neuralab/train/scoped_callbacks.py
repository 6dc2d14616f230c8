"""Callbacks added to every Trainer a recipe builds inside a ``with`` block.

A recipe runner builds its own Trainer (``neuralab.recipes.common.make_trainer``), so a
caller that drives whole runs, such as the tuner reporting each epoch's validation metric
to Optuna, cannot pass a callback through ``recipes.run``. It wraps the run instead::

    with added_callbacks(PruningReporter(trial)):
        recipes.run(config)

The registry is a context variable: each thread (and each asyncio task) sees only the
callbacks its own ``with`` added, so parallel trials never report into each other.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

from neuralab.train.callbacks import Callback

_ADDED: contextvars.ContextVar[tuple[Callback, ...]] = contextvars.ContextVar("neuralab_added_callbacks", default=())


@contextlib.contextmanager
def added_callbacks(*callbacks: Callback) -> Iterator[None]:
    """Within the block, :func:`scoped_callbacks` also returns ``callbacks``."""
    token = _ADDED.set((*_ADDED.get(), *callbacks))
    try:
        yield
    finally:
        _ADDED.reset(token)


def scoped_callbacks() -> tuple[Callback, ...]:
    """The callbacks the enclosing ``added_callbacks`` blocks of this context added (outermost first)."""
    return _ADDED.get()
