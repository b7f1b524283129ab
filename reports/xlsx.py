"""The plan report as an XLSX workbook: summary, school x activity matrix, details, overdue."""

from __future__ import annotations

import tempfile
from itertools import groupby
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.texts import zone_label
from core.report_data import PlanReport, ReportRow

FILLS = {
    "accepted": "C6EFCE",  # green
    "submitted": "FFEB9C",  # yellow
    "returned": "F8CBAD",  # orange
    "open": "FFFFFF",
    "overdue": "FFC7CE",  # red
}
PATTERNS = {state: PatternFill("solid", fgColor=colour) for state, colour in FILLS.items()}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
LABELS = {
    "accepted": "принят",
    "submitted": "на проверке",
    "returned": "возвращён",
    "open": "открыт",
    "overdue": "просрочен",
}


def cell_state(row: ReportRow) -> str:
    return "overdue" if row.overdue else row.status.value


class XlsxReport:
    """The workbook written as rows arrive (openpyxl write-only: rows go to temporary files,
    not memory), one school's rows at a time, then saved to `path`."""

    def __init__(self, report: PlanReport, path: Path) -> None:
        self.report, self.path = report, path
        self.book = Workbook(write_only=True)
        self.today = report.local(report.generated).date()
        _summary(self.book.create_sheet("Сводка"), report)
        self.matrix = self._sheet(
            "Матрица",
            ["Школа"] + [f"{n or ''} {t}"[:60].strip() for _, n, t in report.activities],
            (40,) + (16,) * len(report.activities),
            wrap=True,
        )
        self.matrix.freeze_panes = "B2"
        self.column = {a_id: index for index, (a_id, _, _) in enumerate(report.activities, 1)}
        sent = f"Отправлено ({zone_label(report.zone).strip()})"
        self.details = self._sheet(
            "Подробно",
            ["Школа", "№", "Мероприятие", "Статус", "Срок", "Срок по плану", sent, "Комментарий",
             "Файлы (⚠ — копия не сохранена)"],
            (40, 6, 60, 14, 12, 14, 18, 40, 40),
        )  # fmt: skip
        self.late = self._sheet(
            "Просрочено",
            ["Школа", "№", "Мероприятие", "Срок", "Дней просрочки"],
            (40, 6, 60, 12, 14),
        )

    def _sheet(
        self, title: str, head: list[str], widths: tuple[int, ...], wrap: bool = False
    ) -> Any:
        sheet = self.book.create_sheet(title)
        for index, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.append([self._cell(sheet, value, bold=True, wrap=wrap) for value in head])
        return sheet

    @staticmethod
    def _cell(
        sheet: Any, value: Any, *, bold: bool = False, wrap: bool = False, state: str = ""
    ) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        if bold:
            cell.font = BOLD
        if wrap:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if state:
            cell.fill = PATTERNS[state]
        return cell

    def add(self, rows: list[ReportRow]) -> None:
        """Append rows that come school by school (each school's rows together)."""
        for _school, group in groupby(rows, key=lambda r: r.school):
            self._school(list(group))

    def _school(self, rows: list[ReportRow]) -> None:
        line: list[Any] = [None] * (len(self.column) + 1)
        line[0] = rows[0].school
        for row in rows:
            state = cell_state(row)
            line[self.column[row.activity_id]] = self._cell(self.matrix, LABELS[state], state=state)
            self.details.append(
                [
                    row.school,
                    row.number,
                    row.title,
                    self._cell(self.details, LABELS[state], state=state),
                    row.due,
                    row.plan_due,
                    self.report.local(row.submitted) if row.submitted else None,
                    row.comment,
                    ", ".join(row.files),
                ]
            )
        self.matrix.append(line)
        for row in sorted((r for r in rows if r.overdue), key=lambda r: r.due or self.today):
            days = (self.today - row.due).days if row.due else None
            due = self._cell(self.late, row.due, state="overdue")
            self.late.append([row.school, row.number, row.title, due, days])

    def save(self) -> None:
        self.book.save(self.path)


def build_xlsx(report: PlanReport, rows: list[ReportRow]) -> bytes:
    """A small report's workbook as bytes (the bot streams big ones to a file instead)."""
    with tempfile.TemporaryDirectory() as folder:
        writer = XlsxReport(report, Path(folder) / "report.xlsx")
        writer.add(rows)
        writer.save()
        return writer.path.read_bytes()


def _summary(sheet: Any, report: PlanReport) -> None:
    def bold(value: Any) -> WriteOnlyCell:
        return XlsxReport._cell(sheet, value, bold=True)

    sheet.column_dimensions["A"].width = 60
    title = XlsxReport._cell(sheet, report.title)
    title.font = TITLE
    sheet.append([title])
    generated = report.local(report.generated)
    sheet.append([f"Сформирован: {generated:%d.%m.%Y %H:%M}{zone_label(report.zone)}"])
    sheet.append([])
    # A plan without directions is summed by its sections ("1. Организационная работа").
    first = "Раздел" if report.status is not None and report.status.sections else "Направление"
    sheet.append(
        [bold(v) for v in (first, "Всего", "Принято", "На проверке", "Открыто", "Просрочено",
                           "Принято, %")]
    )  # fmt: skip
    if report.status is None:
        return
    groups = [(x.title, x.counts) for x in report.status.sections] or [
        (f"{d.code}. {d.title}" if d.code else d.title, d.counts) for d in report.status.directions
    ]
    for label, c in groups:
        sheet.append(
            [label, c.total, c.accepted, c.submitted, c.open, c.overdue, c.share(c.accepted)]
        )
    c = report.status.counts
    sheet.append(
        [bold(v) for v in ("Итого", c.total, c.accepted, c.submitted, c.open, c.overdue,
                           c.share(c.accepted))]
    )  # fmt: skip
