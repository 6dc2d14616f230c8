"""The date generator: every format reads back to its date, seeds reproduce, test days are unseen."""

from __future__ import annotations

import datetime

import pytest

from neuralab.data import dates


@pytest.mark.parametrize("day", [datetime.date(2026, 11, 21), datetime.date(1950, 1, 1), datetime.date(2049, 12, 31),
                                 datetime.date(2000, 2, 29), datetime.date(1999, 3, 3)])
def test_every_format_parses_back_to_the_same_day(day):
    written = [dates.render(day, fmt) for fmt in range(len(dates.FORMATS))]
    assert len(set(written)) == len(written)
    for fmt, text in enumerate(written):
        assert dates.parse(text, fmt) == day, (text, dates.FORMATS[fmt])


def test_the_curriculum_examples_are_among_the_formats():
    day = datetime.date(2026, 11, 21)
    written = {dates.render(day, fmt) for fmt in range(len(dates.FORMATS))}
    assert {"21st of November 2026", "11/21/26", "Saturday, Nov 21 2026", "2026.11.21", "Nov 21, 2026"} <= written
    assert dates.iso(day) == "2026-11-21"
    assert [dates.ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]


def test_splits_are_seeded_and_test_days_never_appear_in_training():
    first, again, other = (dates.make_splits(n_train=3000, n_val=200, n_test=300, seed=s) for s in (7, 7, 8))
    assert first["train"].sources == again["train"].sources and first["test"].targets == again["test"].targets
    assert first["train"].sources != other["train"].sources
    train_days = set(first["train"].days)
    assert not train_days & set(first["test"].days) and not train_days & set(first["val"].days)
    assert not set(first["val"].days) & set(first["test"].days)
    assert len(set(first["train"].formats)) == len(dates.FORMATS)
    for pairs in first.values():
        for source, target, fmt in zip(pairs.sources[:200], pairs.targets[:200], pairs.formats[:200]):
            assert dates.parse(source, fmt).isoformat() == target


def test_a_wrong_weekday_is_refused():
    fmt = [t for t, _ in dates.FORMATS].index("dddd, MMM D YYYY")
    with pytest.raises(ValueError, match="does not match"):
        dates.parse("Monday, Nov 21 2026", fmt)
