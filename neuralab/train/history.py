"""What happened in each epoch of a fit, as plain per-epoch lists."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class History:
    """Per-epoch records of a fit; every list has one entry per completed epoch.

    ``epoch`` counts from 1. Accuracy entries are ``None`` when the metric does not
    apply (regression, autoencoders), validation entries are ``None`` without a
    validation set, ``lr`` is the learning rate at the start of the epoch and
    ``epoch_time_s`` the wall time of training plus validation.
    Everything is a Python number, so ``to_dict()`` is JSON-serialisable.
    """

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_time_s: list[float] = field(default_factory=list)

    def append(self, **record: Any) -> None:
        """Add one epoch; every field must be given (``None`` where it does not apply)."""
        names = [f.name for f in fields(self)]
        if set(record) != set(names):
            missing = sorted(set(names) - set(record))
            extra = sorted(set(record) - set(names))
            raise ValueError(f"History.append needs exactly {names}; missing {missing}, unexpected {extra}")
        for name in names:
            getattr(self, name).append(_plain(record[name]))

    def __len__(self) -> int:
        return len(self.epoch)

    def last(self) -> dict[str, Any]:
        """The most recent epoch as a dict (empty before the first epoch)."""
        return self.row(-1) if len(self) else {}

    def row(self, index: int) -> dict[str, Any]:
        """Epoch ``index`` (a list position, not an epoch number) as a dict."""
        return {f.name: getattr(self, f.name)[index] for f in fields(self)}

    def best(self, monitor: str = "val_loss", mode: str = "min") -> dict[str, Any] | None:
        """The epoch with the best finite ``monitor`` value (first one on ties)."""
        values = getattr(self, monitor)
        sign = 1.0 if mode == "min" else -1.0
        candidates = [(sign * v, i) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
        if not candidates:
            return None
        return self.row(min(candidates)[1])

    def to_dict(self) -> dict[str, list]:
        """A JSON-serialisable copy."""
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> "History":
        """Rebuild from :meth:`to_dict` output; unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown History fields {sorted(unknown)}; expected {sorted(names)}")
        return cls(**{name: list(data.get(name, [])) for name in names})


def _plain(value: Any) -> Any:
    """NumPy scalars and 0-d arrays -> Python numbers, so the history stays JSON-safe."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item"):
        return value.item()
    return value
