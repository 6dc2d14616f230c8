"""A loss history of capped length that still spans the whole run.

Entries are recorded every ``every`` steps; when ``cap`` entries are reached, every other
entry is dropped and ``every`` doubles, so a long run keeps its whole curve at coarser
resolution and the frame stays small. The same steps give the same history.
"""

from __future__ import annotations


class History:
    def __init__(self, names, cap: int = 400, every: int = 1):
        self.names = tuple(names)
        self.cap = cap
        self.every = every
        self.columns: dict[str, list] = {"step": [], **{name: [] for name in self.names}}

    def due(self, step: int) -> bool:
        """Whether ``step`` is one to record."""
        return step % self.every == 0

    def add(self, step: int, **values) -> None:
        self.columns["step"].append(int(step))
        for name in self.names:
            value = values[name]
            self.columns[name].append(None if value is None else round(float(value), 6))
        if len(self.columns["step"]) >= self.cap:
            for key in self.columns:
                self.columns[key] = self.columns[key][::2]
            self.every *= 2

    def as_dict(self) -> dict:
        return {key: list(values) for key, values in self.columns.items()}
