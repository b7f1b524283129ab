"""The plan report as an XLSX workbook: summary, school x activity matrix, details, overdue."""

from __future__ import annotations

import io

from openpyxl import Workbook
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
LABELS = {
    "accepted": "принят",
    "submitted": "на проверке",
    "returned": "возвращён",
    "open": "открыт",
    "overdue": "просрочен",
}


def cell_state(row: ReportRow) -> str:
    return "overdue" if row.overdue else row.status.value


def build_xlsx(report: PlanReport) -> bytes:
    """The workbook as bytes."""
    book = Workbook()
    _summary(book.active, report)
    _matrix(book.create_sheet("Матрица"), report)
    _details(book.create_sheet("Подробно"), report)
    _overdue(book.create_sheet("Просрочено"), report)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary(sheet, report: PlanReport) -> None:  # type: ignore[no-untyped-def]
    sheet.title = "Сводка"
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=14)
    generated = report.local(report.generated)
    sheet.append([f"Сформирован: {generated:%d.%m.%Y %H:%M}{zone_label(report.zone)}"])
    sheet.append([])
    sheet.append(
        ["Направление", "Всего", "Принято", "На проверке", "Открыто", "Просрочено", "Принято, %"]
    )
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    if report.status is not None:
        # A plan without directions is summed by its sections ("1. Организационная работа").
        if report.status.sections:
            sheet["A4"] = "Раздел"
        groups = [(x.title, x.counts) for x in report.status.sections] or [
            (f"{d.code}. {d.title}" if d.code else d.title, d.counts)
            for d in report.status.directions
        ]
        for label, c in groups:
            sheet.append(
                [
                    label,
                    c.total,
                    c.accepted,
                    c.submitted,
                    c.open,
                    c.overdue,
                    c.share(c.accepted),
                ]
            )
        c = report.status.counts
        sheet.append(
            ["Итого", c.total, c.accepted, c.submitted, c.open, c.overdue, c.share(c.accepted)]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 60


def _matrix(sheet, report: PlanReport) -> None:  # type: ignore[no-untyped-def]
    sheet.append(["Школа"] + [f"{n or ''} {t}"[:60].strip() for _, n, t in report.activities])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    column = {activity_id: index + 2 for index, (activity_id, _, _) in enumerate(report.activities)}
    row_of = {school: index + 2 for index, school in enumerate(report.schools)}
    for school, index in row_of.items():
        sheet.cell(row=index, column=1, value=school)
    for row in report.rows:
        state = cell_state(row)
        cell = sheet.cell(
            row=row_of[row.school], column=column[row.activity_id], value=LABELS[state]
        )
        cell.fill = PATTERNS[state]
    sheet.column_dimensions["A"].width = 40
    for index in range(2, len(report.activities) + 2):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "B2"


def _details(sheet, report: PlanReport) -> None:  # type: ignore[no-untyped-def]
    files = "Файлы (⚠ — копия не сохранена)"
    sent = f"Отправлено ({zone_label(report.zone).strip()})"
    head = ["Школа", "№", "Мероприятие", "Статус", "Срок", "Срок по плану", sent, "Комментарий"]
    head.append(files)
    sheet.append(head)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # Rows are counted here: openpyxl's max_row scans the sheet on every call.
    for index, row in enumerate(sorted(report.rows, key=lambda r: (r.school, r.activity_id)), 2):
        state = cell_state(row)
        sheet.append(
            [
                row.school,
                row.number,
                row.title,
                LABELS[state],
                row.due,
                row.plan_due,
                report.local(row.submitted) if row.submitted else None,
                row.comment,
                ", ".join(row.files),
            ]
        )
        sheet.cell(row=index, column=4).fill = PATTERNS[state]
    for letter, width in zip("ABCDEFGHI", (40, 6, 60, 14, 12, 14, 18, 40, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def _overdue(sheet, report: PlanReport) -> None:  # type: ignore[no-untyped-def]
    sheet.append(["Школа", "№", "Мероприятие", "Срок", "Дней просрочки"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    today = report.local(report.generated).date()
    late = sorted((r for r in report.rows if r.overdue), key=lambda r: (r.school, r.due or today))
    for index, row in enumerate(late, 2):
        days = (today - row.due).days if row.due else None
        sheet.append([row.school, row.number, row.title, row.due, days])
        sheet.cell(row=index, column=4).fill = PATTERNS["overdue"]
    for letter, width in zip("ABCDE", (40, 6, 60, 12, 14), strict=True):
        sheet.column_dimensions[letter].width = width
