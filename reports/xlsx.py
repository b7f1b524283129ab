"""The plan report as an XLSX workbook: summary, school x activity matrix, details, overdue."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from typing import Any

from bot.texts import LETTER_NAMES, state_words, zone_label
from core import matrix
from core.report_data import PlanReport, ReportRow

FILLS = {  # by the dashboard's letter of the item's state (core/matrix.py)
    matrix.ACCEPTED: "C6EFCE",  # green
    matrix.SUBMITTED: "FFEB9C",  # yellow
    matrix.RETURNED: "F8CBAD",  # orange
    matrix.NOT_STARTED: "FFFFFF",
    matrix.OVERDUE: "FFC7CE",  # red
    matrix.NOT_APPLICABLE: "EDEDED",
}


class XlsxReport:
    """The workbook written as rows arrive, school by school, then saved to `path`.

    XlsxWriter in constant-memory mode: each sheet's finished rows go to a temporary file, so a
    region's 200,000 rows never sit in memory, and it writes several times faster than
    openpyxl (which still reads imported plans)."""

    def __init__(self, report: PlanReport, path: Path) -> None:
        import xlsxwriter  # loaded by the first report, not at start-up

        self.report, self.path = report, path
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": str(path.parent),
                # People's text is written as typed: "=…" never a formula, "+7 900…" never a
                # number, "http://…" never a link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        book = self.book
        self.bold = book.add_format({"bold": True})
        self.date = book.add_format({"num_format": "dd.mm.yyyy"})
        self.moment = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        self.fills = {
            state: book.add_format({"bg_color": f"#{colour}", "pattern": 1})
            for state, colour in FILLS.items()
        }
        self.late_date = book.add_format(
            {"bg_color": f"#{FILLS[matrix.OVERDUE]}", "pattern": 1, "num_format": "dd.mm.yyyy"}
        )
        self.today = report.local(report.generated).date()
        _summary(book, book.add_worksheet("Сводка"), report, self.bold)
        self.matrix = self._sheet(
            "Матрица",
            ["Школа"] + [f"{n or ''} {t}"[:60].strip() for _, n, t in report.activities],
            (40,) + (16,) * len(report.activities),
            book.add_format({"bold": True, "text_wrap": True, "valign": "top"}),
        )
        self.matrix.freeze_panes(1, 1)
        self.column = {a_id: index for index, (a_id, _, _) in enumerate(report.activities, 1)}
        sent = f"Отправлено ({zone_label(report.zone).strip()})"
        self.details = self._sheet(
            "Подробно",
            ["Школа", "№", "Мероприятие", "Статус", "Срок", "Срок по плану", sent, "Комментарий",
             "Файлы (⚠ — копия не сохранена)"],
            (40, 6, 60, 36, 12, 14, 18, 40, 40),
        )  # fmt: skip
        self.late = self._sheet(
            "Просрочено",
            ["Школа", "№", "Мероприятие", "Срок", "Дней просрочки"],
            (40, 6, 60, 12, 14),
        )
        self.rows = {"Матрица": 1, "Подробно": 1, "Просрочено": 1}

    def _sheet(
        self, title: str, head: list[str], widths: tuple[int, ...], style: Any = None
    ) -> Any:
        sheet = self.book.add_worksheet(title)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        sheet.write_row(0, 0, head, style or self.bold)
        return sheet

    def _next(self, sheet: Any) -> int:
        row = self.rows[sheet.name]
        self.rows[sheet.name] = row + 1
        return row

    def add(self, rows: list[ReportRow]) -> None:
        """Append rows that come school by school (each school's rows together)."""
        for _school, group in groupby(rows, key=lambda r: r.school):
            self._school(list(group))

    def _school(self, rows: list[ReportRow]) -> None:
        line = self._next(self.matrix)
        self.matrix.write_string(line, 0, rows[0].school)
        details = self.details
        for row in rows:
            letter = matrix.letter(row.state)
            fill = self.fills[letter]
            self.matrix.write_string(line, self.column[row.activity_id], LETTER_NAMES[letter], fill)
            at = self._next(details)
            details.write_string(at, 0, row.school)
            if row.number:
                details.write_string(at, 1, row.number)
            details.write_string(at, 2, row.title)
            details.write_string(at, 3, state_words(row.state), fill)
            if row.due:
                details.write_datetime(at, 4, row.due, self.date)
            if row.plan_due:
                details.write_datetime(at, 5, row.plan_due, self.date)
            if row.submitted:
                details.write_datetime(at, 6, self.report.local(row.submitted), self.moment)
            if row.comment:
                details.write_string(at, 7, row.comment)
            if row.files:
                details.write_string(at, 8, ", ".join(row.files))
        for row in sorted((r for r in rows if r.overdue), key=lambda r: r.due or self.today):
            at = self._next(self.late)
            self.late.write_string(at, 0, row.school)
            if row.number:
                self.late.write_string(at, 1, row.number)
            self.late.write_string(at, 2, row.title)
            if row.due:
                self.late.write_datetime(at, 3, row.due, self.late_date)
                self.late.write_number(at, 4, row.state.days)

    def save(self) -> None:
        self.book.close()


def _summary(book: Any, sheet: Any, report: PlanReport, bold: Any) -> None:
    sheet.set_column(0, 0, 60)
    sheet.write_string(0, 0, report.title, book.add_format({"bold": True, "font_size": 14}))
    generated = report.local(report.generated)
    sheet.write_string(1, 0, f"Сформирован: {generated:%d.%m.%Y %H:%M}{zone_label(report.zone)}")
    # A plan without directions is summed by its sections ("1. Организационная работа").
    first = "Раздел" if report.status is not None and report.status.sections else "Направление"
    head = [first, "Всего", "Принято", "На проверке", "Открыто", "Просрочено", "Принято, %"]
    sheet.write_row(3, 0, head, bold)
    if report.status is None:
        return
    groups = [(x.title, x.counts) for x in report.status.sections] or [
        (f"{d.code}. {d.title}" if d.code else d.title, d.counts) for d in report.status.directions
    ]
    row = 4
    for label, c in groups:
        sheet.write_row(
            row,
            0,
            [label, c.total, c.accepted, c.submitted, c.open, c.overdue, c.share(c.accepted)],
        )
        row += 1
    c = report.status.counts
    total = ["Итого", c.total, c.accepted, c.submitted, c.open, c.overdue, c.share(c.accepted)]
    sheet.write_row(row, 0, total, bold)
