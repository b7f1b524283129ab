"""Dates people type and read: the school year a date belongs to, whether it is shown with its
year, and the seminar grammar ('15.12.2026 14:00', '15 декабря в 10').

Pure: no I/O. A missing year is the plan's school year's (September to December: its first
year); a missing time is allowed (the seminar then has a day but no hour).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from core.periods import month_number

_NUMERIC = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?(?:\s*г\.?)?$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_RELATIVE = {"сегодня": 0, "завтра": 1, "послезавтра": 2}


def local_moment(moment: datetime, zone: str | tzinfo) -> datetime:
    """`moment` on the clock of `zone`, to the minute and without tzinfo: the one rule by which
    every document and the dashboard show a time (in the plan's zone, named beside it)."""
    where = ZoneInfo(zone) if isinstance(zone, str) else zone
    return moment.astimezone(where).replace(tzinfo=None, second=0, microsecond=0)


def academic_year(day: date) -> int:
    """Y of the school year Y/Y+1 (1 September to 31 August) that `day` belongs to."""
    return day.year if day.month >= 9 else day.year - 1


def needs_year(day: date, today: date) -> bool:
    """Whether `day` is shown with its year: it lies outside the school year of `today`."""
    return academic_year(day) != academic_year(today)


def school_year_span(today: date) -> tuple[date, date]:
    """The first and last day of the school year of `today`: dates inside it go without a year
    (what the dashboard page is given to apply needs_year)."""
    year = academic_year(today)
    return date(year, 9, 1), date(year + 1, 8, 31)


def in_school_year(day: int, month: int, year: int) -> date:
    """The date of `day`.`month` in the school year `year`/`year`+1 (ValueError if none)."""
    return date(year if month >= 9 else year + 1, month, day)


def later_fit(day: date, today: date) -> date | None:
    """The same day and month in the first later year where it is not before `today`: what a
    date typed without a year could have meant once its school year's is past."""
    for year in range(max(day.year + 1, today.year), today.year + 5):
        try:
            found = date(year, day.month, day.day)
        except ValueError:  # 29 February
            continue
        if found >= today:
            return found
    return None


def later_span(first: date, last: date, today: date) -> tuple[date, date] | None:
    """A past span typed without a year, moved by whole years until its end is not past."""
    end = later_fit(last, today)
    if end is None:
        return None
    try:
        return first.replace(year=first.year + end.year - last.year), end
    except ValueError:  # 29 February
        return None


class WhenError(ValueError):
    """The text is not a date (code 'format') or names a day in the past (code 'past'); a past
    `day` typed without a year carries `later`, the same day of a later year, to confirm."""

    def __init__(
        self, code: str, day: date | None = None, later: date | None = None, at: time | None = None
    ) -> None:
        super().__init__(code)
        self.code = code
        self.day = day
        self.later = later
        self.at = at  # the time typed with a past day, kept for its later year's


def refuse_past(day: date, today: date, year_given: bool) -> None:
    """WhenError('past') for a day before `today`; a later year's is offered only when the year
    was not typed."""
    if day < today:
        raise WhenError("past", day, None if year_given else later_fit(day, today))


@dataclass(frozen=True)
class When:
    day: date
    at: time | None


def parse_when(text: str, today: date, school_year: int | None = None) -> When:
    """The day and optional time written in `text`, not before `today`; a day without a year is
    in `school_year` (the plan's; by default the one `today` is in)."""
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w and w not in ("в", "во")]
    if not words:
        raise WhenError("format")
    year = academic_year(today) if school_year is None else school_year
    day, rest, year_given = _day(words, today, year)
    at = _time(rest)
    try:
        refuse_past(day, today, year_given)
    except WhenError as past:
        past.at = at
        raise
    return When(day, at)


def _day(words: list[str], today: date, school_year: int) -> tuple[date, list[str], bool]:
    first = words[0]
    if first in _RELATIVE:
        return today + timedelta(days=_RELATIVE[first]), words[1:], True
    numeric = _NUMERIC.match(first)
    if numeric:
        day, month, year = numeric.groups()
        found = _make(int(day), int(month), _year(year), school_year)
        return found, words[1:], year is not None
    if first.isdigit() and len(words) > 1 and (month := month_number(words[1])) is not None:
        rest = words[2:]
        given = None
        if rest and re.fullmatch(r"\d{4}", rest[0]):
            given, rest = int(rest[0]), rest[1:]
            if rest and rest[0].rstrip(".") in ("г", "года"):
                rest = rest[1:]
        return _make(int(first), month, given, school_year), rest, given is not None
    raise WhenError("format")


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _make(day: int, month: int, year: int | None, school_year: int) -> date:
    try:
        if year is not None:
            return date(year, month, day)
        return in_school_year(day, month, school_year)
    except ValueError:
        raise WhenError("format") from None


def _time(words: list[str]) -> time | None:
    if not words:
        return None
    if len(words) > 1:
        raise WhenError("format")
    match = _TIME.match(words[0].removesuffix("ч"))
    if not match:
        raise WhenError("format")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise WhenError("format")
    return time(hour, minute)
