"""The official plan report as a Word document ("Отчёт о выполнении плана мероприятий").

The head (title, period, date, summary, per-direction table, signature block) is built with
python-docx from a template an administrator may replace (REPORT_TEMPLATE); the plan's table,
which for a region is 200,000 rows, is streamed as WordprocessingML into a temporary file as
rows arrive and spliced into the document at the end, so memory stays at one chunk of rows.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from bot.texts import clip, state_words
from core.item_state import State
from core.plain_text import printable
from core.report_data import PlanReport, ReportRow
from reports.layout import Columns, ColumnText
from reports.output import move_into_place

TEMPLATE = Path(__file__).parent / "templates" / "report.docx"
PLACEHOLDERS = re.compile(r"\{\{(title|date|period)\}\}")
FILL_OVERDUE = "FFC7CE"
FILL_HEAD = "D9E2F3"
COLUMNS = ("№", "Мероприятие", "Срок", "Ответственный", "Отметка о выполнении",
           "Подтверждающие материалы")  # fmt: skip
TABLE_FONT = 22  # half-points: 11 pt in the tables, the template's size elsewhere
HEAD_FONT = 20  # half-points: 10 pt in the tables' header rows
SAMPLED = 5000  # rows looked at for the column widths: a region's rows repeat the same plan
SUMMARY_HEAD = ("Всего", "В срок", "С опозданием", "На проверке", "В работе", "Не выполнено",
                "Выполнено, %")  # fmt: skip


@dataclass
class Tally:
    """One line of the summary: how the group's items stand (core/item_state.py decides)."""

    total: int = 0
    on_time: int = 0  # accepted, handed in by the date
    late: int = 0  # accepted, handed in after it
    submitted: int = 0
    in_work: int = 0  # open or returned, the date not passed (or none)
    overdue: int = 0  # open or returned past the date: the only "не выполнено"

    @property
    def accepted(self) -> int:
        return self.on_time + self.late

    def share(self) -> int:
        return round(100 * self.accepted / self.total) if self.total else 0

    def numbers(self) -> list[str]:
        """The summary table's cells after the group's name (SUMMARY_HEAD)."""
        counts = (self.total, self.on_time, self.late, self.submitted, self.in_work, self.overdue)
        return [*map(str, counts), f"{self.share()}\u00a0%"]

    def add(self, row: ReportRow) -> None:
        self.total += 1
        state = row.state.state
        if state == State.ACCEPTED_ON_TIME:
            self.on_time += 1
        elif state == State.ACCEPTED_LATE:
            self.late += 1
        elif row.state.handed_in:
            self.submitted += 1
        elif row.state.overdue:
            self.overdue += 1
        else:
            self.in_work += 1


@dataclass
class _Activity:
    """One activity's line in the aggregated table."""

    tally: Tally = field(default_factory=Tally)
    files: int = 0
    late_schools: list[str] = field(default_factory=list)


class DocxReport:
    """Rows go in school by school (`add`); `save` writes the document."""

    def __init__(
        self,
        report: PlanReport,
        path: Path,
        template: Path | None = None,
        aggregated: bool = False,
        school: str | None = None,
    ) -> None:
        self.report, self.path = report, path
        self.template = template or TEMPLATE
        self.aggregated, self.school = aggregated, school
        self.columns = Columns([ColumnText(h, HEAD_FONT / 2, TABLE_FONT / 2) for h in COLUMNS])
        self.sampled = 0
        self.today = report.local(report.generated).date()
        self.groups: dict[str, Tally] = defaultdict(Tally)
        self.whole = Tally()
        self.activities: dict[int, _Activity] = defaultdict(_Activity)
        # Where the table goes: random for each report, so no plan's text can be taken for it.
        self.marker = f"KURATOR-TABLE-{secrets.token_hex(16)}"
        # Its parts are made in the system's temporary folder, never beside the output.
        self._folder = tempfile.TemporaryDirectory(prefix="kurator-docx-")
        self._rows: IO[str] = open(  # noqa: SIM115 - closed in save()
            Path(self._folder.name) / "rows.xml", "w", encoding="utf-8"
        )

    def add(self, rows: list[ReportRow]) -> None:
        """Tally the rows and, per school, write them to the plan's table."""
        school = None
        for row in rows:
            info = self.report.details.get(row.activity_id)
            group = info.group if info else ""
            self.groups[group].add(row)
            self.whole.add(row)
            if self.aggregated:
                line = self.activities[row.activity_id]
                line.tally.add(row)
                line.files += len(row.files)
                if row.overdue:
                    line.late_schools.append(row.school)
                continue
            if row.school != school and self.school is None:
                school = row.school
                self._rows.write(_school_row(school, len(COLUMNS)))
            self._row(row)

    def _write(self, cells: list[str], fill: str | None) -> None:
        if self.sampled < SAMPLED:
            self.sampled += 1
            for column, text in zip(self.columns.columns, cells, strict=True):
                column.add(printable(text))
        self._rows.write(_row_xml(cells, fill))

    def _row(self, row: ReportRow) -> None:
        info = self.report.details.get(row.activity_id)
        due = _due(row.due, row.plan_due, info.period if info else "")
        mark = _mark(row)
        materials = "; ".join(
            part
            for part in (
                clip(", ".join(row.files), 300) if row.files else "",
                f"«{clip(row.comment, 150)}»" if row.comment else "",
            )
            if part
        )
        cells = [
            row.number or "",
            row.title,
            due,
            info.responsible if info else "",
            mark,
            materials,
        ]
        self._write(cells, FILL_OVERDUE if row.overdue else None)

    def _aggregated_rows(self) -> None:
        for activity_id, number, title in self.report.activities:
            line = self.activities.get(activity_id)
            if line is None:
                continue
            info = self.report.details.get(activity_id)
            t = line.tally
            mark = f"выполнено: {t.accepted} из {t.total} (в срок {t.on_time})"
            if t.submitted:
                mark += f"; на проверке: {t.submitted}"
            if t.in_work:
                mark += f"; в работе: {t.in_work}"
            if t.overdue:
                mark += f"; не выполнено: {t.overdue} ({clip(', '.join(line.late_schools), 200)})"
            cells = [
                number or "",
                title,
                _due(info.due, None, info.period) if info else "",
                info.responsible if info else "",
                mark,
                f"файлов: {line.files}" if line.files else "",
            ]
            self._write(cells, FILL_OVERDUE if t.overdue else None)

    def save(self) -> None:
        """Build the head from the template, splice the table in, move the document to `path`
        whole."""
        try:
            if self.aggregated:
                self._aggregated_rows()
            self._rows.close()
            head = Path(self._folder.name) / "head.docx"
            room = self._head(head)
            widths = self.columns.widths(room)
            columns = tuple(zip(COLUMNS, widths, strict=True))
            whole = Path(self._folder.name) / "report.docx"
            _splice(head, Path(self._rows.name), whole, columns, self.marker)
            move_into_place(whole, self.path)
        finally:
            self.discard()

    def discard(self) -> None:
        """Drop the report's parts (after `save`, or when it failed): nothing is left at `path`."""
        self._rows.close()
        self._folder.cleanup()

    def _head(self, path: Path) -> int:
        """Write the head with the table's marker; the width (twips) the tables may take."""
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt, Twips

        document = Document(str(self.template))
        report = self.report
        title, period = printable(report.title), printable(report.period or "")
        values = {"title": title, "date": _date(self.today), "period": period}
        for paragraph in document.paragraphs:
            if "{{" in paragraph.text:
                for run in paragraph.runs:  # one pass: a title saying "{{date}}" stays as typed
                    run.text = PLACEHOLDERS.sub(lambda m: values[m.group(1)], run.text)
        for section in document.sections:
            if section.orientation != WD_ORIENT.LANDSCAPE:
                section.orientation = WD_ORIENT.LANDSCAPE
                section.page_width, section.page_height = section.page_height, section.page_width
            _page_numbers(section)
        last = document.sections[-1]
        room = (
            (last.page_width or 0) - (last.left_margin or 0) - (last.right_margin or 0)
        ) // 635  # EMU to twips
        heading = document.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run("Отчёт о выполнении плана мероприятий")
        run.bold, run.font.size = True, Pt(14)
        title_line = document.add_paragraph()
        title_line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title_line.add_run(title).bold = True
        if period:
            document.add_paragraph(f"Период: {period}")
        if self.school:
            document.add_paragraph(f"Образовательная организация: {printable(self.school)}")
        document.add_paragraph(f"Дата отчёта: {_date(self.today)}")
        w = self.whole
        count = (
            len({a for a, _, _ in report.activities if a in self.activities})
            if (self.aggregated)
            else len(report.activities)
        )
        document.add_paragraph(summary_line(count, w))
        head = [report.group_kind, *SUMMARY_HEAD]
        order = {label: index for index, label in enumerate(report.group_order)}
        lines = [
            [printable(label) or "—", *self.groups[label].numbers()]
            for label in sorted(self.groups, key=lambda g: (order.get(g, len(order)), g))
        ]
        lines.append(["Итого", *w.numbers()])
        columns = Columns([ColumnText(h, HEAD_FONT / 2, TABLE_FONT / 2) for h in head])
        for line in lines:
            for column, text in zip(columns.columns, line, strict=True):
                column.add(text)
        widths = [Twips(x) for x in columns.widths(room)]
        table = document.add_table(rows=0, cols=len(head))
        table.style = _grid(document)
        table.autofit = False
        for index, line in enumerate([head, *lines]):
            cells = table.add_row().cells
            bold = index == 0 or index == len(lines)
            for cell, text in zip(cells, line, strict=True):
                run = cell.paragraphs[0].add_run(text)
                run.bold = bold
                run.font.size = Pt((HEAD_FONT if index == 0 else TABLE_FONT) / 2)
        _header_row(table.rows[0], FILL_HEAD)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
        for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            column.w = width  # the grid is what LibreOffice (and Word on opening) lays out by
        document.add_paragraph()
        document.add_paragraph(self.marker)
        document.add_paragraph()
        document.add_paragraph("Ответственный ____________________ / ______________________ /")
        document.add_paragraph(
            "                         (подпись)                             (ФИО)"
        )
        document.add_paragraph(f"«___» ____________ {self.today.year} г.")
        document.save(str(path))
        return int(room)


def summary_line(count: int, w: Tally) -> str:
    """The summary under the title: the items counted once when each activity is one item (a
    school's own report), else activities and the schools' items both."""
    items = (
        f"Всего мероприятий: {count}."
        if count == w.total
        else f"Всего мероприятий: {count}, пунктов плана по организациям: {w.total}."
    )
    return (
        f"{items} Выполнено в срок: {w.on_time}, с опозданием: {w.late}, на проверке: "
        f"{w.submitted}, в работе (срок не истёк): {w.in_work}, не выполнено (срок истёк): "
        f"{w.overdue}. Выполнено {w.share()}\u00a0% пунктов."
    )


def _due(due: date | None, plan_due: date | None, period: str) -> str:
    """The date the plan runs on ("30.11.2020"); the school's own when moved, with the plan's;
    the plan's text beside it where it does not say that date ("до 31.11.2020", "Ноябрь")."""
    if due is None:
        return period
    text = _date(due)
    if plan_due is not None:
        text += f" (по плану {_date(plan_due)})"
    planned = _date(plan_due or due)
    if period and planned not in period and period.strip() != planned:
        text += f"\nв плане: «{clip(period, 120)}»"
    return text


def _page_numbers(section: Any) -> None:
    """ "Страница N из M" centred in the section's footer (Word's PAGE and NUMPAGES fields)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for words, field_name in (("Страница ", "PAGE"), (" из ", "NUMPAGES")):
        paragraph.add_run(words)
        simple = f'<w:fldSimple {nsdecls("w")} w:instr=" {field_name} ">'
        paragraph._p.append(parse_xml(f"{simple}<w:r><w:t>1</w:t></w:r></w:fldSimple>"))


def _header_row(row: Any, fill: str) -> None:
    """Shade a python-docx table's first row and repeat it on every page."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    row._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    for cell in row.cells:
        shade = f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'
        cell._tc.get_or_add_tcPr().append(parse_xml(shade))


def _mark(row: ReportRow) -> str:
    """ "принято, сдано в срок (02.11.2020)", "срок не наступил", "не выполнено, просрочено…"."""
    words = state_words(row.state)
    return f"{words} ({_date(row.handed_in)})" if row.state.handed_in and row.handed_in else words


def _grid(document: Any) -> Any:
    """The template's table style with borders, if it has one (Word's "Table Grid")."""
    names = {style.name for style in document.styles}
    return "Table Grid" if "Table Grid" in names else None


def _date(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _cell(
    text: str,
    width: int | None = None,
    fill: str | None = None,
    bold: bool = False,
    span: int = 1,
    size: int = TABLE_FONT,
) -> str:
    props = ""
    if width:
        props += f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if fill:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
    run_props = f'<w:rPr>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
    paragraphs = "".join(
        f'<w:p><w:r>{run_props}<w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'
        # Characters XML 1.0 forbids (a stray control character in a comment) are dropped.
        for line in printable(text).split("\n")
    )
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{paragraphs}</w:tc>"


def _row_xml(cells: list[str], fill: str | None = None) -> str:
    body = "".join(_cell(text, fill=fill) for text in cells)
    return f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{body}</w:tr>"


def _school_row(name: str, span: int) -> str:
    cell = _cell(name, fill="EDEDED", bold=True, span=span)
    return f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{cell}</w:tr>"


def _table_start(columns: tuple[tuple[str, int], ...]) -> str:
    border = 'w:val="single" w:sz="4" w:space="0" w:color="808080"'
    borders = "".join(
        f"<w:{side} {border}/>" for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for _, width in columns)
    head = "".join(
        _cell(title, width, FILL_HEAD, bold=True, size=HEAD_FONT) for title, width in columns
    )
    return (
        '<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/>'
        f"<w:tblBorders>{borders}</w:tblBorders>"
        '<w:tblLayout w:type="fixed"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>"
        # The header row repeats on every page (tblHeader).
        f"<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>{head}</w:tr>"
    )


def _splice(
    head: Path, rows: Path, out: Path, columns: tuple[tuple[str, int], ...], marker: str
) -> None:
    """Copy `head` to `out`, replacing the marker paragraph by the table streamed from `rows`."""
    with zipfile.ZipFile(head) as source:
        document = source.read("word/document.xml").decode("utf-8")
        found = rf"<w:p[ >](?:(?!<w:p[ >]).)*?{re.escape(marker)}.*?</w:p>"
        match = re.search(found, document, flags=re.S)
        if match is None:
            raise RuntimeError("report template lost the table's marker")
        before, after = document[: match.start()], document[match.end() :]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename != "word/document.xml":
                    target.writestr(item, source.read(item.filename))
                    continue
                with target.open(item.filename, "w", force_zip64=True) as stream:
                    stream.write(before.encode("utf-8"))
                    stream.write(_table_start(columns).encode("utf-8"))
                    with open(rows, "rb") as part:
                        shutil.copyfileobj(part, stream, 1 << 20)
                    stream.write(b"</w:tbl>")
                    stream.write(after.encode("utf-8"))
