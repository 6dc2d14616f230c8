"""One optimizer update, for runners with their own loops (language models, seq2seq, forecasting).

The Trainer keeps its own loop because it checks for divergence between these steps.
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
