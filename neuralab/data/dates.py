"""Dates written in many human formats, paired with their ISO form: a seq2seq toy task.

    "21st of November 2026", "11/21/26", "Saturday, Nov 21 2026", "2026.11.21",
    "Nov 21, 2026", ...                                     ->  "2026-11-21"

Each format is a template of tokens (``YYYY``, ``YY``, ``MM``, ``M``, ``DD``, ``D``, ``Do``
= ordinal day, ``MMMM``/``MMM`` = month name/abbreviation, ``dddd``/``ddd`` = weekday
name/abbreviation) plus a letter case. Days lie in 1950-01-01 .. 2049-12-31, so a
two-digit year is never ambiguous (``YY < 50`` is 20YY). Slashes are always
month/day (US), dots with the day first are day.month.year with a four-digit year, so
every string has exactly one reading; :func:`parse` reads one back.

:func:`make_splits` draws the held-out days first: no test day (in any format) occurs in
training, so the test measures generalisation to unseen dates.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import numpy as np

FIRST_DAY = datetime.date(1950, 1, 1)
LAST_DAY = datetime.date(2049, 12, 31)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# (template, case): case is "title" (as written), "lower" or "upper".
FORMATS: tuple[tuple[str, str], ...] = (
    ("Do of MMMM YYYY", "title"),
    ("MM/DD/YY", "title"),
    ("dddd, MMM D YYYY", "title"),
    ("YYYY.MM.DD", "title"),
    ("MMM D, YYYY", "title"),
    ("D MMMM YYYY", "title"),
    ("MMMM D, YYYY", "title"),
    ("DD.MM.YYYY", "title"),
    ("YYYY/MM/DD", "title"),
    ("D-MMM-YYYY", "title"),
    ("dddd D MMMM YYYY", "lower"),
    ("MMM D YYYY", "upper"),
    ("M/D/YYYY", "title"),
    ("MMMM Do, YYYY", "title"),
    ("ddd, D MMM YYYY", "title"),
    ("the Do of MMMM, YYYY", "lower"),
    ("D MMM YY", "title"),
    ("YYYY-MM-DD", "title"),
)
_TOKEN = re.compile(r"YYYY|YY|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd")


def ordinal(day: int) -> str:
    """``1`` -> ``"1st"``, ``22`` -> ``"22nd"``, ``13`` -> ``"13th"``."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _render_token(token: str, day: datetime.date) -> str:
    return {
        "YYYY": f"{day.year:04d}", "YY": f"{day.year % 100:02d}", "MMMM": MONTHS[day.month - 1],
        "MMM": MONTHS[day.month - 1][:3], "MM": f"{day.month:02d}", "M": str(day.month), "Do": ordinal(day.day),
        "DD": f"{day.day:02d}", "D": str(day.day), "dddd": WEEKDAYS[day.weekday()], "ddd": WEEKDAYS[day.weekday()][:3],
    }[token]


def render(day: datetime.date, fmt: int) -> str:
    """``day`` written in format number ``fmt`` of :data:`FORMATS`."""
    template, case = FORMATS[fmt]
    text = _TOKEN.sub(lambda m: _render_token(m.group(0), day), template)
    return text.lower() if case == "lower" else text.upper() if case == "upper" else text


def iso(day: datetime.date) -> str:
    """The target: ``YYYY-MM-DD``."""
    return day.isoformat()


_PATTERNS = {"YYYY": r"(?P<Y>\d{4})", "YY": r"(?P<y>\d{2})", "MMMM": r"(?P<B>[a-z]+)", "MMM": r"(?P<b>[a-z]{3})",
             "MM": r"(?P<m>\d{2})", "M": r"(?P<m>\d{1,2})", "Do": r"(?P<d>\d{1,2})(?:st|nd|rd|th)",
             "DD": r"(?P<d>\d{2})", "D": r"(?P<d>\d{1,2})", "dddd": r"(?P<A>[a-z]+)", "ddd": r"(?P<a>[a-z]{3})"}


def parse(text: str, fmt: int) -> datetime.date:
    """Read ``text`` written in format ``fmt`` back into a date (checking a named weekday)."""
    template, _ = FORMATS[fmt]
    pieces, last = [], 0
    for match in _TOKEN.finditer(template):
        pieces.append(re.escape(template[last:match.start()].lower()))
        pieces.append(_PATTERNS[match.group(0)])
        last = match.end()
    pieces.append(re.escape(template[last:].lower()))
    found = re.fullmatch("".join(pieces), text.lower())
    if not found:
        raise ValueError(f"{text!r} is not in format {template!r}")
    g = found.groupdict()
    year = int(g["Y"]) if g.get("Y") else (2000 if int(g["y"]) < 50 else 1900) + int(g["y"])
    names = [m.lower() for m in MONTHS]
    month = int(g["m"]) if g.get("m") else (names.index(g["B"]) + 1 if g.get("B") else [n[:3] for n in names].index(g["b"]) + 1)
    day = datetime.date(year, month, int(g["d"]))
    weekday = g.get("A") or g.get("a")
    if weekday and WEEKDAYS[day.weekday()].lower()[:len(weekday)] != weekday:
        raise ValueError(f"{text!r}: {weekday} does not match {day.isoformat()}")
    return day


@dataclass(frozen=True)
class DatePairs:
    """Parallel lists: ``sources`` (human formats), ``targets`` (ISO), ``days`` and ``formats``."""

    sources: list[str]
    targets: list[str]
    days: list[datetime.date]
    formats: list[int]

    def __len__(self) -> int:
        return len(self.sources)


def _pairs(day_numbers: np.ndarray, rng: np.random.Generator) -> DatePairs:
    days = [FIRST_DAY + datetime.timedelta(days=int(n)) for n in day_numbers]
    formats = [int(f) for f in rng.integers(0, len(FORMATS), size=len(days))]
    return DatePairs([render(d, f) for d, f in zip(days, formats)], [iso(d) for d in days], days, formats)


def make_splits(n_train: int = 20000, n_val: int = 1000, n_test: int = 2000, seed: int = 0) -> dict[str, DatePairs]:
    """``{"train", "val", "test"}`` pairs; val and test days never occur in train."""
    total_days = (LAST_DAY - FIRST_DAY).days + 1
    if n_val + n_test >= total_days // 2:
        raise ValueError(f"n_val + n_test must stay below {total_days // 2} days")
    rng = np.random.default_rng(seed)
    order = rng.permutation(total_days)
    test_days, val_days, pool = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    train_days = rng.choice(pool, size=n_train, replace=n_train > len(pool))
    return {"train": _pairs(train_days, rng), "val": _pairs(val_days, rng), "test": _pairs(test_days, rng)}


def fetch(**_: object):
    """Nothing to cache: the pairs are generated from a seed on each load."""
    import time  # noqa: PLC0415

    from neuralab.data.splits import FetchInfo  # noqa: PLC0415

    start = time.perf_counter()
    splits = make_splits()
    return FetchInfo(name="dates", action="generated", source="on each load, from a seed (nothing to cache)",
                     counts={k: len(v) for k, v in splits.items()}, unit="pairs", seconds=time.perf_counter() - start)
