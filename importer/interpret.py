"""Understand raw plan tables: columns by meaning, stages, levels, directions, items, seminars.

Pure: `interpret(RawDocument) -> PlanDraft`. Two layouts are recognised:
- row layout: one activity per row under a header (№, наименование, сроки, ответственные, ...);
- direction layout: directions I..IV as columns, activity kinds as rows, dates inside cells.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from core.periods import Period, PeriodContext, Terms, parse_period
from importer.columns import (
    column_roles,
    combine_header,
    is_column_numbers,
    is_header,
    is_subheader,
    role_columns,
)
from importer.draft import (
    DraftActivity,
    DraftDirection,
    DraftSchool,
    DraftSeminar,
    DraftStage,
    PlanDraft,
)
from importer.mend import document_words, mend, mend_document, period_phrase
from importer.model import WRAP, RawDocument, RawTable, one_line, paragraphs, plan_title
from importer.occurrences import Legend, Slot, grid_mark, grid_slots, occurrences, read_legend
from importer.schools import full_school_names, parse_school_list

_ROMAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII"}
_ITEM_RE = re.compile(r"(?<![\d.])(\d{1,2})\.(?!\d)\s*(?=[А-ЯЁA-Z«])")
_STAGE_RE = re.compile(r"(^|\s)([IVX]+|\d+)\s*[-.]?\s*этап|^этап\s", re.I)
_MUNICIPAL_RE = re.compile(r"^муниципальный уровень", re.I)
_SCHOOL_LEVEL_RE = re.compile(
    r"^(уровень (образовательной организации|оо|оу)|школьный уровень)", re.I
)
_PARENS_RE = re.compile(r"\(([^()]*)\)")
_TOP_NUMBER_RE = re.compile(r"^(\d{1,2}|[IVXLC]{1,5})\.?$")
_SECTION_WORDS_RE = re.compile(r"\b(раздел|направлени|блок|модуль|часть)", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-–—•·*▪●○►]|(\d{1,2})[.)])\s+")
_TITLE_RE = re.compile(r"план|дорожная карта|программ|циклограмм|график", re.I)


def interpret(
    doc: RawDocument,
    *,
    title: str | None = None,
    academic_year: int | None = None,
    terms: Terms | None = None,
) -> PlanDraft:
    """The plan a document describes."""
    doc = mend_document(doc)  # dates and words cut at line ends, rejoined before anything
    year_from, year_to, found_year, calendar = _years_from_preamble(doc)
    year = academic_year if academic_year is not None else found_year
    if year is None:
        year = _year_from_dates(doc)
    span = None
    if calendar and year_from is not None and year_to is not None:
        # "на период 2021-2023": recurring work spans those calendar years, not one school year.
        span = (date(year_from, 1, 1), date(year_to, 12, 31))
    context = PeriodContext(academic_year=year, terms=terms or Terms(), span=span)
    written = title or _title(doc)
    draft = PlanDraft(
        title=plan_title(written),
        academic_year=year,
        year_from=year_from if year_from is not None else year,
        year_to=year_to if year_to is not None else (year + 1 if year is not None else None),
    )
    if draft.title != written:
        draft.title_as_written = written
    if _direction_header(doc) is not None:
        _DirectionLayout(doc, draft, context).run()
    else:
        _RowLayout(doc, draft, context).run()
        _single_school(doc, draft)
    return draft


# --- plan-level facts ---------------------------------------------------------------------


_APPROVAL_RE = re.compile(
    r"^\s*(утвержд|согласован|принят|рассмотрен|приложение|к приказу|приказ|директор|заведующ"
    r"|начальник|председател|протокол|м\.\s*п\.|от\s|«\s*\d|\"\s*\d|\d{1,2}\.\d{1,2}\.\d{2,4})"
    r"|_{3,}|утвержд\w*\s+приказ",
    re.I,
)


_NOTES_RE = re.compile(
    r"^\s*(условные\s+обозначени|обозначени|примечани|пояснени|легенд|расшифровк)", re.I
)
_LEGEND_RE = re.compile(r"^\s*[«\"“]?[+хxvV✓✔√*•●■][»\"”]?\s*[-–—:=]\s")


def _title(doc: RawDocument) -> str:
    """The title paragraph(s), past approval blocks ("УТВЕРЖДАЮ …", "Приложение № …"); a
    legend or notes block never gives it."""
    blocks = [
        [ln for ln in b.split("\n") if ln.strip() and not _APPROVAL_RE.search(ln)]
        for b in doc.preamble
        if not _NOTES_RE.match(b) and not _LEGEND_RE.match(b)
    ]
    for index, lines in enumerate(blocks):
        for line in lines:
            if _TITLE_RE.search(line):
                chosen = lines if len(lines) <= 6 else [line]
                # A spreadsheet gives one line per row: "ПЛАН" / "мероприятий по …" / "на … год".
                for following in blocks[index + 1 : index + 4]:
                    short = len(" ".join(chosen).split()) < 4
                    if len(following) != 1 or not (short or following[0][:1].islower()):
                        break
                    chosen = [*chosen, following[0]]
                return one_line(" ".join(chosen))[:500]
    first = next((lines[0] for lines in blocks if lines), None)
    return one_line(first)[:500] if first else (doc.source_name or "План")


def _years_from_preamble(
    doc: RawDocument,
) -> tuple[int | None, int | None, int | None, bool]:
    """(first year, last year, academic year, whether the plan spans calendar years)."""
    text = " ".join(doc.preamble)
    academic = re.search(r"(\d{4})\s*[/\-–—]\s*(\d{2,4})\s*(учебн|уч\.)", text, re.I)
    if academic and int(academic.group(2)) % 100 == (int(academic.group(1)) + 1) % 100:
        first = int(academic.group(1))
        return first, first + 1, first, False
    span = re.search(r"(?:период\w*|на)\s*(\d{4})\s*[-–—]\s*(\d{4})", text, re.I)
    if span:
        first, last = int(span.group(1)), int(span.group(2))
        if 0 < last - first <= 10:
            return first, last, first, True
    return None, None, None, False


def _date_texts(doc: RawDocument) -> list[str]:
    """The texts that may carry dates: period cells, or the "(...)" groups of direction cells."""
    if _direction_header(doc) is not None:
        return [g for t in doc.tables for row in t.rows for c in row for g in _PARENS_RE.findall(c)]
    texts: list[str] = []
    period: int | None = None
    for table in doc.tables:
        for row in table.rows:
            if is_header(row):
                period = column_roles(row).get("period")
            elif period is not None and period < len(row):
                texts.append(row[period])
    return texts


def _year_from_dates(doc: RawDocument) -> int | None:
    """The academic year most explicit dates of the document fall in (period cells only)."""
    votes: Counter[int] = Counter()
    for text in _date_texts(doc):
        if len(text) > 80 or not re.search(r"\d{4}", text):
            continue
        period = parse_period(text)
        day = period.start or period.due
        if day is None or period.kind in ("years", "unknown", "list"):
            continue
        votes[day.year if day.month >= 9 else day.year - 1] += 1
    if not votes:
        return None
    best = max(votes.values())
    return min(y for y, n in votes.items() if n == best)


def _single_school(doc: RawDocument, draft: PlanDraft) -> None:
    """A school's own plan names the school in its title."""
    refs = full_school_names(draft.title)
    if refs:
        draft.schools.append(DraftSchool(refs[0].key, refs[0].name))
        draft.single_school = refs[0].key


def split_period_suffix(text: str, context: PeriodContext) -> tuple[str, str, Period]:
    """Text without its last dated "(...)" group, the group's text, and its period."""
    for match in reversed(list(_PARENS_RE.finditer(text))):
        inner = match.group(1).strip()
        period = parse_period(inner, context)
        if period.kind not in ("unknown", "relative"):
            rest = (text[: match.start()] + text[match.end() :]).strip()
            return one_line(rest), inner, period
    return one_line(text), "", parse_period("", context)


# --- row layout ---------------------------------------------------------------------------


def split_items(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Lead text and numbered items ("1. Разработка ... 2. Организация ...")."""
    matches = list(_ITEM_RE.finditer(text))
    if not matches:
        return text.strip(), []
    lead = text[: matches[0].start()].strip()
    items = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        items.append((match.group(1), text[match.end() : end].strip()))
    return lead, items


def split_entries(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """A cell listing several activities on lines with bullets, dashes or "1)": its entries."""
    lines = paragraphs(text)
    marks = [_BULLET_RE.match(line) for line in lines]
    if len(lines) < 2 or sum(1 for m in marks if m) < 2:
        return None
    lead: list[str] = []
    items: list[tuple[str, str]] = []
    for line, mark in zip(lines, marks, strict=True):
        if mark:
            items.append((mark.group(1) or "", line[mark.end() :].strip().rstrip(";")))
        elif items:
            items[-1] = (items[-1][0], f"{items[-1][1]} {line.strip()}")
        else:
            lead.append(line.strip())
    return " ".join(lead), items


_FIELDS = ("result", "responsible", "form", "participants", "indicators", "note")
_ATTRS = {
    "result": "expected_result",
    "responsible": "responsible",
    "form": "result_form",
    "participants": "participants",
    "indicators": "indicators",
    "note": "note",  # "Примечание": kept and shown on the card, never read as a date
}


@dataclass
class _RowLayout:
    doc: RawDocument
    draft: PlanDraft
    context: PeriodContext
    roles: dict[str, int] = field(default_factory=dict)
    columns: dict[str, list[int]] = field(default_factory=dict)
    width: int = 0
    header: list[str] = field(default_factory=list)
    stage: str | None = None
    level: str | None = None
    section: str | None = None
    pending: list[str] | None = None  # "2. | Название" with nothing else: a section or a row?
    part_start: bool = False  # the next data row opens a table part (after a page break)
    last_row: list[str] | None = None  # the row that gave the last activities, and from where
    last_from: int = 0
    words: frozenset[str] = frozenset()  # the document's whole words, for hyphens at line ends
    grid: dict[int, Slot] = field(default_factory=dict)  # month or term columns (циклограмма)
    legend: Legend = field(default_factory=lambda: Legend({}))
    page: int | None = None  # the PDF page of the table part being read

    def __post_init__(self) -> None:
        cells = [c for t in self.doc.tables for row in t.rows for c in row]
        self.words = document_words([*self.doc.preamble, *cells])
        short_rows = [
            " – ".join(filled)
            for t in self.doc.tables
            for row in t.rows
            if 1 <= len(filled := [one_line(c) for c in row if c.strip()]) <= 3
        ]
        self.legend = read_legend([*self.doc.preamble, *self.doc.notes, *short_rows])

    def run(self) -> None:
        for table in self.doc.tables:
            self._table(table)
        self._settle(None)

    def _table(self, table: RawTable) -> None:
        self.page = table.page
        after_header = False
        self.part_start = True
        for row in table.rows:
            if self._grid_header(row, after_header):
                after_header = True
                continue
            if is_header(row) or (after_header and is_subheader(row, self.roles)):
                repeated = self._header(row, after_header)
                self.part_start = repeated and (self.part_start or after_header)
                after_header = True
                continue
            after_header = False
            if not self.roles or not any(c.strip() for c in row) or is_column_numbers(row):
                continue
            if _legend_row(row):
                continue  # "Условные обозначения: + – в течение месяца" inside the table
            row = self._align(row)
            part_start, self.part_start = self.part_start, False
            if (part_start and self._split_row(row)) or self._period_goes_on(row):
                continue
            if self.pending is not None:
                self._settle(row)
            if not self._section(row):
                before = len(self.draft.activities)
                self._row(row)
                if len(self.draft.activities) > before:
                    self.last_row, self.last_from = row, before

    def _header(self, row: list[str], second_row: bool) -> bool:
        """Take a header row; True when it repeats the header in force (a continued table)."""
        cells = [one_line(c) for c in row]
        if second_row and len(cells) == len(self.header):
            cells = combine_header(self.header, cells)
        if self.roles and cells == self.header:
            return True  # the header repeated where the table continues on the next page
        self._set_header(cells)
        return False

    def _grid_header(self, row: list[str], after_header: bool) -> bool:
        """A row naming three months (or two terms) in its cells is the циклограмма's header,
        never an activity: under the header it names the grid's columns; repeated on a later
        page it is skipped; alone it is the header."""
        slots = grid_slots(row)
        if not slots and after_header and self._grid_subheader(row):
            slots = self.grid  # week numbers under the months: "Сентябрь" over "1 2 3 4"
        if not slots:
            return False
        cells = [one_line(c) for c in row]
        if after_header and self.header:
            width = max(len(cells), len(self.header))
            top = self.header + [""] * (width - len(self.header))
            cells = combine_header(top, cells + [""] * (width - len(cells)))
            self._set_header(cells)
        elif self.grid and {i: s.label for i, s in slots.items()} == {
            i: s.label for i, s in self.grid.items()
        }:
            self.part_start = True  # the months repeated on the next page
        else:
            self._set_header(cells)
        return True

    def _grid_subheader(self, row: list[str]) -> bool:
        """Under a grid's months: small numbers (weeks) under them, the header's own texts (a
        merged cell passed down) or nothing elsewhere."""
        if not self.grid or len(row) != len(self.header):
            return False
        first = min(self.grid)
        spans = [
            i for i in range(len(row)) if i >= first and (i in self.grid or not self.header[i])
        ]
        numbers = [one_line(row[i]) for i in spans if row[i].strip()]
        others = [i for i in range(len(row)) if i not in spans and row[i].strip()]
        return (
            len(numbers) >= len(self.grid)
            and all(re.fullmatch(r"[1-5]|i{1,3}|iv|v", n.lower().rstrip(".")) for n in numbers)
            and all(one_line(row[i]) == self.header[i] for i in others)
        )

    def _set_header(self, cells: list[str]) -> None:
        self.header, self.width = cells, len(cells)
        self.roles, self.columns = column_roles(cells), role_columns(cells)
        self.grid = grid_slots(cells, bare=False)
        if self.roles.get("period") in self.grid:  # "Сроки проведения" over the months
            del self.roles["period"]
        self.columns["period"] = [i for i in self.columns.get("period", []) if i not in self.grid]

    def _period_goes_on(self, row: list[str]) -> bool:
        """A row with only the rest of the previous row's period ("до 15." over "03.2024")."""
        previous = self.draft.activities[-1] if self.draft.activities else None
        if previous is None or self._cell(row, "number").strip() or self._cell(row, "title"):
            return False
        period_text = self._period_text(row)
        if not period_text or not self._mends(previous, period_text):
            return False
        self._continue(previous, row, "", period_text)
        return True

    def _split_row(self, row: list[str]) -> bool:
        """The first row of a table part that ends the row the page break cut: join them.

        It has no number where the rows are numbered (or, unnumbered, every cell goes on in
        lower case); a heading merged across the row or a stage or level row is no such end.
        """
        previous, activities = self.last_row, self.draft.activities
        if previous is None or self.pending is not None or len(previous) != len(row):
            return False
        filled = [i for i, c in enumerate(row) if c.strip()]
        text = one_line(" ".join(row[i] for i in filled))
        if _STAGE_RE.search(text) or _MUNICIPAL_RE.match(text) or _SCHOOL_LEVEL_RE.match(text):
            return False
        if "number" in self.roles and one_line(self._cell(previous, "number")):
            if one_line(self._cell(row, "number")):
                return False
            if filled == [0] and self.roles.get("title") != 0 and row[0][:1].isupper():
                return False  # a section heading merged across the whole row
        elif not all(_goes_on(row[i]) for i in filled):
            return False
        joined = [mend(join_cells(a, b), self.words) for a, b in zip(previous, row, strict=True)]
        page = activities[self.last_from].page if len(activities) > self.last_from else self.page
        del activities[self.last_from :]
        self.page, current = page, self.page
        self._row(joined)
        self.page = current
        self.last_row = joined
        return True

    def _align(self, row: list[str]) -> list[str]:
        # A continuation table narrower than the header lost its left (merged) columns.
        if len(row) < self.width:
            return [""] * (self.width - len(row)) + row
        return row[: max(self.width, len(row))]

    def _cell(self, row: list[str], role: str) -> str:
        if role in _FIELDS and len(self.columns.get(role, [])) > 1:
            parts = [row[i] for i in self.columns[role] if i < len(row) and row[i].strip()]
            return "; ".join(dict.fromkeys(parts))
        index = self.roles.get(role)
        return row[index] if index is not None and index < len(row) else ""

    def _section(self, row: list[str]) -> bool:
        """A section heading: one text across the row, or a top-level number and a title only."""
        filled = [(i, one_line(c)) for i, c in enumerate(row) if c.strip()]
        texts = {text for _, text in filled}
        if len(texts) == 1:
            text = next(iter(texts))
            if _STAGE_RE.search(text) or _MUNICIPAL_RE.match(text) or _SCHOOL_LEVEL_RE.match(text):
                return False
            if not (text[:1].isupper() or text[:1].isdigit()) or len(split_items(text)[1]) > 1:
                return False  # a title continued from the page before, or several items
            self._set_section(text)
            return True
        number, title = self.roles.get("number"), self.roles.get("title")
        if len(filled) == 2 and {i for i, _ in filled} == {number, title}:
            assert number is not None
            if _TOP_NUMBER_RE.match(one_line(row[number])):
                self.pending = row
                return True
        return False

    def _settle(self, following: list[str] | None) -> None:
        """A pending "2. | Название" row is a section when what follows says so, else a row."""
        row, self.pending = self.pending, None
        if row is None:
            return
        number_at, title_at = self.roles["number"], self.roles["title"]
        number, title = one_line(row[number_at]).rstrip("."), one_line(row[title_at])
        below = one_line(following[number_at]) if following and number_at < len(following) else ""
        if (
            (below.startswith(f"{number}.") and below.rstrip(".") != number)
            or below.rstrip(".") == "1"
            or _SECTION_WORDS_RE.search(title)
            or title.isupper()
        ):
            self._set_section(f"{number}. {title}")
        else:
            self._row(row)

    def _set_section(self, text: str) -> None:
        self.section = text

    def _row(self, row: list[str]) -> None:
        filled = [one_line(c) for c in row if c.strip()]
        if filled and len(set(filled)) == 1:
            text = filled[0]
            if _STAGE_RE.search(text):
                self._stage(text)
                return
            if self._level(text):
                return
        row = [self._strip_level(cell) for cell in row]
        title_index = self.roles.get("title")
        title = self._cell(row, "title")
        if not split_items(title)[1]:
            # Merged cells can push the activity out of its column: take the numbered cell.
            skip = {self.roles.get("task"), self.roles.get("number"), title_index}
            numbered = [i for i, c in enumerate(row) if i not in skip and _ITEM_RE.match(c)]
            if numbered and (not title or not title[:1].islower()):
                title_index = numbered[0]
                title = row[title_index]
        task = self._cell(row, "task")
        if task:
            self.section = one_line(split_items(task)[1][0][1] if split_items(task)[1] else task)
        period_text = self._period_text(row)
        number_cell = one_line(self._cell(row, "number")).rstrip(".") or None
        entries = split_entries(title)
        lead, items = entries or split_items(title)
        if entries and lead:  # "Работа с педагогами:" over its bullets names each of them
            items = [(n, f"{lead.rstrip(':').strip()}: {text}") for n, text in items]
            lead = ""
        previous = self.draft.activities[-1] if self.draft.activities else None
        continuation = (
            previous is not None
            and not number_cell
            and bool(lead)
            and (bool(items) or lead[:1].islower())
        )
        if continuation and previous is not None:
            self._continue(previous, row, lead, period_text if not items else "")
            if not items:
                return
        elif lead and not items:
            items = [(number_cell or "", lead)]
        elif lead and items:
            items[0] = (items[0][0], f"{lead} {items[0][1]}")
        if not items:
            return
        self._add_items(row, items, number_cell, period_text, continuation)

    def _period_header(self) -> str | None:
        index = self.roles.get("period")
        return self.header[index] if index is not None and index < len(self.header) else None

    def _period_text(self, row: list[str]) -> str:
        """The period cell, and nothing else: no date is ever taken from another column."""
        return period_phrase(self._cell(row, "period"), self.context)

    def _add_items(
        self,
        row: list[str],
        items: list[tuple[str, str]],
        number_cell: str | None,
        period_text: str,
        continuation: bool,
    ) -> None:
        whole = parse_period(period_text, self.context)
        pieces = (
            list(whole.parts) if whole.kind == "list" and len(whole.parts) == len(items) > 1 else []
        )
        header = self._period_header()
        # (number, title, period, series, period text, column) of each activity the row gives
        out: list[tuple[str, str, Period, str | None, str, str | None]] = [
            (n, t, pieces[i] if pieces else whole, None, one_line(period_text), header)
            for i, (n, t) in enumerate(items)
        ]
        marks = self._grid_marks(row)
        if marks is not None:  # every activity of the row takes every mark of its grid
            out = [
                (n, f"{one_line(t)} — {p.label}", p, one_line(t), text, column)
                for n, t in items
                for p, text, column in marks
            ]
        elif len(items) == 1 and (several := occurrences(whole, self.context.terms)):
            number, text = items[0]
            out = [
                (number, f"{one_line(text)} — {p.label}", p, one_line(text), out[0][4], header)
                for p in several
            ]
        # One activity with several dated occurrences is one activity per occurrence, its label
        # in the title, sharing the row's series (importer.occurrences).
        extras = {role: self._new_part(self._cell(row, role), continuation) for role in _FIELDS}
        for number, title, period, series, text, column in out:
            activity = DraftActivity(
                title=one_line(title),
                period_text=text,
                period=period,
                series=series,
                occurrence=period.label if series else None,
                page=self.page,
                source_column=column,
                number=number or number_cell,
                stage=self.stage,
                level=self.level,
                section=self.section,
                row_text=" | ".join(one_line(c) for c in row if c.strip()),
            )
            for role, value in extras.items():
                if value:
                    setattr(activity, _ATTRS[role], value)
            self.draft.activities.append(activity)

    def _grid_marks(self, row: list[str]) -> list[tuple[Period, str, str]] | None:
        """The occurrences a row's grid cells give (period, text, column), or None when the
        table has no grid or the row no mark in it (then its period cell, if any, is read)."""
        if not self.grid:
            return None
        found: list[tuple[Period, str, str]] = []
        for index, slot in self.grid.items():
            cell = one_line(row[index]) if index < len(row) else ""
            column = self.header[index] if index < len(self.header) else slot.label
            for period in grid_mark(cell, slot, self.context, self.legend, column):
                found.append((period, f"{slot.label}: {cell}", column))
        return found or None

    @staticmethod
    def _new_part(cell: str, continuation: bool) -> str | None:
        parts = paragraphs(cell)
        if continuation and len(parts) > 1:
            parts = parts[1:]
        return one_line(" ".join(parts)) or None

    def _continue(
        self, previous: DraftActivity, row: list[str], lead: str, period_text: str
    ) -> None:
        previous.title = one_line(mend(f"{previous.title}\n{lead}", self.words))
        previous.row_text = one_line(
            f"{previous.row_text} | " + " | ".join(one_line(c) for c in row if c.strip())
        )
        for role in _FIELDS:
            parts = paragraphs(self._cell(row, role))
            if not parts:
                continue
            attr = _ATTRS[role]
            current = getattr(previous, attr)
            setattr(previous, attr, one_line(f"{current or ''} {parts[0]}"))
        if period_text and previous.period.due is None and previous.period.kind != "recurring":
            if self._mends(previous, period_text):  # "до 15." above, "03.2024" here: one date
                period_text = mend(f"{previous.period_text}\n{period_text}", self.words)
            previous.period_text = one_line(period_text)
            previous.period = parse_period(period_text, self.context)

    def _mends(self, previous: DraftActivity, period_text: str) -> bool:
        """The period cell goes on from the previous row's: a date or word cut at its end."""
        broken = f"{previous.period_text}\n{period_text}"
        return bool(previous.period_text) and mend(broken, self.words) != broken

    def _stage(self, text: str) -> None:
        title, period_text, period = split_period_suffix(text, self.context)
        self.stage = title.rstrip(".")
        self.draft.stages.append(
            DraftStage(self.stage, period_text or None, period if period_text else None)
        )

    def _strip_level(self, cell: str) -> str:
        """ "Муниципальный уровень Разработка ..." inside a cell sets the level for the row."""
        for pattern, level in ((_MUNICIPAL_RE, "municipal"), (_SCHOOL_LEVEL_RE, "school")):
            found = pattern.match(cell)
            if found and cell[found.end() :].strip():
                self.level = level
                return cell[found.end() :].strip()
        return cell

    def _level(self, text: str) -> bool:
        if _MUNICIPAL_RE.match(text):
            self.level = "municipal"
            return True
        if _SCHOOL_LEVEL_RE.match(text):
            self.level = "school"
            return True
        return False


def _legend_row(row: list[str]) -> bool:
    """A row that only explains the marks or notes the table: its one text a legend line."""
    texts = {one_line(c) for c in row if c.strip()}
    if len(texts) != 1:
        return False
    text = next(iter(texts))
    return bool(_NOTES_RE.match(text) or _LEGEND_RE.match(text))


def join_cells(first: str, second: str) -> str:
    """A cell cut by a page break, its two parts in order."""
    return f"{first}{WRAP}{second}" if first.strip() and second.strip() else first or second


def _goes_on(cell: str) -> bool:
    """Text that can only continue what stands before it: it starts in lower case."""
    text = cell.strip()
    return bool(text) and (text[0].islower() or text[0] in ",;:)")


# --- direction layout ---------------------------------------------------------------------


_TERMS_ABOVE_RE = re.compile(r"четверт|полугод|триместр|квартал", re.I)


def _direction_header(doc: RawDocument) -> tuple[int, list[int]] | None:
    for t_index, table in enumerate(doc.tables):
        above = ""
        for row in table.rows:
            columns = _roman_columns(row)
            if columns and not _TERMS_ABOVE_RE.search(above):  # "Четверти" over I..IV: terms
                return t_index, columns
            above = " ".join(row)
    return None


def _roman_columns(row: list[str]) -> list[int] | None:
    filled = [(i, one_line(c)) for i, c in enumerate(row) if c.strip()]
    if len(filled) >= 2 and all(text in _ROMAN for _, text in filled):
        return [i for i, _ in filled]
    return None


_INFO_ROWS = [
    ("title", re.compile(r"^тема", re.I)),
    ("coordinators", re.compile(r"координатор", re.I)),
    ("curator", re.compile(r"куратор", re.I)),
    ("schools", re.compile(r"площадк|организаци", re.I)),
]


@dataclass
class _Cell:
    section: str | None
    direction: str
    text: str


@dataclass
class _DirectionLayout:
    doc: RawDocument
    draft: PlanDraft
    context: PeriodContext
    known_schools: dict[str, str] = field(default_factory=dict)

    def run(self) -> None:
        directions: dict[str, DraftDirection] = {}
        rows: list[dict[int, _Cell]] = []
        section: str | None = None
        for table in self.doc.tables:
            columns: list[int] = []
            codes: dict[int, str] = {}
            after_header = False
            for row in table.rows:
                roman = _roman_columns(row)
                if roman:
                    columns = roman
                    codes = {c: one_line(row[c]) for c in roman}
                    for code in codes.values():
                        directions.setdefault(code, DraftDirection(code))
                    after_header = True
                    continue
                if not columns or all(
                    one_line(c) in ("", "НАПРАВЛЕНИЯ") or one_line(c).upper() == "НАПРАВЛЕНИЯ"
                    for c in row
                ):
                    continue
                label_index = columns[0] - 1
                label = one_line(row[label_index]) if label_index >= 0 else ""
                info = next(
                    (name for name, pattern in _INFO_ROWS if label and pattern.search(label)), None
                )
                if info is not None and not rows:
                    self._info(directions, codes, row, info)
                    after_header = False
                    continue
                cells = {c: row[c] for c in columns if c < len(row) and row[c].strip()}
                if (
                    after_header
                    and not label
                    and rows
                    and all(_continues(t) for t in cells.values())
                ):
                    self._append(rows[-1], cells)
                    after_header = False
                    continue
                after_header = False
                if label:
                    section = label
                if cells:
                    rows.append({c: _Cell(section, codes[c], text) for c, text in cells.items()})
        self.draft.directions = list(directions.values())
        for row_cells in rows:
            for cell in row_cells.values():
                self._item(cell)
        self._schools()

    def _info(
        self,
        directions: dict[str, DraftDirection],
        codes: dict[int, str],
        row: list[str],
        info: str,
    ) -> None:
        by_code = {d.code: d for d in directions.values()}
        for column, code in codes.items():
            direction = by_code.get(code)
            if direction is None or column >= len(row):
                continue
            text = one_line(row[column])
            if info == "title":
                direction.title = text
            elif info == "coordinators":
                direction.coordinators = one_line(f"{direction.coordinators} {text}")
            elif info == "curator":
                direction.curator = text
            else:
                refs = parse_school_list(text)
                direction.school_keys = [ref.key for ref in refs]
                self.known_schools.update({ref.key: ref.name for ref in refs})

    @staticmethod
    def _append(previous: dict[int, _Cell], cells: dict[int, str]) -> None:
        last = list(previous)[-1] if previous else None
        for column, text in cells.items():
            target = previous.get(column) or (previous.get(last) if last is not None else None)
            if target is not None:
                target.text = f"{target.text} {text}"

    def _item(self, cell: _Cell) -> None:
        text = one_line(cell.text)
        body, period_text, period = split_period_suffix(text, self.context)
        if body.lower().startswith("семинар"):
            topic = _topic(body)
            audience = re.search(r"\bдля\s+(.+?)\s+по теме", body)
            self.draft.seminars.append(
                DraftSeminar(
                    topic=topic,
                    date_text=period_text,
                    period=period,
                    audience=audience.group(1) if audience else None,
                    direction=cell.direction,
                    row_text=text,
                    source_column=cell.direction,
                )
            )
            return
        self.draft.activities.append(
            DraftActivity(
                title=body,
                period_text=period_text,
                period=period,
                direction=cell.direction,
                section=cell.section,
                row_text=text,
                source_column=cell.direction,
            )
        )

    def _schools(self) -> None:
        names = dict(self.known_schools)
        for direction in self.draft.directions:
            for ref in full_school_names(direction.curator):
                if ref.key in names:
                    names[ref.key] = ref.name
        self.draft.schools = [DraftSchool(key, name) for key, name in names.items()]


def _continues(text: str) -> bool:
    stripped = one_line(text)
    return bool(stripped) and (stripped[0].islower() or stripped[0] == "(")


def _topic(body: str) -> str:
    found = re.search(r"по теме:?\s*(.+)$", body) or re.search(r"(«.+»)", body)
    topic = found.group(1) if found else body
    if topic.startswith("«") and topic.endswith("»"):
        topic = topic[1:-1]
    return one_line(topic)
