"""A character tokenizer: one id per distinct character of a corpus.

>>> tok = CharTokenizer.from_text("hello")
>>> tok.encode("hole")            # ids follow the sorted characters: e h l o
array([1, 3, 2, 0])
>>> tok.decode(tok.encode("hole"))
'hole'

The vocabulary is saved with a run as JSON (``{"type": "char", "chars": [...]}``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import numpy as np

from neuralab.io import atomic_write_json


class UnknownCharacterError(ValueError):
    """The text holds characters the vocabulary does not know."""


class CharTokenizer:
    """Maps characters to ids ``0..vocab_size-1`` and back."""

    def __init__(self, chars: Iterable[str]):
        chars = list(chars)
        if not chars or any(not isinstance(c, str) or len(c) != 1 for c in chars):
            raise ValueError("CharTokenizer needs a non-empty list of single characters")
        if len(set(chars)) != len(chars):
            raise ValueError("CharTokenizer characters must be distinct")
        self.chars = chars
        self.index = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> "CharTokenizer":
        """The vocabulary of ``text``: its distinct characters, sorted."""
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        """``text`` as an int64 array of ids; unknown characters raise
        :class:`UnknownCharacterError` naming them."""
        try:
            return np.fromiter((self.index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError:
            unknown = sorted({c for c in text if c not in self.index})
            raise UnknownCharacterError(
                f"characters {unknown!r} are not in this tokenizer's vocabulary of {self.vocab_size} "
                f"(e.g. {''.join(self.chars[:20])!r}...)") from None

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids`` (any iterable of ints)."""
        try:
            return "".join(self.chars[int(i)] for i in np.asarray(ids).ravel())
        except IndexError:
            raise ValueError(f"token ids must be in 0..{self.vocab_size - 1}") from None

    def to_dict(self) -> dict:
        return {"type": "char", "chars": self.chars}

    @classmethod
    def from_dict(cls, spec: dict) -> "CharTokenizer":
        """The tokenizer :meth:`to_dict` describes; anything else raises ``ValueError``."""
        if not isinstance(spec, dict) or spec.get("type") != "char":
            what = f"type {spec.get('type')!r}" if isinstance(spec, dict) else type(spec).__name__
            raise ValueError(f'not a character tokenizer: expected {{"type": "char", "chars": [...]}}, got {what}')
        if not isinstance(spec.get("chars"), list):
            raise ValueError(f"a character tokenizer needs \"chars\": a list of characters; got {spec.get('chars')!r:.60}")
        return cls(spec["chars"])

    def save(self, path: str | os.PathLike) -> None:
        """Write the vocabulary as JSON (atomically)."""
        atomic_write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CharTokenizer":
        """Read what :meth:`save` wrote; a damaged file raises ``ValueError`` naming it."""
        try:
            spec = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls.from_dict(spec)
        except (ValueError, RecursionError) as error:  # not UTF-8 or JSON, nested too deep, not a tokenizer
            raise ValueError(f"{path}: not a tokenizer file ({error})") from None

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"
