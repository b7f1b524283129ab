"""The plan report as an XLSX workbook: summary, school x activity matrix, details, overdue."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from bot.texts import LETTER_NAMES, state_words, zone_label, zoned
from core import matrix
from core.filenames import shorten
from core.item_state import ItemState
from core.report_data import PlanReport, ReportRow
from reports.output import move_into_place, temporary_part
from reports.sheet_columns import (
    HEADER_LIMIT,
    LINE,
    POINTS,
    Column,
    Sheet,
    print_setup,
    units,
    wrapped,
)

SHARE = '0"\u00a0"%'  # a share shown "7 %", the space kept to the number
EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # day 0 of a workbook's dates (from March 1900)
FILLS = {  # by the dashboard's letter of the item's state (core/matrix.py)
    matrix.ACCEPTED: "C6EFCE",  # green
    matrix.SUBMITTED: "FFEB9C",  # yellow
    matrix.RETURNED: "F8CBAD",  # orange
    matrix.NOT_STARTED: "FFFFFF",
    matrix.OVERDUE: "FFC7CE",  # red
    matrix.NOT_APPLICABLE: "EDEDED",
}


def matrix_columns(report: PlanReport) -> list[Column]:
    """The matrix's columns: the school, then an activity each."""
    return [Column("Школа", 24, 50)] + [
        Column(shorten(f"{n or ''} {t}", HEADER_LIMIT), 18, 18) for _, n, t in report.activities
    ]


def details_columns(report: PlanReport) -> list[Column]:
    """The details sheet's columns: a row per school and activity."""
    return [
        Column("Школа", 20, 40), Column("№", 4, 8), Column("Мероприятие", 30, 60),
        Column("Статус", 12, 44), Column("Срок", 11, 11), Column("Срок по плану", 11, 11),
        Column(zoned("Отправлено", report.zone), 16, 16), Column("Комментарий", 20, 50),
        Column("Файлы (⚠ — копия не сохранена)", 24, 50),
    ]  # fmt: skip


def late_columns() -> list[Column]:
    """The overdue sheet's columns."""
    return [Column("Школа", 20, 40), Column("№", 4, 8), Column("Мероприятие", 30, 60),
            Column("Срок", 11, 11), Column("Дней просрочки", 9, 9)]  # fmt: skip


class XlsxReport:
    """The workbook written as rows arrive, school by school, then saved to `path`.

    XlsxWriter in constant-memory mode: each sheet's finished rows go to a temporary file (in
    the system's temporary folder), so a region's 200,000 rows never sit in memory. Small
    reports and the fallback; a big one is written by reports/xlsx_rust.py, the same workbook
    (docs/performance.md, "The region XLSX")."""

    def __init__(self, report: PlanReport, path: Path) -> None:
        import xlsxwriter  # loaded by the first report, not at start-up

        self.report, self.path = report, path
        # Everything is written in the system's temporary folder and moved into place whole
        # when saved: nothing half-written, and nothing but the report, is ever beside it.
        self.part = temporary_part(".xlsx")
        self.book = xlsxwriter.Workbook(
            str(self.part),
            {
                "constant_memory": True,
                "tmpdir": tempfile.gettempdir(),
                # People's text is written as typed: "=…" never a formula, "+7 900…" never a
                # number, "http://…" never a link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        try:
            self._start()
        except BaseException:
            self.discard()
            raise

    def _start(self) -> None:
        """The formats, the summary and every sheet's header."""
        report, book = self.report, self.book
        # Every cell at the top: a row grown by a wrapped title keeps its cells level.
        self.top = book.add_format({"valign": "top"})
        self.date = book.add_format({"num_format": "dd.mm.yyyy", "valign": "top"})
        self.moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm", "valign": "top"})
        self.fills = {
            state: book.add_format({"bg_color": f"#{colour}", "pattern": 1, "valign": "top"})
            for state, colour in FILLS.items()
        }
        self.late_date = book.add_format(
            {
                "bg_color": f"#{FILLS[matrix.OVERDUE]}",
                "pattern": 1,
                "num_format": "dd.mm.yyyy",
                "valign": "top",
            }
        )
        self.looks: dict[ItemState, tuple[str, Any, str]] = {}
        self.today = report.local(report.generated).date()
        head = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        _summary(book, book.add_worksheet("Сводка"), report)
        self.matrix = Sheet(book, "Матрица", matrix_columns(report), head)
        self.matrix.sheet.freeze_panes(1, 1)
        self.column = {a_id: index for index, (a_id, _, _) in enumerate(report.activities, 1)}
        self.details = Sheet(book, "Подробно", details_columns(report), head)
        self.details.sheet.freeze_panes(1, 0)
        self.late = Sheet(book, "Просрочено", late_columns(), head)
        self.late.sheet.freeze_panes(1, 0)

    def add(self, rows: list[ReportRow]) -> None:
        """Append rows that come school by school (each school's rows together)."""
        for _school, group in groupby(rows, key=attrgetter("school")):
            self._school(list(group))

    def _look(self, state: ItemState) -> tuple[str, Any, str]:
        """The matrix's word, the fill and the status words of a state (a region has a few
        hundred distinct states in 200,000 rows: each is worked out once)."""
        look = self.looks.get(state)
        if look is None:
            letter = matrix.letter(state)
            look = (LETTER_NAMES[letter], self.fills[letter], state_words(state))
            self.looks[state] = look
        return look

    def _school(self, rows: list[ReportRow]) -> None:
        # The hottest loop of a region's report (200,000 rows): methods and formats are looked
        # up once per school, each state's words once per report.
        school = rows[0].school
        line = self.matrix.next()
        self.matrix.string(line, 0, school, self.wrap)
        grid = self.matrix.sheet.write_string
        column = self.column
        details = self.details
        text, number_at = details.sheet.write_string, details.sheet.write_number
        dated = details.sheet.write_datetime
        wrap, top, day, at_time = self.wrap, self.top, self.date, self.moment
        _, number, title, status, _, _, _, comment, files = details.columns
        details.columns[0].note(school)
        looks, look_up, local = self.looks, self._look, self.report.local
        at = details.row
        for row in rows:
            name, fill, words = looks.get(row.state) or look_up(row.state)
            grid(line, column[row.activity_id], name, fill)
            at += 1
            text(at, 0, school, wrap)
            if row.number:
                number.note(row.number)
                text(at, 1, row.number, top)
            title.note(row.title)
            text(at, 2, row.title, wrap)
            status.note(words)
            text(at, 3, words, fill)
            # A day is the number a date cell holds (write_datetime works it out per cell).
            if row.due:
                number_at(at, 4, row.due.toordinal() - EXCEL_EPOCH, day)
            if row.plan_due:
                number_at(at, 5, row.plan_due.toordinal() - EXCEL_EPOCH, day)
            if row.submitted:
                dated(at, 6, local(row.submitted), at_time)
            if row.comment:
                comment.note(row.comment)
                text(at, 7, row.comment, wrap)
            if row.files:
                joined = ", ".join(row.files)
                files.note(joined)
                text(at, 8, joined, wrap)
        details.row = at
        late = [r for r in rows if r.overdue]
        if not late:
            return
        for row in sorted(late, key=lambda r: r.due or self.today):
            at = self.late.next()
            self.late.string(at, 0, school, wrap)
            if row.number:
                self.late.string(at, 1, row.number, top)
            self.late.string(at, 2, row.title, wrap)
            if row.due:
                self.late.sheet.write_datetime(at, 3, row.due, self.late_date)
                self.late.sheet.write_number(at, 4, row.state.days, top)

    def save(self) -> None:
        """Size the columns, finish the workbook and move it into place whole."""
        for sheet in (self.matrix, self.details, self.late):
            sheet.size()
        try:
            self.book.close()
            move_into_place(self.part, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop a report that failed: its temporary files go, nothing is left at `path`."""
        for sheet in self.book.worksheets():
            handle = getattr(sheet, "row_data_fh", None)
            if handle is not None and not handle.closed:
                handle.close()
            name = getattr(sheet, "row_data_filename", None)
            if name:
                Path(name).unlink(missing_ok=True)
        self.book.fileclosed = True  # no "close() may be required" warning when it is dropped
        self.part.unlink(missing_ok=True)


@dataclass
class Summary:
    """The summary sheet's table: the head, a row per direction, stage or section and the
    total last (the share a fraction), the columns' widths and the title row's height."""

    head: list[str]
    rows: list[list[Any]]
    widths: list[float]
    title_height: float


def summary_of(report: PlanReport) -> Summary:
    """The title, when it was made, and the counts by direction, stage or section (all known
    before the first row, so the columns are sized before they are written)."""
    # A plan without directions is summed by its sections ("1. Организационная работа"), else
    # by its stages ("I этап …"), as the Word report's summary.
    status = report.status
    first = status.group_kind if status is not None and status.sections else "Направление"
    head = [first, "Всего", "Принято", "На проверке", "Открыто", "Просрочено", "Принято, %"]
    rows: list[list[Any]] = []
    if report.status is not None:
        groups = [(x.title, x.counts) for x in report.status.sections] or [
            (f"{d.code}. {d.title}" if d.code else d.title, d.counts)
            for d in report.status.directions
        ]
        for label, c in [*groups, ("Итого", report.status.counts)]:
            # The share as a fraction shown "7 %": a spreadsheet's percent, summable and sortable.
            rows.append([label, c.total, c.accepted, c.submitted, c.open, c.overdue,
                         c.share(c.accepted) / 100])  # fmt: skip
    labels = Column(first, 24, 60)
    for row in rows:
        labels.note(row[0])
    widths = [round(w, 1) for w in [labels.width()] + [units(h, bold=True) + 1 for h in head[1:]]]
    lines = len(wrapped(report.title, sum(widths) * POINTS / 14, bold=True))
    # In whole pixels (3/4 of a point), as a spreadsheet shows a row's height.
    return Summary(head, rows, widths, round((lines * LINE * 14 / POINTS + 3) / 0.75) * 0.75)


def generated_line(report: PlanReport) -> str:
    """ "Сформирован: 01.12.2020 09:00 (по Екатеринбургу)"."""
    generated = report.local(report.generated)
    return f"Сформирован: {generated:%d.%m.%Y %H:%M}{zone_label(report.zone)}"


def _summary(book: Any, sheet: Any, report: PlanReport) -> None:
    """The summary sheet: the title across the table, when it was made, the counts."""
    summary = summary_of(report)
    head, rows = summary.head, summary.rows
    for index, width in enumerate(summary.widths):
        sheet.set_column(index, index, width)
    print_setup(sheet, repeat_header=False)
    title = book.add_format({"bold": True, "font_size": 14, "text_wrap": True, "valign": "top"})
    sheet.set_row(0, summary.title_height)
    sheet.merge_range(0, 0, 0, len(head) - 1, report.title, title)
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheet.merge_range(1, 0, 1, len(head) - 1, generated_line(report), wrap)
    # Headers centred over their columns, as an official form's (over text and numbers alike).
    sheet.write_row(3, 0, head, book.add_format({"bold": True, "align": "center", "valign": "top"}))
    bold_wrap = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    share = book.add_format({"num_format": SHARE, "valign": "top"})
    top = book.add_format({"valign": "top"})
    bold_top = book.add_format({"bold": True, "valign": "top"})
    # The total in bold, its share as every share (the Rust-backed writer, reports/xlsx_rust.py,
    # cannot make a column's number format bold in one row: the two writers' files are alike).
    for at, row in enumerate(rows, 4):
        last = at == 3 + len(rows)
        sheet.write_string(at, 0, row[0], bold_wrap if last else wrap)
        sheet.write_row(at, 1, row[1:-1], bold_top if last else top)
        sheet.write_number(at, len(row) - 1, row[-1], share)
