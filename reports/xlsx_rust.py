"""The plan's XLSX report through rustpy-xlsxwriter: the workbook of `reports/xlsx.py`, cell for
cell, written about seven times faster (docs/performance.md, "The region XLSX").

Used only in a big report's own process (it holds the interpreter lock while it writes, which a
bot's event loop must never wait for). It takes each sheet's rows at once and the matrix comes
before the details, so the rows are kept, compactly, until the save. What its version (0.8.0)
cannot do, worked around and pinned by tests/unit/test_xlsx_writers.py (the two writers' files
compared cell by cell):
- a fill is only a conditional format: "contains" rules, the first that holds wins ("begins
  with" counts Cyrillic text in bytes and never holds);
- a row's format reaches only text and cells without a column format: the total's share is not
  bold (in either writer, so they stay alike);
- in constant-memory mode a format on the last row writes that row twice: the small summary is
  written in memory.
Where the report cannot be written so (the library missing, two matrix headers alike, state words
no rule tells apart) `fits` says no and the XlsxWriter report is made instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from bot.texts import LETTER_NAMES, state_words
from core import matrix
from core.item_state import ItemState, State
from core.report_data import PlanReport, ReportRow
from reports.output import move_into_place, temporary_part
from reports.sheet_columns import Column, header_height
from reports.xlsx import (
    FILLS,
    SHARE,
    details_columns,
    generated_line,
    late_columns,
    matrix_columns,
    summary_of,
)

CELL_LIMIT = (
    32_767  # characters a cell holds (XlsxWriter cuts a longer text there; this refuses it)
)
SAMPLE_DAYS = (0, 1, 2, 3, 5, 10, 11, 21, 100, 365)  # days in a state's words, to learn its rule
NUMBER = re.compile(r"\d+")
SPECIAL = frozenset('*?~"')  # SEARCH("…")'s patterns and the quote that would end its text


def fill_rules(samples: Iterable[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """Rules ("contains" this text: this letter's fill) that give every sample text its letter
    when the first matching rule wins, or None if no such rules are found. A rule's text is
    what all of one letter's texts of a kind share at their start (the words before the days).
    """
    by_letter: dict[str, list[str]] = {}
    for text, letter in samples:
        by_letter.setdefault(letter, []).append(text)
    keys: dict[str, str] = {}
    for letter, texts in by_letter.items():
        for text in texts:
            # The longest start this text shares with another of its letter's texts that differs
            # only in numbers, else the whole text.
            key = text
            for other in texts:
                if other != text and _digits_apart(text, other):
                    start = os.path.commonprefix([text, other])  # noqa: RUF071 (texts, not paths)
                    key = min(key, start.rstrip(" ,"), key=len)
            if keys.setdefault(key, letter) != letter or not key or SPECIAL & set(key):
                return None
    rules = sorted(keys.items(), key=lambda rule: (-len(rule[0]), rule[0]))
    for text, letter in samples:
        first = next((r for r in rules if r[0].casefold() in text.casefold()), None)
        if first is None or first[1] != letter:
            return None
    return rules


def _digits_apart(one: str, other: str) -> bool:
    """Whether two texts differ only in their numbers ("на 2 дн." and "на 10 дн.")."""
    return NUMBER.sub("#", one) == NUMBER.sub("#", other)


def state_samples() -> list[tuple[str, str]]:
    """Every state's words at many days, with its matrix letter."""
    return [
        (state_words(ItemState(state, days)), matrix.letter(ItemState(state, days)))
        for state in State
        for days in SAMPLE_DAYS
    ]


STATUS_RULES = fill_rules(state_samples())
MATRIX_RULES = fill_rules([(name, letter) for letter, name in LETTER_NAMES.items()] * 2)


def fits(report: PlanReport) -> bool:
    """Whether this writer can make `report` (else the XlsxWriter one is made)."""
    try:
        import rustpy_xlsxwriter  # noqa: F401
    except ImportError:
        return False
    heads = [c.header for c in matrix_columns(report)]
    return STATUS_RULES is not None and MATRIX_RULES is not None and len(set(heads)) == len(heads)


class RustXlsxReport:
    """The workbook, its rows kept as they arrive and written at the save."""

    def __init__(self, report: PlanReport, path: Path) -> None:
        self.report, self.path = report, path
        self.matrix = matrix_columns(report)
        self.details = details_columns(report)
        self.late = late_columns()
        heads = [c.header for c in self.matrix]
        self.head = {a_id: heads[index] for index, (a_id, _, _) in enumerate(report.activities, 1)}
        self.blank = dict.fromkeys(heads)
        self.grid: list[dict[str, Any]] = []
        # A row of the details and of the overdue as its cells (tuples: a region's 200,000 rows
        # are kept in about 40 MB until the save).
        self.rows: list[tuple[Any, ...]] = []
        self.late_rows: list[tuple[Any, ...]] = []
        self.looks: dict[ItemState, tuple[str, str]] = {}
        self.today = report.local(report.generated).date()
        self.part = temporary_part(".xlsx")

    def add(self, rows: list[ReportRow]) -> None:
        """Keep rows that come school by school (each school's rows together)."""
        for _school, group in groupby(rows, key=attrgetter("school")):
            self._school(list(group))

    def _school(self, rows: list[ReportRow]) -> None:
        school = rows[0].school
        line = dict(self.blank)
        line["Школа"] = school
        self.matrix[0].note(school)
        self.grid.append(line)
        _, number, title, status, _, _, _, comment, files = self.details
        self.details[0].note(school)
        keep, looks, head, local = self.rows.append, self.looks, self.head, self.report.local
        for row in rows:
            look = looks.get(row.state)
            if look is None:
                look = looks[row.state] = (
                    LETTER_NAMES[matrix.letter(row.state)],
                    state_words(row.state),
                )
            name, words = look
            line[head[row.activity_id]] = name
            if row.number:
                number.note(row.number)
            title.note(row.title)
            status.note(words)
            if row.comment:
                comment.note(row.comment)
            joined = None
            if row.files:
                joined = ", ".join(row.files)[:CELL_LIMIT]
                files.note(joined)
            keep((school, row.number or None, row.title, words, row.due, row.plan_due,
                  local(row.submitted) if row.submitted else None,
                  row.comment[:CELL_LIMIT] if row.comment else None,
                  joined))  # fmt: skip
        late = [r for r in rows if r.overdue]
        for row in sorted(late, key=lambda r: r.due or self.today):
            self.late[0].note(school)
            if row.number:
                self.late[1].note(row.number)
            self.late[2].note(row.title)
            self.late_rows.append((school, row.number or None, row.title, row.due, row.state.days))

    def save(self) -> None:
        """Write the workbook and move it into place whole."""
        try:
            self._write()
            move_into_place(self.part, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop a report that failed: nothing is left at `path` or in the temporary folder."""
        self.part.unlink(missing_ok=True)

    def _write(self) -> None:
        import rustpy_xlsxwriter as rx

        def style(*, bold: bool = False, wrap: bool = False, number: str | None = None,
                  size: float | None = None) -> Any:  # fmt: skip
            # Every cell at the top: a row grown by a wrapped title keeps its cells level.
            look = rx.Format().set_align("top")
            if bold:
                look = look.set_bold()
            if wrap:
                look = look.set_text_wrap()
            if number:
                look = look.set_num_format(number)
            if size:
                look = look.set_font_size(size)
            return look

        def fill(colour: str) -> Any:
            return rx.Format().set_background_color(f"#{colour}").set_pattern("solid")

        def rules(found: list[tuple[str, str]] | None) -> list[dict[str, Any]]:
            assert found is not None  # fits() said so
            return [
                {"type": "text", "criteria": "contains", "value": text, "format": fill(FILLS[mark])}
                for text, mark in found
            ]

        report = self.report
        summary = summary_of(report)
        top, wrap, head = style(), style(wrap=True), style(bold=True, wrap=True)
        day = style(number="dd.mm.yyyy")
        moment = style(number="dd.mm.yyyy hh:mm")
        sheets = {"Матрица": self.matrix, "Подробно": self.details, "Просрочено": self.late}
        page = {
            "landscape": True, "paper_size": 9, "fit_to_pages": (1, 0),
            "margins": {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6},
            "footer": "&CСтраница &P из &N",
        }  # fmt: skip
        last, across = 3 + len(summary.rows), len(summary.head) - 1
        matrix_rules = rules(MATRIX_RULES)
        rx.write_worksheets(
            [
                ("Сводка", _records(summary.head, summary.rows)),
                ("Матрица", self.grid or [dict(self.blank)]),
                ("Подробно", _records([c.header for c in self.details], self.rows)),
                ("Просрочено", _records([c.header for c in self.late], self.late_rows)),
            ],
            str(self.part),
            freeze_panes={
                "Матрица": {"row": 1, "col": 1},
                "Подробно": {"row": 1, "col": 0},
                "Просрочено": {"row": 1, "col": 0},
            },
            column_widths={
                "Сводка": summary.widths,
                **{name: [_width(c) for c in columns] for name, columns in sheets.items()},
            },
            column_formats={
                # The counts take their rows' looks (the total's bold): see row_formats.
                "Сводка": {summary.head[0]: wrap, summary.head[-1]: style(number=SHARE)},
                "Матрица": [wrap] + [top] * len(report.activities),
                "Подробно": [wrap, top, wrap, top, day, day, moment, wrap, wrap],
                # A column's format is the whole column's style: the overdue date's fill is a rule
                # (on the written rows only), as every fill here.
                "Просрочено": [wrap, top, wrap, day, top],
            },
            header_format={name: head for name in sheets},
            # In memory: its constant-memory rows repeat the last row given a format.
            dedupe_strings={"Сводка": True},
            header_row={"Сводка": 3},
            merge_ranges={
                "Сводка": [
                    (0, 0, 0, across, report.title, style(bold=True, wrap=True, size=14)),
                    (1, 0, 1, across, generated_line(report), wrap),
                ]
            },
            row_heights={
                "Сводка": {0: summary.title_height},
                **{name: {0: header_height(columns)} for name, columns in sheets.items()},
            },
            row_formats={
                "Сводка": {
                    **dict.fromkeys(range(4, last), top),
                    **({last: style(bold=True)} if summary.rows else {}),  # the total
                    3: style(bold=True).set_align("center"),  # the header
                }
            },
            page_setup={
                "Сводка": page,
                **{name: {**page, "repeat_rows": 0} for name in sheets},
            },
            conditional_formats={
                "Матрица": {c.header: matrix_rules for c in self.matrix[1:]},
                "Подробно": {"Статус": rules(STATUS_RULES)},
                "Просрочено": {
                    "Срок": [
                        {
                            "type": "cell",
                            "criteria": ">",
                            "value": 0,
                            "format": fill(FILLS[matrix.OVERDUE]),
                        }
                    ]
                },
            },
        )


def _width(column: Column) -> float:
    return round(column.width(), 1)


def _records(heads: list[str], rows: Sequence[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """A sheet's rows as the writer takes them (dicts by header), made one at a time; a sheet
    without rows gets one empty row, so its header is still written."""
    # One dict, refilled: the writer takes each record's cells before it asks for the next.
    record: dict[str, Any] = dict.fromkeys(heads)
    for row in rows or [(None,) * len(heads)]:
        record.update(zip(heads, row, strict=True))
        yield record
