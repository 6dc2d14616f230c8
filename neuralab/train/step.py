"""One optimizer update for hand-written loops (the lessons show the loop itself).

Recipes never loop by hand: they train through ``Trainer.fit``, whose default step does
the same update with divergence checks between its parts (``Trainer.default_step``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any


def apply_gradients(T: ModuleType, loss: Any, model: Any, optimizer: Any,
                    clip_grad_norm: float | None = None, schedule: Any = None) -> float:
    """zero_grad -> backward -> (clip the global norm) -> step -> (per-batch schedule); returns the loss value."""
    optimizer.zero_grad()
    loss.backward()
    if clip_grad_norm:
        T.nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    optimizer.step()
    if schedule is not None:
        schedule.step_batch()
    return float(loss.item())
