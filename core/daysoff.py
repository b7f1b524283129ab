"""Days reminders keep away from: weekends and public holidays, school holidays, pauses. Pure.

A reminder that leads up to something and falls on a day off comes on the last working day
before it (before the holidays begin, for school holidays); one about something already late
comes on the first working day after. A pause is different: nothing planned inside it is sent
at all, and one summary follows its end (`core.planner`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from core.workdays import holiday_name, is_working_day

HOLIDAYS = "holidays"
PAUSE = "pause"
MAX_STEPS = 800  # two school years of consecutive days off: a bound, never reached


@dataclass(frozen=True, slots=True)
class Break:
    """School holidays or a pause of a plan (or one school of it), both ends inclusive."""

    kind: str
    first: date
    last: date
    title: str
    ref_id: int = 0
    school_id: int | None = None  # None: the whole plan

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


def holidays_on(day: date, breaks: Iterable[Break]) -> Break | None:
    """The school holidays that include `day`, if any."""
    for item in breaks:
        if item.kind == HOLIDAYS and item.covers(day):
            return item
    return None


def pause_on(day: date, breaks: Iterable[Break]) -> Break | None:
    """The pause that includes `day`, if any."""
    for item in breaks:
        if item.kind == PAUSE and item.covers(day):
            return item
    return None


def earlier(day: date, breaks: tuple[Break, ...], working_only: bool) -> date:
    """`day`, or the last day before it that is neither in school holidays nor (when asked) off."""
    for _ in range(MAX_STEPS):
        spell = holidays_on(day, breaks)
        if spell is not None:
            day = spell.first - timedelta(days=1)
        elif working_only and not is_working_day(day):
            day -= timedelta(days=1)
        else:
            return day
    return day


def later(day: date, breaks: tuple[Break, ...], working_only: bool) -> date:
    """`day`, or the first day after it that is neither in school holidays nor (when asked) off."""
    for _ in range(MAX_STEPS):
        spell = holidays_on(day, breaks)
        if spell is not None:
            day = spell.last + timedelta(days=1)
        elif working_only and not is_working_day(day):
            day += timedelta(days=1)
        else:
            return day
    return day


def off_reason(
    day: date, breaks: Iterable[Break] = (), working_only: bool = True
) -> tuple[str, str] | None:
    """(kind, name) of why `day` is off: pause, holidays (school), holiday (public), weekend."""
    spells = tuple(breaks)
    pause = pause_on(day, spells)
    if pause is not None:
        return PAUSE, pause.title
    spell = holidays_on(day, spells)
    if spell is not None:
        return HOLIDAYS, spell.title
    if not working_only or is_working_day(day):
        return None
    name = holiday_name(day)
    return ("holiday", name) if name else ("weekend", "")


_LABELS = {PAUSE: "пауза", HOLIDAYS: "каникулы", "holiday": "праздник", "weekend": "выходной"}


def why_off(day: date, breaks: Iterable[Break] = (), working_only: bool = True) -> str | None:
    """Why nothing is sent on `day` ("праздник: День народного единства"), or None."""
    reason = off_reason(day, breaks, working_only)
    if reason is None:
        return None
    kind, name = reason
    return f"{_LABELS[kind]}: {name}" if name else _LABELS[kind]
