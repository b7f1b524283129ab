"""Working days: weekends and Russian public holidays with the government's transfers.

The calendar is the `holidays` package's (country RU): it knows the holidays, the days off
moved by decree and the Saturdays that become working days; nothing here is hand-written.
Pure: no I/O beyond the package's own tables.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

MAX_SHIFT = 14  # the longest run of days off (New Year) is well under this


@lru_cache(maxsize=4)
def _calendar(country: str) -> holidays.HolidayBase:
    import holidays  # a few MB: loaded by the first planning, not at start-up

    return holidays.country_holidays(country, language="ru")


@lru_cache(maxsize=8192)
def is_working_day(day: date, country: str = "RU") -> bool:
    """Not a weekend (unless a transferred working Saturday) and not a public holiday."""
    return bool(_calendar(country).is_working_day(day))


def holiday_name(day: date, country: str = "RU") -> str | None:
    """The public holiday (or day off moved by decree) on `day`, in Russian; None otherwise."""
    name = _calendar(country).get(day)
    return str(name) if name else None


def previous_working_day(day: date, country: str = "RU") -> date:
    """`day` itself when it is a working day, else the last working day before it."""
    for back in range(MAX_SHIFT + 1):
        candidate = day - timedelta(days=back)
        if is_working_day(candidate, country):
            return candidate
    return day


def next_working_day(day: date, country: str = "RU") -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    for ahead in range(MAX_SHIFT + 1):
        candidate = day + timedelta(days=ahead)
        if is_working_day(candidate, country):
            return candidate
    return day
