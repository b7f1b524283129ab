"""Parse the date and time a coordinator types for a seminar: '15.12.2026 14:00', '15 декабря в 10'.

Pure: no I/O. A missing year means the next such day from today; a missing time is allowed
(the seminar then has a day but no hour).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from core.periods import month_number

_NUMERIC = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?(?:\s*г\.?)?$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_RELATIVE = {"сегодня": 0, "завтра": 1, "послезавтра": 2}


class WhenError(ValueError):
    """The text is not a date (code 'format') or names a day in the past (code 'past')."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class When:
    day: date
    at: time | None


def parse_when(text: str, today: date) -> When:
    """The day and optional time written in `text`, relative to `today` (not before it)."""
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w and w not in ("в", "во")]
    if not words:
        raise WhenError("format")
    day, rest = _day(words, today)
    at = _time(rest)
    if day < today:
        raise WhenError("past")
    return When(day, at)


def _day(words: list[str], today: date) -> tuple[date, list[str]]:
    first = words[0]
    if first in _RELATIVE:
        return today + timedelta(days=_RELATIVE[first]), words[1:]
    numeric = _NUMERIC.match(first)
    if numeric:
        day, month, year = numeric.groups()
        return _make(int(day), int(month), _year(year), today), words[1:]
    if first.isdigit() and len(words) > 1 and (month := month_number(words[1])) is not None:
        rest = words[2:]
        year = None
        if rest and re.fullmatch(r"\d{4}", rest[0]):
            year, rest = int(rest[0]), rest[1:]
            if rest and rest[0].rstrip(".") in ("г", "года"):
                rest = rest[1:]
        return _make(int(first), month, year, today), rest
    raise WhenError("format")


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _make(day: int, month: int, year: int | None, today: date) -> date:
    try:
        if year is not None:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
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
