"""Russian period grammar: the text of a "Сроки" cell -> start/due dates, recurrence and flags.

Pure module (no I/O). `parse_period(text, context)` never raises: anything it cannot read comes
back as kind "unknown" with the flag `needs_date`, so a person decides instead of a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

KINDS = (
    "date",
    "deadline",
    "month",
    "range",
    "term",
    "academic_year",
    "years",
    "recurring",
    "list",
    "relative",
    "unknown",
)

# The month names a person reads (a plan's "ноябрь", a date's "5 ноября"): one list for all.
MONTH_NAMES = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
MONTH_NAMES_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip

_MONTHS = {
    "январ": 1,
    "янв": 1,
    "феврал": 2,
    "фев": 2,
    "март": 3,
    "мар": 3,
    "апрел": 4,
    "апр": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "авг": 8,
    "сентябр": 9,
    "сен": 9,
    "сент": 9,
    "октябр": 10,
    "окт": 10,
    "ноябр": 11,
    "ноя": 11,
    "нояб": 11,
    "декабр": 12,
    "дек": 12,
}
_MONTH_RE = re.compile(
    r"^(январ[ьяе]|янв|феврал[ьяе]|февр?|марта?|марте|мар|апрел[ьяе]|апр|ма[йяе]|июн[ьяе]?"
    r"|июл[ьяе]?|августа?|августе|авг|сентябр[ьяе]|сентяб|сент?|октябр[ьяе]|окт|ноябр[ьяе]|нояб?"
    r"|декабр[ьяе]|дек)$"
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "і": 1, "іі": 2, "ііі": 3, "іv": 4}
_WEEKDAYS = {
    "понедельник": 1,
    "вторник": 2,
    "сред": 3,
    "четверг": 4,
    "пятниц": 5,
    "суббот": 6,
    "воскресень": 7,
}
_RELATIVE_MARKERS = (
    "по окончани",
    "по завершени",
    "по итогам",
    "по графику",
    "по мере",
    "по плану",
    "по запросу",
    "по согласованию",
    "по необходимости",
    "по приказу",
    "после ",
    "по факту",
    "по результатам",
    "при необходимости",
    "по расписанию",
    "в соответствии",
    "постоянно",
    "систематически",
)


@dataclass(frozen=True)
class Terms:
    """School term boundaries as (month, day) pairs; a plan may override the defaults."""

    quarters: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (
        ((9, 1), (10, 31)),
        ((11, 1), (12, 31)),
        ((1, 1), (3, 31)),
        ((4, 1), (5, 31)),
    )
    halves: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (
        ((9, 1), (12, 31)),
        ((1, 1), (5, 31)),
    )


@dataclass(frozen=True)
class PeriodContext:
    """What the plan tells about time: its academic year Y (for Y/Y+1) and term boundaries."""

    academic_year: int | None = None
    terms: Terms = field(default_factory=Terms)
    span: tuple[date, date] | None = None  # the plan's whole period, bounds recurring items

    def plan_span(self) -> tuple[date, date] | None:
        if self.span is not None:
            return self.span
        if self.academic_year is not None:
            return date(self.academic_year, 9, 1), date(self.academic_year + 1, 8, 31)
        return None


@dataclass(frozen=True)
class Period:
    """The understood meaning of a period phrase."""

    kind: str
    start: date | None = None
    due: date | None = None
    recurrence: dict[str, Any] | None = None
    parts: tuple[Period, ...] = ()
    flags: tuple[str, ...] = ()
    time: str | None = None  # "18:00" when the phrase names a clock time
    zone: str | None = None  # IANA zone when named ("мск"); None: the plan's zone
    note: str | None = None  # "(по согласованию)" after a period: kept, not parsed
    label: str | None = None  # "математика" in "математика – 15.03"

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: kind, start, due, recurrence, parts, flags, time, zone, note."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "start": self.start.isoformat() if self.start else None,
            "due": self.due.isoformat() if self.due else None,
            "recurrence": self.recurrence,
            "parts": [p.to_json() for p in self.parts],
            "flags": list(self.flags),
        }
        for name in ("time", "zone", "note", "label"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @property
    def dated(self) -> bool:
        """A due date (or a recurrence) was understood."""
        return self.due is not None or (self.kind == "recurring" and "needs_date" not in self.flags)


def _flagged(period: Period, *flags: str) -> Period:
    merged = tuple(dict.fromkeys((*period.flags, *flags)))
    return replace(period, flags=merged)


UNKNOWN = Period("unknown", flags=("needs_date",))


# --- tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tok:
    """One token: kind in NUM, DATE, MONTH, ROMAN, TERM, WORD, DASH, SEP, SLASH."""

    kind: str
    text: str
    value: Any = None


_TOKEN_RE = re.compile(
    r"(?P<DATE>\d{1,2}\.\d{1,2}(?:\.\d{2,5})?(?!\d))"
    r"|(?P<NUM>\d+)"
    r"|(?P<WORD>[a-zа-яёіі]+\.?)"
    r"|(?P<DASH>-)"
    r"|(?P<SLASH>/)"
    r"|(?P<SEP>[,;\n]|\bи\b)"
    r"|(?P<SKIP>.)",
    re.S,
)
_NOISE = {"г", "г.", "гг", "гг.", "года", "год", "году", "годы", "годов", "гг.г.", "г.г."}


def normalize(text: str) -> str:
    """Lower case, one kind of dash, no markup or parentheses, collapsed spaces."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("\\n", "\n").lower().replace("ё", "е")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"[()\[\]«»\"]", " ", text)
    text = re.sub(r"\s*-\s*", "-", text)  # a line break next to a dash continues the range
    text = re.sub(r"(\d)([а-я])", r"\1 \2", text)
    text = re.sub(r"(?<![a-zа-я])([ivx]{1,4})(?=[а-я])", r"\1 ", text)  # "IIчетверть"
    text = re.sub(r"([а-я])(\d)", r"\1 \2", text)
    text = re.sub(r"г\.\s*г\.?", "гг.", text)
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def tokenize(text: str) -> list[Tok]:
    """Tokens of a normalized phrase; noise words (г., года) are dropped."""
    tokens: list[Tok] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "SKIP"
        raw = match.group(0)
        if kind == "SKIP":
            continue
        if kind == "WORD":
            word = raw.rstrip(".")
            if raw in _NOISE or word in _NOISE:
                continue
            if word == "и":
                tokens.append(Tok("SEP", raw))
            elif _MONTH_RE.match(word):
                tokens.append(Tok("MONTH", raw, _month_of(word)))
            elif word in _ROMAN:
                tokens.append(Tok("ROMAN", raw, _ROMAN[word]))
            elif _term_name(word):
                tokens.append(Tok("TERM", word, _term_name(word)))
            else:
                tokens.append(Tok("WORD", word))
        elif kind == "NUM":
            tokens.append(Tok("NUM", raw, int(raw)))
        elif kind == "DATE":
            parts = raw.split(".")
            tokens.append(
                Tok(
                    "DATE",
                    raw,
                    (int(parts[0]), int(parts[1]), parts[2] if len(parts) > 2 else None),
                )
            )
        else:
            tokens.append(Tok(kind, raw))
    return tokens


_TERM_WORDS = {"четверт": "quarter", "полугод": "half", "квартал": "calquarter"}


def _term_name(word: str) -> str | None:
    if word in ("четв", "полуг", "полугод"):  # "I четв.", "II полуг."
        return "quarter" if word == "четв" else "half"
    for stem, name in _TERM_WORDS.items():
        if word.startswith(stem):
            return name
    return None


def _month_of(word: str) -> int:
    for stem in sorted(_MONTHS, key=len, reverse=True):
        if word.startswith(stem):
            return _MONTHS[stem]
    raise ValueError(word)  # unreachable: _MONTH_RE matched


# --- helpers ---------------------------------------------------------------------------------


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _day(year: int, month: int, day: int, flags: list[str]) -> date | None:
    if not (1 <= month <= 12) or day < 1 or not (1900 <= year <= 2200):
        return None
    last = _last_day(year, month)
    if day > last:
        if day > 31:
            return None
        flags.append("clamped_day")
        day = last
    return date(year, month, day)


def _fix_year(raw: str, flags: list[str], near: int | None = None) -> int | None:
    """A 4-digit year, a 2-digit one (20 -> 2020), or a 5-digit typo repaired when unambiguous."""
    if len(raw) == 4:
        return int(raw)
    if len(raw) == 2:
        return 2000 + int(raw)
    if len(raw) == 5:
        options = sorted({int(raw[:i] + raw[i + 1 :]) for i in range(5)} & set(range(1990, 2100)))
        if near is not None:
            later = [y for y in options if y >= near]
            options = later[:1] if later else options
        if len(options) == 1:
            flags.append("typo_fixed")
            return options[0]
    return None


def _infer_year(month: int, context: PeriodContext, flags: list[str]) -> int | None:
    if context.academic_year is None:
        return None
    flags.append("year_inferred")
    return context.academic_year if month >= 9 else context.academic_year + 1


# --- points: the smallest dated things ---------------------------------------------------------


@dataclass
class Point:
    """A dated thing before years are settled: a day, a month, a year, or a term."""

    kind: str  # day | month | year | term
    month: int | None = None
    day: int | None = None
    year: int | None = None
    term: tuple[str, int] | None = None  # ("quarter"|"half"|"calquarter", n)

    def bounds(self, context: PeriodContext, flags: list[str]) -> tuple[date, date] | None:
        if self.kind == "year":
            assert self.year is not None
            return date(self.year, 1, 1), date(self.year, 12, 31)
        if self.kind == "term":
            return self._term_bounds(context, flags)
        assert self.month is not None
        year = self.year if self.year is not None else _infer_year(self.month, context, flags)
        if year is None:
            return None
        if self.kind == "month":
            return date(year, self.month, 1), date(year, self.month, _last_day(year, self.month))
        assert self.day is not None
        found = _day(year, self.month, self.day, flags)
        return (found, found) if found else None

    def _term_bounds(self, context: PeriodContext, flags: list[str]) -> tuple[date, date] | None:
        assert self.term is not None
        name, number = self.term
        if name == "calquarter":
            year = self.year
            if year is None:
                if context.academic_year is None:
                    return None
                flags.append("year_inferred")
                year = context.academic_year + (0 if number >= 3 else 1)
            first = 3 * (number - 1) + 1
            return date(year, first, 1), date(year, first + 2, _last_day(year, first + 2))
        table = context.terms.quarters if name == "quarter" else context.terms.halves
        if not 1 <= number <= len(table):
            return None
        (m1, d1), (m2, d2) = table[number - 1]
        base = self.year
        if base is None:
            if context.academic_year is None:
                return None
            flags.append("year_inferred")
            base = context.academic_year
            y1 = base if m1 >= 9 else base + 1
        else:  # "II полугодие 2021": the calendar year named is the one the term falls in
            y1 = base
        y2 = y1 if (m2, d2) >= (m1, d1) else y1 + 1
        return date(y1, m1, min(d1, _last_day(y1, m1))), date(y2, m2, min(d2, _last_day(y2, m2)))


def _term_word(tok: Tok | None) -> str | None:
    return str(tok.value) if tok is not None and tok.kind == "TERM" else None


class _Parser:
    """Recursive descent over the tokens of one list part."""

    def __init__(self, tokens: list[Tok], context: PeriodContext, flags: list[str]) -> None:
        self.toks = tokens
        self.i = 0
        self.context = context
        self.flags = flags

    def peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.kind == kind

    def year_after(self, near: int | None = None) -> int | None:
        """An optional year right here; "октябрь - 2019 ..." also names October's year."""
        if (
            self.at("DASH")
            and self.at("NUM", 1)
            and not self.at("DASH", 2)
            and self.peek(2) is not None
        ):
            tok = self.peek(1)
            assert tok is not None
            if len(tok.text) == 4:
                self.i += 2
                return int(tok.text)
        tok = self.peek()
        if tok is not None and tok.kind == "NUM" and len(tok.text) in (4, 5):
            year = _fix_year(tok.text, self.flags, near)
            if year is not None:
                self.i += 1
                return year
        return None

    def point(self, near: int | None = None) -> Point | None:
        """DATE | DAY MONTH [YEAR] | MONTH [YEAR] | YEAR | (ROMAN|NUM) TERM [YEAR]."""
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind == "DATE":
            self.take()
            day, month, year_text = tok.value
            year = _fix_year(year_text, self.flags, near) if year_text else self.year_after(near)
            if year_text and year is None:
                return None
            return Point("day", month=month, day=day, year=year)
        if tok.kind in ("ROMAN", "NUM") and _term_word(self.peek(1)):
            number = tok.value
            name = _term_word(self.peek(1))
            self.i += 2
            return Point("term", term=(name or "quarter", number), year=self.year_after())
        if tok.kind == "NUM" and self.at("MONTH", 1) and len(tok.text) <= 2:
            self.take()
            month = self.take().value
            return Point("day", month=month, day=tok.value, year=self.year_after(near))
        if tok.kind == "MONTH":
            self.take()
            return Point("month", month=tok.value, year=self.year_after(near))
        if tok.kind == "NUM" and len(tok.text) in (4, 5):
            year = _fix_year(tok.text, self.flags, near)
            if year is not None:
                self.take()
                return Point("year", year=year)
        return None


# --- the grammar -------------------------------------------------------------------------------


def _words(tokens: list[Tok]) -> list[str]:
    return [t.text for t in tokens if t.kind == "WORD"]


# Whole words only: "учебного года", "уч. год", "уч.г.", never "учитель" or "учебный план".
_ACADEMIC_RE = re.compile(r"(?<![а-я])(?:учебн[а-я]*|уч)\.?\s*(?:год[а-я]*|гг?)(?![а-я])")
_YEAR_WORD_RE = re.compile(r"(?<![а-я])(?:год|года|году|годы|гг|г)(?![а-я])")


def _academic(
    tokens: list[Tok], norm: str, context: PeriodContext, flags: list[str]
) -> Period | None:
    """'в течение (учебного) года', '2020/2021 учебного года', '2021-2022 уч.г.'."""
    words = _words(tokens)
    academic_word = _ACADEMIC_RE.search(norm) is not None
    during = any(w == "теч" or w.startswith("течени") for w in words)
    nums = [t for t in tokens if t.kind == "NUM" and len(t.text) in (4, 5)]
    if not academic_word and not _YEAR_WORD_RE.search(norm):
        return None
    if any(t.kind in ("MONTH", "DATE", "ROMAN", "TERM") for t in tokens):
        return None
    if nums:
        first = _fix_year(nums[0].text, flags)
        if first is None:
            return None
        if len(nums) == 2:
            second = _fix_year(nums[1].text, flags, first)
            if second != first + 1:
                return None
        if academic_word or (len(nums) == 2 and any(t.kind == "SLASH" for t in tokens)):
            return Period(
                "academic_year", date(first, 9, 1), date(first + 1, 8, 31), flags=tuple(flags)
            )
        if during and len(nums) == 1:  # "в течение 2021 года"
            return Period("years", date(first, 1, 1), date(first, 12, 31), flags=tuple(flags))
        return None
    if during or academic_word:
        if context.academic_year is None:
            return Period("academic_year", flags=(*flags, "needs_date"))
        y = context.academic_year
        return Period(
            "academic_year", date(y, 9, 1), date(y + 1, 8, 31), flags=(*flags, "year_inferred")
        )
    return None


_FREQUENCY_UNITS = (
    ("четверт", "quarter"),
    ("триместр", "quarter"),
    ("полугод", "half"),
    ("квартал", "calquarter"),
    ("месяц", "month"),
    ("год", "year"),
    ("недел", "week"),
)
_TIMES = {"один": 1, "одного": 1, "два": 2, "двух": 2, "три": 3, "трех": 3}
_PER_TERM_RE = re.compile(
    r"(?:(\d+|один|два|три|не\s+реже\s+(?:\d+|одного|двух|трех))\s+)?раз[аи]?\s+в\s+"
    r"(четверт|триместр|полугод|квартал|месяц|год|недел)"
)
_BY_TERMS_RE = re.compile(r"(?<![а-я])по\s+(четвертям|триместрам|полугодиям|кварталам|месяцам)")
# "по итогам четвертей", "по окончании каждой четверти", "в конце полугодия": at each term's end
# (a term named by its number, "по итогам I четверти", is that one term, read elsewhere).
_AFTER_TERMS_RE = re.compile(
    r"(?<![а-я])(?:по\s+итогам|по\s+окончани\w*|по\s+завершени\w*|в\s+конце|после)\s+"
    r"(?:(кажд\w*)\s+)?(четверт\w*|полугод\w*|триместр\w*)"
)
_PLURAL_TERMS = ("четвертей", "полугодий", "триместров")


def _frequency(norm: str, words: list[str]) -> dict[str, Any] | None:
    """ "1 раз в четверть", "2 раза в полугодие", "по четвертям", "ежеквартально", ..."""
    unit: str | None = None
    times = 1
    found = _PER_TERM_RE.search(norm)
    if found:
        unit = next(name for stem, name in _FREQUENCY_UNITS if found.group(2).startswith(stem))
        count = (found.group(1) or "1").split()[-1]
        times = int(count) if count.isdigit() else _TIMES.get(count, 1)
    elif by_terms := _BY_TERMS_RE.search(norm):
        unit = next(name for stem, name in _FREQUENCY_UNITS if by_terms.group(1).startswith(stem))
    elif after := _AFTER_TERMS_RE.search(norm):
        unit = next(name for stem, name in _FREQUENCY_UNITS if after.group(2).startswith(stem))
        if not after.group(1) and after.group(2) not in _PLURAL_TERMS:
            # "по итогам четверти": each term, most likely; said in the flags, not assumed.
            return {"every": unit, "day": None, "times": 1, "ambiguous": True}
    elif any(w.startswith("ежегодн") for w in words):
        unit = "year"
    elif any(w.startswith("ежеквартальн") for w in words):
        unit = "quarter"
    elif any(w.startswith("ежемесячн") for w in words) or re.search(r"кажд\w* месяц", norm):
        unit = "month"
    elif any(w.startswith("еженедельн") for w in words) or re.search(r"кажд\w* недел", norm):
        unit = "week"
    if unit is None:
        return None
    return {"every": unit, "day": None, "times": times}


def _term_ends(unit: str, span: tuple[date, date], terms: Terms) -> list[date]:
    """The last day of every term (or month, or school year) of `unit` inside the span."""
    ends: set[date] = set()
    for year in range(span[0].year - 1, span[1].year + 1):
        if unit in ("quarter", "half", "year"):
            table = terms.halves if unit == "half" else terms.quarters
            chosen = table[-1:] if unit == "year" else table
            for (m1, d1), (m2, d2) in chosen:
                y1 = year if m1 >= 9 else year + 1
                y2 = y1 if (m2, d2) >= (m1, d1) else y1 + 1
                ends.add(date(y2, m2, min(d2, _last_day(y2, m2))))
        elif unit == "calquarter":
            ends.update(date(year, m, _last_day(year, m)) for m in (3, 6, 9, 12))
        elif unit == "month":
            for (m1, d1), (m2, d2) in terms.quarters:  # school months only: no July reports
                y1 = year if m1 >= 9 else year + 1
                y2 = y1 if (m2, d2) >= (m1, d1) else y1 + 1
                day = date(y1, m1, 1)
                while day <= date(y2, m2, 1):
                    ends.add(date(day.year, day.month, _last_day(day.year, day.month)))
                    day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return sorted(d for d in ends if span[0] <= d <= span[1])


def _recurring(
    tokens: list[Tok], norm: str, context: PeriodContext, flags: list[str]
) -> Period | None:
    words = _words(tokens)
    rule = _frequency(norm, words)
    if rule is None:
        found = re.search(
            r"(?:кажд\w*|по)\s+(понедельник|вторник|сред|четверг|пятниц|суббот|воскресень)", norm
        )
        if found:
            rule = {"every": "week", "day": _WEEKDAYS[found.group(1)], "times": 1}
    if rule is None:
        return None
    day = re.search(r"(\d{1,2})\s*(?:-?го\s+)?числ", norm)
    if day and rule["every"] == "month":
        rule["day"] = int(day.group(1))
    if rule.pop("ambiguous", False):
        flags.append("ambiguous")
    span = context.plan_span()
    if span is None:
        return Period("recurring", recurrence=rule, flags=(*flags, "needs_date"))
    if rule["every"] != "week" and rule["day"] is None:
        # Reminded before the end of each term (month, year): the ends are the occurrences.
        rule["occurrences"] = [
            d.isoformat() for d in _term_ends(rule["every"], span, context.terms)
        ]
    elif rule["every"] == "month":  # "до 5 числа каждого месяца": that day of each school month
        rule["occurrences"] = [
            d.replace(day=min(int(rule["day"]), d.day)).isoformat()
            for d in _term_ends("month", span, context.terms)
        ]
    return Period("recurring", span[0], span[1], recurrence=rule, flags=tuple(flags))


def _expression(parser: _Parser) -> tuple[Point, Point | None] | None:
    """point [- point], or a day range "1-15 марта 2021"."""
    if parser.at("NUM") and parser.at("DASH", 1) and len(parser.peek().text) <= 2:  # type: ignore[union-attr]
        day = parser.take().value
        parser.take()
        end_point = parser.point()
        if end_point is None or end_point.kind != "day":
            return None
        return Point("day", month=end_point.month, day=day, year=end_point.year), end_point
    numbered = ("ROMAN", "NUM")
    tok0, tok2 = parser.peek(), parser.peek(2)
    if (
        tok0 is not None
        and tok0.kind in numbered
        and parser.at("DASH", 1)
        and tok2 is not None
        and tok2.kind in numbered
        and parser.at("TERM", 3)
    ):  # "I-II четверть": both ends share the term word and the year
        parser.i += 1
        parser.take()
        second_term = parser.point()
        if second_term is None or second_term.term is None:
            return None
        first_term = Point("term", term=(second_term.term[0], tok0.value), year=second_term.year)
        return first_term, second_term
    first = parser.point()
    if first is None:
        return None
    if not parser.at("DASH"):
        return first, None
    parser.take()
    second = parser.point(near=first.year)
    return (first, second) if second is not None else None


def _period_of(
    first: Point, second: Point | None, context: PeriodContext, flags: list[str]
) -> Period:
    if second is not None:
        return _range(first, second, context, flags)
    kind = {"day": "date", "month": "month", "year": "years", "term": "term"}[first.kind]
    bounds = first.bounds(context, flags)
    if bounds is None:
        return Period(kind, flags=(*flags, "needs_date"))
    return Period(kind, bounds[0], bounds[1], flags=tuple(dict.fromkeys(flags)))


def _single(tokens: list[Tok], context: PeriodContext, flags: list[str]) -> Period | None:
    """One phrase: [до|к|по|не позднее|с] expression, or several expressions side by side."""
    words = _words(tokens)
    lead = tokens[0].text if tokens and tokens[0].kind == "WORD" else ""
    deadline = (
        lead in ("до", "к", "по") or words[:2] == ["не", "позднее"] or words[:2] == ["не", "позже"]
    )
    to_end = any(w.startswith(("конц", "окончан")) for w in words)
    tokens = _from_to(tokens)
    significant = [t for t in tokens if t.kind not in ("WORD", "SEP")]
    if not significant:
        return None
    parser = _Parser(significant, context, flags)
    expressions = []
    while parser.i < len(significant):
        found = _expression(parser)
        if found is None:
            return None
        expressions.append(found)
    if len(expressions) > 1:  # "Сентябрь-октябрь 2019 2019-2020 гг.": a list without commas
        parts = tuple(_period_of(a, b, context, []) for a, b in expressions)
        return _list_of(parts)
    first, second = expressions[0]
    period = _period_of(first, second, context, flags)
    if second is not None or period.due is None:
        return period
    if deadline:
        if first.kind == "month" and not to_end:
            # "до ноября": before November begins.
            assert period.start is not None
            year, month = (
                (period.start.year, period.start.month - 1)
                if period.start.month > 1
                else (period.start.year - 1, 12)
            )
            return Period(
                "deadline",
                None,
                date(year, month, _last_day(year, month)),
                flags=(*period.flags, "ambiguous"),
            )
        return Period("deadline", None, period.due, flags=period.flags)
    if lead == "с":
        return Period("range", period.start, None, flags=(*period.flags, "needs_date"))
    return period


def _from_to(tokens: list[Tok]) -> list[Tok]:
    """ "с X по Y" and "с X до Y" are one range: the "по"/"до" after a "с" is a dash."""
    seen_from = False
    out: list[Tok] = []
    for tok in tokens:
        if tok.kind == "WORD" and tok.text == "с":
            seen_from = True
        elif seen_from and tok.kind == "WORD" and tok.text in ("по", "до"):
            out.append(Tok("DASH", "-"))
            seen_from = False
            continue
        out.append(tok)
    return out


def _range(first: Point, second: Point, context: PeriodContext, flags: list[str]) -> Period:
    """From the start of `first` to the end of `second`; years flow from right to left."""
    if first.kind in ("month", "day") and first.year is None and second.year is not None:
        assert first.month is not None and second.month is not None
        first.year = second.year if first.month <= second.month else second.year - 1
    if second.kind in ("month", "day") and second.year is None and first.year is not None:
        assert first.month is not None and second.month is not None
        second.year = first.year if second.month >= first.month else first.year + 1
    if first.kind in ("month", "day") and first.year is None and second.year is None:
        # Anchor on the end: "август-сентябрь" of 2018/2019 is Aug-Sep 2018, not Aug 2019 on.
        assert first.month is not None and second.month is not None
        end = second.bounds(context, flags)
        if end is not None:
            second.year = end[1].year
            first.year = second.year if first.month <= second.month else second.year - 1
    lo, hi = first.bounds(context, flags), second.bounds(context, flags)
    if lo is None or hi is None:
        return Period("range", flags=(*flags, "needs_date"))
    if hi[1] < lo[0]:
        return Period("range", lo[0], hi[1], flags=(*flags, "ambiguous", "needs_date"))
    kind = "years" if first.kind == "year" else "range"
    if first.kind == "term" and second.kind == "term":
        kind = "term"
    return Period(kind, lo[0], hi[1], flags=tuple(dict.fromkeys(flags)))


def _split_list(tokens: list[Tok]) -> list[list[Tok]]:
    parts: list[list[Tok]] = [[]]
    breaks: list[str] = [""]
    for tok in tokens:
        if tok.kind == "SEP":
            parts.append([])
            breaks.append(tok.text)
        else:
            parts[-1].append(tok)
    merged: list[list[Tok]] = []
    for part, before in zip(parts, breaks, strict=True):
        # "I квартал\n2021": a year alone on the next line is the year of the line above.
        lone_year = len(part) == 1 and _is_year(part[0]) and before == "\n"
        if lone_year and merged and not any(_is_year(t) for t in merged[-1]):
            merged[-1] = [*merged[-1], *part]
        elif part:
            merged.append(part)
    return merged


def parse_academic_year(text: str) -> int | None:
    """'2020/2021', '2020-2021', '2020/21' or '2020' -> 2020; None if not a sensible year."""
    found = re.fullmatch(r"\s*(\d{4})\s*(?:[/-]\s*(\d{2}|\d{4}))?\s*", text)
    if not found:
        return None
    first = int(found.group(1))
    if found.group(2):
        second = int(found.group(2))
        if second % 100 != (first + 1) % 100:
            return None
    return first if 1990 <= first <= 2100 else None


def parse_period(text: str, context: PeriodContext | None = None) -> Period:
    """Parse one "Сроки" phrase; never raises."""
    try:
        return _parse(text, context or PeriodContext())
    except Exception:  # a bug must not stop an import: the row is flagged instead
        return _flagged(UNKNOWN, "parser_error")


_TIME_RE = re.compile(
    r"(?:\b(?:в|до)\s+)?(?<![\d.:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])(?:\s*ч\.?)?"
)
_ZONES = (
    (
        re.compile(r"(?<![а-яa-z])(мск|msk)(?![а-яa-z])|московск\w*\s+времен\w*|по\s+москве"),
        "Europe/Moscow",
    ),
    (
        re.compile(r"(?<![а-яa-z])(екб)(?![а-яa-z])|екатеринбургск\w*\s+времен\w*"),
        "Asia/Yekaterinburg",
    ),
    (re.compile(r"местн\w*\s+времен\w*|времени\s+ОО"), None),
)
_PAREN_RE = re.compile(r"\(([^()]*)\)")
_DASH_NOTE_RE = re.compile(r"\s[-\u2010-\u2015]\s*([^\d\n]+)$")
_LABEL_RE = re.compile(r"^\s*(?P<label>[^\d\n]{2,}?)\s*[-\u2010-\u2015:]\s*(?P<when>.*\d.*)$")


def _clock(text: str) -> tuple[str, str | None, str | None]:
    """The text without a clock time and a named zone, the time ("18:00") and the zone."""
    found = _TIME_RE.search(text)
    if found is None:
        return text, None, None
    time = f"{int(found.group(1)):02d}:{found.group(2)}"
    text = text[: found.start()] + " " + text[found.end() :]
    for pattern, zone in _ZONES:
        named = pattern.search(text.lower())
        if named:
            return text[: named.start()] + " " + text[named.end() :], time, zone
    return text, time, None


def _date_content(text: str) -> bool:
    """The text names a date, month, term, year or a frequency: not a note."""
    if re.search(r"\d", text):
        return True
    norm = normalize(text)
    tokens = tokenize(norm)
    if any(t.kind in ("DATE", "MONTH", "ROMAN", "TERM") for t in tokens):
        return True
    return _recurring(tokens, norm, PeriodContext(), []) is not None or bool(
        _ACADEMIC_RE.search(norm) or re.search(r"течени\w*\s+года", norm)
    )


def _note(text: str) -> tuple[str, str | None]:
    """The text without "(notes)" and a "– note" tail that name no date, and the notes."""
    notes: list[str] = []

    def keep_dates(match: re.Match[str]) -> str:
        if _date_content(match.group(1)):
            return match.group(0)
        notes.append(" ".join(match.group(1).split()))
        return " "

    body = _PAREN_RE.sub(keep_dates, text)
    tail = _DASH_NOTE_RE.search(body)
    if tail and not _date_content(tail.group(1)):
        notes.append(" ".join(tail.group(1).split()))
        body = body[: tail.start()]
    return body, "; ".join(n for n in notes if n) or None


# "1)", "2.", a bullet or a dash opening a line of a list ("1) до 20.09 – входная").
_NUMBERING_RE = re.compile(r"^\s*(?:\d{1,2}\)|\d{1,2}\.(?=\s)|[-\u2010-\u2015•·*▪●○►](?=\s))\s*")
_ELLIPSIS_RE = re.compile(r"^[\s.…]*$")
_SPLIT_RE = re.compile(r"\s*[-\u2010-\u2015:]\s*")
_BRACKET_RE = re.compile(r"^(?P<when>[^()]*?)\s*\((?P<label>[^()]+)\)\s*$")


def list_lines(text: str) -> list[str]:
    """The lines of a cell listing dates, without their numbering and "…" lines."""
    lines = [c for c in re.split(r"[\n;]", text) if not _ELLIPSIS_RE.match(c)]
    numbered = sum(1 for c in lines if _NUMBERING_RE.match(c))
    if len(lines) >= 2 and numbered >= len(lines) - 1:
        lines = [_NUMBERING_RE.sub("", c, count=1) for c in lines]
    return lines


def _term_label(text: str) -> bool:
    """ "I четв.", "2 полугодие": a term named as a label."""
    tokens = tokenize(normalize(text))
    kinds = [t.kind for t in tokens if t.kind != "WORD" or t.text not in ("за", "в")]
    return kinds == ["ROMAN", "TERM"] or kinds == ["NUM", "TERM"]


def _term_text(text: str) -> str:
    """ "I четв." as "I четверть", "2 полугод." as "II полугодие"; other labels as written."""
    if not _term_label(text):
        return " ".join(text.split())
    tokens = [t for t in tokenize(normalize(text)) if t.kind in ("ROMAN", "NUM", "TERM")]
    number = int(tokens[0].value)
    noun = {"quarter": "четверть", "half": "полугодие", "calquarter": "квартал"}[tokens[1].value]
    return f"{'I' * number if number < 4 else 'IV'} {noun}"


def _one_labelled(chunk: str, context: PeriodContext) -> Period | None:
    """One line of a list: "математика – 15.03", "до 20.09 – входная диагностика",
    "до 3.11 (I четв.)", or a bare date (no label)."""
    found = _LABEL_RE.match(chunk)
    if found is not None and not _date_content(found.group("label")):
        period = _parse_one(found.group("when"), context)
        if period.dated and period.kind != "list":
            return replace(period, label=" ".join(found.group("label").split()))
    bracket = _BRACKET_RE.match(chunk)
    if bracket and (
        _term_label(bracket.group("label")) or not _date_content(bracket.group("label"))
    ):
        period = _parse_one(bracket.group("when"), context)
        if period.dated and period.kind != "list":
            return replace(period, label=_term_text(bracket.group("label")))
    for cut in _SPLIT_RE.finditer(chunk):  # the date first, a dash, the label
        when, label = chunk[: cut.start()], chunk[cut.end() :]
        if not label.strip() or _date_content(label) or not when.strip():
            continue
        period = _parse_one(when, context)
        if period.dated and period.kind != "list":
            return replace(period, label=" ".join(label.split()))
    period = _parse_one(chunk, context)
    return period if period.dated and period.kind not in ("list", "recurring") else None


def _labelled(text: str, context: PeriodContext) -> Period | None:
    """ "математика – 15.03\nрусский язык – 12.04", "1) до 20.09 – входная диагностика\n2) …",
    "до 3.11 (I четв.)\nдо 12.01 (II четв.)": a list whose parts keep their labels (a line
    without one is a part too, when another line has one)."""
    chunks = [c for c in list_lines(text) if c.strip()]
    if len(chunks) < 2:
        chunks = [c for c in text.split(",") if c.strip()]
    if len(chunks) < 2:
        return None
    parts: list[Period] = []
    for chunk in chunks:
        period = _one_labelled(chunk, context)
        if period is None:
            return None
        parts.append(period)
    numbered = any(_NUMBERING_RE.match(c) for c in re.split(r"[\n;]", text))
    if not any(p.label for p in parts) and not numbered:
        return None  # plain dates on lines: the grammar's own list
    return _list_of(tuple(parts))


def _parse(text: str, context: PeriodContext) -> Period:
    return _labelled(text, context) or _parse_one(text, context)


def _parse_one(text: str, context: PeriodContext) -> Period:
    """One phrase with an optional clock time, zone and note around the period."""
    text, time, zone = _clock(text)
    body, note = _note(text)
    period = _core(body, context) if note else _core(text, context)
    if note and not period.dated:  # the "note" belonged to the phrase after all
        period, note = _core(text, context), None
    if time is not None:
        period = replace(period, time=time, zone=zone)
    return replace(period, note=note) if note else period


def _named_year_term(tokens: list[Tok], context: PeriodContext) -> tuple[list[Tok], PeriodContext]:
    """ "II полугодие 2020/2021 уч. года": the term of that academic year, not of 2020."""
    if not any(t.kind == "TERM" for t in tokens):
        return tokens, context
    for i in range(len(tokens) - 2):
        first, mark, second = tokens[i : i + 3]
        if not (_is_year(first) and mark.kind in ("SLASH", "DASH") and second.kind == "NUM"):
            continue
        start = int(first.text[:4])
        if second.value in (start + 1, (start + 1) % 100):
            named = replace(context, academic_year=start, span=None)
            return [*tokens[:i], *tokens[i + 3 :]], named
    return tokens, context


def _core(text: str, context: PeriodContext) -> Period:
    norm = normalize(text)
    if not norm:
        return UNKNOWN
    tokens = tokenize(norm)
    flags: list[str] = []
    has_dates = any(t.kind in ("DATE", "MONTH", "ROMAN") or _is_year(t) for t in tokens)
    recurring = _recurring(tokens, norm, context, flags)
    if recurring is not None:
        return recurring
    if not has_dates and any(marker in norm + " " for marker in _RELATIVE_MARKERS):
        return Period("relative", flags=("needs_date",))
    tokens, named = _named_year_term(tokens, context)
    if named is not context:
        period = _core_tokens(tokens, norm, named)
        return replace(period, flags=tuple(f for f in period.flags if f != "year_inferred"))
    return _core_tokens(tokens, norm, context)


def _core_tokens(tokens: list[Tok], norm: str, context: PeriodContext) -> Period:
    academic = _academic(tokens, norm, context, [])
    if academic is not None:
        return academic
    parts = _split_list(tokens)
    if len(parts) > 1:
        return _list(parts, context)
    single = _single(parts[0] if parts else [], context, [])
    if single is not None:
        return single
    return UNKNOWN


def _list(parts: list[list[Tok]], context: PeriodContext) -> Period:
    # A year written only at the end applies to the parts before it ("март, апрель 2021").
    trailing_year = next(
        (t for t in reversed(parts[-1]) if t.kind == "NUM" and len(t.text) == 4), None
    )
    parsed: list[Period] = []
    for part in parts:
        has_year = any(_is_year(t) or (t.kind == "DATE" and t.value[2]) for t in part)
        if not has_year and trailing_year is not None:
            part = [*part, trailing_year]
        flags: list[str] = []
        period = _academic(part, " ".join(t.text for t in part), context, flags) or _single(
            part, context, flags
        )
        parsed.append(period if period is not None else UNKNOWN)
    if all(p.kind == "unknown" for p in parsed):
        return UNKNOWN
    return _list_of(tuple(parsed))


def _is_year(tok: Tok) -> bool:
    return tok.kind == "NUM" and len(tok.text) >= 4


def _list_of(parts: tuple[Period, ...]) -> Period:
    """A list period spanning its parts; flags of the parts carry over."""
    starts = [d for p in parts if (d := p.start or p.due) is not None]
    dues = [p.due for p in parts if p.due]
    flags = tuple(dict.fromkeys(f for p in parts for f in p.flags))
    return Period(
        "list",
        min(starts) if starts else None,
        max(dues) if dues else None,
        parts=parts,
        flags=flags,
    )


def month_number(word: str) -> int | None:
    """1..12 for a Russian month name in any case or common abbreviation, else None."""
    word = word.lower().rstrip(".")
    return _month_of(word) if _MONTH_RE.match(word) else None
