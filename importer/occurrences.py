"""Several dated occurrences of one activity: one model for three ways plans write them.

Pure. Labelled dates in one cell ("1) до 20.09 – входная диагностика" …), per-term and monthly
recurrences ("по итогам четвертей", "ежемесячно") and the marks of a month (or term) grid are
all one activity with several dated occurrences. Each occurrence becomes an activity of its
own, titled "activity — label" and sharing the row's `series`: it has its own items, status,
reminders and report row, and keeps its identity (its label) across re-import. /my shows the
next open occurrence of a series (`core.work.my_items`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise

from core.periods import (
    MONTH_NAMES,
    MONTH_NAMES_GENITIVE,
    Period,
    PeriodContext,
    Terms,
    parse_period,
)

ROMAN = ("I", "II", "III", "IV")
_TERM_NAMES = {"quarter": "четверть", "half": "полугодие", "calquarter": "квартал"}


def _last(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _school_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def _term_index(day: date, table: tuple[tuple[tuple[int, int], tuple[int, int]], ...]) -> int:
    for index, (_first, (month, last_day)) in enumerate(table):
        if (day.month, min(day.day, last_day)) == (month, last_day) or (
            day.month == month and day == _last(day.year, month)
        ):
            return index
    return -1


def recurring_occurrences(period: Period, terms: Terms) -> list[Period]:
    """The dated occurrences of a recurrence the grammar lists (each term's, month's or school
    year's end, or a day of each month), labelled; [] for a weekly rhythm or an unknown span."""
    rule = period.recurrence or {}
    days = [date.fromisoformat(text) for text in rule.get("occurrences") or ()]
    if not days or "needs_date" in period.flags:
        return []
    unit = rule.get("every")
    several_years = len({_school_year(d) for d in days}) > 1
    out: list[Period] = []
    for day in days:
        if unit == "month":
            start = day.replace(day=1)
            label = MONTH_NAMES[day.month - 1] + (f" {day.year}" if several_years else "")
            kind = "month" if day == _last(day.year, day.month) else "deadline"
            start_or_none = start if kind == "month" else None
            out.append(Period(kind, start_or_none, day, flags=period.flags, label=label))
            continue
        if unit in ("quarter", "half"):
            table = terms.halves if unit == "half" else terms.quarters
            index = _term_index(day, table)
            if index < 0:
                return []
            (m1, d1), _ = table[index]
            year = day.year if m1 <= day.month else day.year - 1
            start = date(year, m1, d1)
            label = f"{ROMAN[index]} {_TERM_NAMES[unit]}"
            if several_years:
                label += f" {_school_year(day)}/{_school_year(day) + 1}"
        elif unit == "calquarter":
            start = date(day.year, day.month - 2, 1)
            label = f"{ROMAN[(day.month - 1) // 3]} квартал {day.year}"
        else:  # a school year's end
            start = None  # type: ignore[assignment]
            label = f"{_school_year(day)}/{_school_year(day) + 1} уч. год"
        kind = "term" if start is not None else "deadline"
        out.append(Period(kind, start, day, flags=period.flags, label=label))
    return out


def label_of(period: Period) -> str:
    """A part's label: its own, else its date as a person writes it."""
    if period.label:
        return period.label
    due, start = period.due, period.start
    if due is None:
        return "?"
    if period.kind == "month" and start is not None:
        return MONTH_NAMES[due.month - 1]
    if period.kind in ("range", "term") and start is not None and start != due:
        return f"{start:%d.%m}–{due:%d.%m}"
    return f"{'до ' if period.kind == 'deadline' else ''}{due:%d.%m}"


def occurrences(period: Period, terms: Terms) -> list[Period]:
    """The occurrences of one activity's period, or [] when it has one date (or none)."""
    if period.kind == "recurring":
        return recurring_occurrences(period, terms)
    if period.kind == "list" and len(period.parts) > 1 and all(p.due for p in period.parts):
        return [replace(p, label=label_of(p)) for p in period.parts]
    return []


# --- month and term grids ---------------------------------------------------------------------

_MARK_RE = re.compile(r"^[+хxvV✓✔√*•●■✗☑☒]+$|^да$", re.I)
_DAYS_RE = re.compile(r"^\d{1,2}(?:\s*[,;и]\s*\d{1,2})*\.?$")
_WEEK_RE = re.compile(
    r"^(?:(?P<n>\d|i{1,3}|iv|v)\s*-?\s*(?:я|ая)?\s*нед\w*\.?|нед\w*\.?\s*(?P<m>\d))$", re.I
)
_DAY_RANGE_RE = re.compile(r"^(?:с\s*)?(\d{1,2})\s*(?:[-–—]|по)\s*(\d{1,2})\.?$")
_UNTIL_DAY_RE = re.compile(r"^(?:до|к|не\s+позднее)\s*(\d{1,2})(?:\s*-?\s*го)?(?:\s*числа)?\.?$")
_LAST_WEEK_RE = re.compile(r"^последн\w*\s+нед\w*\.?$", re.I)
_ROMAN_NUM = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}


@dataclass(frozen=True)
class Slot:
    """A grid column: a month of the school year, or a term."""

    label: str  # "сентябрь", "I четверть"
    month: int | None = None
    term: tuple[str, int] | None = None  # ("quarter"|"half"|"trimester", n)
    year: int | None = None  # "Январь 2021": the year the header names
    week: int | None = None  # a week column under its month
    to_end: bool = False  # the month's last week column (the fourth or fifth): to its end
    shift: int | None = None  # a month's calendar year: the school year's first (0) or next


@dataclass(frozen=True)
class Legend:
    """What the plan says its marks mean (its legend or notes), by mark."""

    meanings: dict[str, str]

    def of(self, mark: str) -> str | None:
        return self.meanings.get(_mark_key(mark))


def _mark_key(mark: str) -> str:
    mark = mark.strip().lower()
    return {"x": "х", "v": "v", "✔": "✓", "√": "✓"}.get(mark, mark)


_LEGEND_LINE_RE = re.compile(
    r"^\s*[«\"“]?(?P<mark>[+хxvV✓✔√*•●■])[»\"”]?\s*[-–—:=]\s*(?P<meaning>[^\d+].{2,})$"
)


_LEGEND_HEAD_RE = re.compile(r"^\s*(?:условные\s+)?обозначени\w*\s*:?\s*", re.I)


def read_legend(lines: list[str]) -> Legend:
    """Marks the plan explains ("+ – мероприятие проводится в течение месяца")."""
    found: dict[str, str] = {}
    for line in lines:
        for part in re.split(r"[\n;]", line):
            part = _LEGEND_HEAD_RE.sub("", part)
            match = _LEGEND_LINE_RE.match(part)
            if match:
                found[_mark_key(match.group("mark"))] = " ".join(match.group("meaning").split())
    return Legend(found)


_MONTH_END_WORDS = re.compile(r"в\s+течени\w*|конц\w*|до\s+конц|проводит|выполн|планир|срок", re.I)
_BY_DAY_RE = re.compile(r"до\s+(\d{1,2})(?:\s*-?\s*го)?\s+числ", re.I)


def _slot_bounds(slot: Slot, context: PeriodContext) -> tuple[date, date] | None:
    year = context.academic_year
    if year is None and slot.year is None:
        return None
    year = year if year is not None else 0
    if slot.month is not None:
        if slot.year is not None:
            y = slot.year
        elif slot.shift is not None:
            y = year + slot.shift
        else:
            y = year if slot.month >= 9 else year + 1
        first, last = date(y, slot.month, 1), _last(y, slot.month)
        if slot.week is not None:  # days 1-7, 8-14, …; the fifth to the month's end
            start = first + timedelta(days=7 * (slot.week - 1))
            end = last if slot.week >= 5 or slot.to_end else min(start + timedelta(6), last)
            return min(start, last), end
        return first, last
    assert slot.term is not None
    name, number = slot.term
    bounds: tuple[tuple[tuple[int, int], tuple[int, int]], ...]
    if name == "trimester":
        bounds = (((9, 1), (11, 30)), ((12, 1), (2, 28)), ((3, 1), (5, 31)))
    else:
        bounds = context.terms.halves if name == "half" else context.terms.quarters
    if not 1 <= number <= len(bounds):
        return None
    (m1, d1), (m2, d2) = bounds[number - 1]
    y1 = year if m1 >= 9 else year + 1
    y2 = y1 if (m2, d2) >= (m1, d1) else y1 + 1
    return date(y1, m1, d1), _last(y2, m2) if d2 >= 28 else date(y2, m2, d2)


def grid_mark(
    text: str, slot: Slot, context: PeriodContext, legend: Legend, column: str
) -> list[Period]:
    """The occurrences one grid cell gives: a mark (due by the month's or term's end, unless the
    legend says by which day), a day of the month ("15"), a week ("2 нед.": the end of days
    8-14), or a phrase read by the grammar. What cannot be decided is flagged."""
    cell = " ".join(text.split()).strip()
    if not cell:
        return []
    bounds = _slot_bounds(slot, context)
    label = slot.label
    if bounds is None:
        return [Period("unknown", flags=("needs_date",), label=label, note=cell)]
    first, last = bounds
    whole = "month" if slot.month is not None and slot.week is None else "range"
    whole = "term" if slot.term is not None else whole
    if _MARK_RE.match(cell):
        meaning = legend.of(cell[0])
        if meaning is None or (_MONTH_END_WORDS.search(meaning) and not _BY_DAY_RE.search(meaning)):
            return [Period(whole, first, last, label=label)]
        by_day = _BY_DAY_RE.search(meaning)
        if by_day and slot.month is not None and slot.week is None:
            day = min(int(by_day.group(1)), last.day)
            return [Period("deadline", None, first.replace(day=day), label=label)]
        # The legend gives the mark a meaning the reader cannot turn into a date: flagged.
        return [Period(whole, first, last, flags=("ambiguous",), label=label, note=meaning)]
    month_first, month_last = first, last
    if slot.week is not None:  # a day written in a week's column is a day of its month
        month_first, month_last = first.replace(day=1), _last(first.year, first.month)
    if slot.month is not None and (days := _DAY_RANGE_RE.match(cell)):
        low, high = int(days.group(1)), int(days.group(2))
        if 1 <= low < high <= 31:
            flags: tuple[str, ...] = ("clamped_day",) if high > month_last.day else ()
            start, end = (
                month_first.replace(day=min(low, month_last.day)),
                month_first.replace(day=min(high, month_last.day)),
            )
            return [Period("range", start, end, flags=flags, label=label)]
    if slot.month is not None and (by := _UNTIL_DAY_RE.match(cell)):
        day = int(by.group(1))
        if 1 <= day <= 31:
            flags = ("clamped_day",) if day > month_last.day else ()
            return [
                Period(
                    "deadline",
                    None,
                    month_first.replace(day=min(day, month_last.day)),
                    flags=flags,
                    label=label,
                )
            ]
    if slot.month is not None and _DAYS_RE.match(cell):
        out = []
        numbers = re.findall(r"\d{1,2}", cell)
        for number in numbers:
            flags = ()
            if len(numbers) > 1:  # several days in one month: each its own occurrence
                label = f"{int(number)} {MONTH_NAMES_GENITIVE[slot.month - 1]}"
            day = int(number)
            if not 1 <= day <= 31:
                out.append(Period("unknown", flags=("needs_date",), label=label, note=cell))
                continue
            flags = ("clamped_day",) if day > month_last.day else ()
            found = month_first.replace(day=min(day, month_last.day))
            out.append(Period("date", found, found, flags=flags, label=label))
        return out
    week = _WEEK_RE.match(cell)
    if slot.month is not None and (week or _LAST_WEEK_RE.match(cell)):
        if week is None:
            return [Period("deadline", None, last, label=label)]
        raw = (week.group("n") or week.group("m")).lower()
        number = int(raw) if raw.isdigit() else _ROMAN_NUM[raw]
        if not 1 <= number <= 5:
            return [Period("unknown", flags=("needs_date",), label=label, note=cell)]
        end = min(first + timedelta(days=7 * number - 1), last)
        start = first + timedelta(days=7 * (number - 1))
        return [Period("range", min(start, end), end, label=label)]
    period = parse_period(cell, context)
    if not period.dated or period.kind in ("recurring", "list"):
        # Words in the column ("по графику", "педсовет"): in that month (term) by its end, the
        # day not known: flagged, the cell's text kept.
        return [Period(whole, first, last, flags=("ambiguous",), label=label, note=cell)]
    due = period.due
    assert due is not None
    if not first <= due <= last + timedelta(days=31):
        period = replace(period, flags=(*period.flags, "ambiguous"))
    return [replace(period, label=label)]


_YEAR_TAIL_RE = re.compile(r"\s+(\d{4})\s*(?:г\.?|года?)?$")
_TERM_AFTER_RE = re.compile(
    r"(?:^|\s)(i{1,3}|iv|[1-4])\s*-?\s*(?:я|е|й)?\s*(четв\w*|полугод\w*|триместр\w*)\.?$"
)
_TERM_BEFORE_RE = re.compile(r"(?:^|\s)(четв\w*|полугод\w*|триместр\w*)\.?\s+(i{1,3}|iv|[1-4])$")


def slot_of(header: str) -> Slot | None:
    """A grid column's header: a month ("Сентябрь", "сент.", "Январь 2021"), a week of a month
    ("Сентябрь 2": a header of months over week numbers) or a term ("I четверть", "2
    полугодие", "III триместр", "Четверти II"); the last words count ("Сроки проведения
    сентябрь")."""
    text = header.lower().replace("ё", "е").strip()
    year: int | None = None
    if found := _YEAR_TAIL_RE.search(text):
        year, text = int(found.group(1)), text[: found.start()]
    words = text.split()
    if not words or len(words) > 5:
        return None
    from core.periods import month_number

    month = month_number(words[-1].strip(".,"))
    if month is not None:
        return Slot(MONTH_NAMES[month - 1], month=month, year=year)
    if len(words) >= 2 and words[-1].isdigit() and 1 <= int(words[-1]) <= 5:
        month = month_number(words[-2].strip(".,"))
        if month is not None:
            week = int(words[-1])
            return Slot(f"{MONTH_NAMES[month - 1]}, {week} неделя", month=month, week=week)
    joined = " ".join(words)
    after, before = _TERM_AFTER_RE.search(joined), _TERM_BEFORE_RE.search(joined)
    if after is None and before is None:
        return None
    raw, word = (after.group(1), after.group(2)) if after else (before.group(2), before.group(1))  # type: ignore[union-attr]
    number = int(raw) if raw.isdigit() else _ROMAN_NUM[raw]
    name = "quarter" if word.startswith("четв") else "trimester"
    if word.startswith("пол"):
        name = "half"
    limit = {"quarter": 4, "half": 2, "trimester": 3}[name]
    if number > limit:
        return None
    noun = {"quarter": "четверть", "half": "полугодие", "trimester": "триместр"}[name]
    return Slot(f"{ROMAN[number - 1]} {noun}", term=(name, number))


def _bare(cells: list[str], slots: dict[int, Slot]) -> bool:
    """A row of names only: each a month (with its year) or a term alone, side by side (empty
    cells between, as a merge leaves)."""
    if any(len(cells[i].split()) > 3 for i in slots):
        return False
    columns = sorted(slots)
    between = range(columns[0], columns[-1] + 1)
    return not any(cells[i].strip() for i in between if i not in slots)


def _in_order(slots: dict[int, Slot]) -> dict[int, Slot] | None:
    """Months left to right as a year runs (once round at most: "Август … Июнь"), each given
    the school year's first or second calendar year; terms in their order. None otherwise."""
    ordered = [slots[i] for i in sorted(slots)]
    if ordered[0].term is not None:
        numbers = [s.term[1] for s in ordered if s.term is not None]
        return slots if numbers == sorted(numbers) else None
    months = [s.month or 0 for s in ordered]
    turns = sum(1 for a, b in pairwise(months) if b < a)
    if turns > 1 or (turns == 1 and months[-1] > months[0]):
        return None
    shift = 0 if months[0] >= 7 else 1  # a grid opening in July-December: the first year
    out: dict[int, Slot] = {}
    previous = months[0]
    for index in sorted(slots):
        slot = slots[index]
        if (slot.month or 0) < previous:
            shift += 1
        previous = slot.month or 0
        out[index] = replace(slot, shift=shift)
    return out


def grid_slots(cells: list[str], *, bare: bool = True) -> dict[int, Slot]:
    """The grid columns of a header row: three or more months, or two or more terms; with
    `bare` (a row as read, not a header combined from two rows) only names side by side."""
    slots = {i: s for i, c in enumerate(cells) if (s := slot_of(c)) is not None}
    if bare and slots and not _bare(cells, slots):
        return {}
    if slots:
        slots = _in_order(slots) or {}
    months = {i: s for i, s in slots.items() if s.month is not None}
    terms = {i: s for i, s in slots.items() if s.term is not None}
    if len({s.month for s in months.values()}) >= 3:
        weeks: dict[int, int] = {}
        for slot in months.values():
            if slot.week is not None and slot.month is not None:
                weeks[slot.month] = max(weeks.get(slot.month, 0), slot.week)
        return {
            i: replace(s, to_end=True)
            if s.week is not None and s.week >= 4 and s.week == weeks.get(s.month or 0)
            else s
            for i, s in months.items()
        }
    if len({s.term for s in terms.values()}) >= 2:
        return terms
    return {}
