"""Build the PDF plans in this folder: twins of the DOCX/XLSX/CSV plans, and broken PDFs.

Run `python tests/data/plans/make_pdfs.py` (needs LibreOffice: `soffice`) to rebuild them; the
tests read the committed PDFs and never convert anything. Twins are the same documents as
make_plans.py builds, with ruled tables ("Table Grid") and column widths as people set them;
the broken ones (a bomb, 2,000 pages, a scan, unreadable glyphs, no table) are written by hand.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_plans  # type: ignore[import-not-found]  # the script beside this one

HERE = Path(__file__).resolve().parent
_LOCKED = (
    '{"EncryptFile":{"type":"boolean","value":"true"},'
    '"DocumentOpenPassword":{"type":"string","value":"secret"}}'
)
_OWNER_ONLY = (
    '{"RestrictPermissions":{"type":"boolean","value":"true"},'
    '"PermissionPassword":{"type":"string","value":"owner"},'
    '"Printing":{"type":"long","value":"0"},"Changes":{"type":"long","value":"0"},'
    '"EnableCopyingOfContent":{"type":"boolean","value":"false"}}'
)


def to_pdf(data: bytes, options: str = "", timeout: float = 120) -> bytes:
    """A DOCX converted by LibreOffice, as an office worker's "Save as PDF" would."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "plan.docx"
        source.write_bytes(data)
        target = "pdf:writer_pdf_Export" + (f":{options}" if options else "")
        subprocess.run(
            ["soffice", "--headless", "--convert-to", target, "--outdir", folder, str(source)],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        return (Path(folder) / "plan.pdf").read_bytes()


def styled(
    data: bytes,
    *,
    ruled: bool = True,
    landscape: bool = False,
    break_before: tuple[int, ...] = (),
    repeat: dict[int, int] | None = None,
) -> bytes:
    """The DOCX with ruled tables, columns as wide as their text needs, page breaks before the
    given tables and the first N rows of the given tables repeated on every page."""
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    width, left, right = section.page_width, section.left_margin, section.right_margin
    assert width is not None and left is not None and right is not None
    room = width - left - right
    for index, table in enumerate(document.tables):
        if len(table.columns) < 3:
            continue  # an approval block laid out in a table has no lines
        if ruled:
            table.style = document.styles["Table Grid"]
        _widths(table, room, document)
        for row in table.rows[: (repeat or {}).get(index, 0)]:
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        if index in break_before:
            table._tbl.addprevious(_page_break())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page_break() -> BaseOxmlElement:
    run = OxmlElement("w:r")
    mark = OxmlElement("w:br")
    mark.set(qn("w:type"), "page")
    run.append(mark)
    paragraph = OxmlElement("w:p")
    paragraph.append(run)
    return paragraph


def _widths(table: Table, room: int, document: docx.document.Document) -> None:
    """Columns as wide as their text needs, alike in every table of as many columns."""
    model = max(
        (t for t in document.tables if len(t.columns) == len(table.columns)),
        key=lambda t: len(t.rows),
    )
    longest = [max((len(c.text) for c in column.cells), default=1) for column in model.columns]
    weights = [min(max(n, 6), 40) for n in longest]
    table.autofit = False
    for column, weight in zip(table.columns, weights, strict=True):
        width = int(room * weight / sum(weights))
        column.width = width
        for cell in column.cells:
            cell.width = width


def monitoring_docx() -> bytes:
    """monitoring.xlsx as a Word table: the same title rows, merged cells and values."""
    document = docx.Document()
    document.add_paragraph("План муниципальных мониторинговых мероприятий")
    document.add_paragraph("на 2020/2021 учебный год")
    rows = [
        ["№ п/п", "Наименование мероприятия", "Дата проведения", "Ответственные", "Примечание"],
        ["1", "Мониторинг готовности ОО к учебному году", "25.09.2020", "Сидорова В.В.", "3.2"],
        ["2", "Мониторинг объективности оценивания", "", "", ""],
        ["3", "Мониторинг ведения электронных журналов", "", "", "учебный план"],
        ["4", "Мониторинг посещаемости", "", "Орлова Д.Д.", ""],
        ["5", "Сбор отчётов о ВПР", "", "", "1.5"],
    ]
    table = document.add_table(rows=len(rows), cols=5)
    make_plans._fill(table, rows)
    make_plans._merge(table, (2, 2), (4, 2), "II четверть")
    make_plans._merge(table, (2, 3), (3, 3), "Кузнецов Г.Г.")
    return bytes(make_plans._save(document))


def cp1251_docx() -> bytes:
    """plan_cp1251.csv as a Word table under its title."""
    document = docx.Document()
    document.add_paragraph(
        "План работы методического объединения учителей начальных классов на 2020/2021 учебный год"
    )
    rows = [
        ["№", "Содержание работы", "Сроки", "Ответственный", "Примечание"],
        ["1", "Утверждение плана работы МО", "сентябрь", "Руководитель МО", ""],
        ["3.2", "Анализ результатов ВПР", "", "учитель", "1.5"],
        ["4", "Педсовет по итогам полугодия", "с 1 по 15 января 2021", "Директор", "уч. год"],
        ["5", "Открытые уроки", "1 раз в четверть", "Учителя", ""],
        ["6", "Отчёт о работе МО", "постоянно", "Руководитель МО", "май 2021"],
    ]
    table = document.add_table(rows=len(rows), cols=5)
    make_plans._fill(table, rows)
    return bytes(make_plans._save(document))


PERIODS = ("сентябрь 2020", "до 15.10.2020", "II четверть", "с 1 по 15 марта 2021", "май 2021")
LONG = (
    "с привлечением руководителей школьных методических объединений, педагогов-наставников "
    "и представителей родительской общественности по итогам первого полугодия"
)


def long_rows(count: int = 24) -> list[list[str]]:
    """Numbered rows of a plan long enough for three pages; every sixth title runs long."""
    rows = []
    for number in range(1, count + 1):
        title = f"Мероприятие {number}: совещание по плану работы"
        if number % 6 == 0:
            title = f"{title} {LONG}, {LONG}"
        rows.append([str(number), title, PERIODS[number % 5], f"Ответственный {number}"])
    return rows


def long_plan(layout: str) -> bytes:
    """A long plan across pages: its header repeated ("header"), not repeated ("bare"), or only
    the row of column numbers repeated ("numbers": the header stands above as its own table)."""
    document = docx.Document()
    document.add_paragraph("План работы школы на 2020/2021 учебный год")
    header = ["№", "Наименование мероприятия", "Сроки", "Ответственный"]
    rows = long_rows()
    if layout == "numbers":
        top = document.add_table(rows=1, cols=4)
        make_plans._fill(top, [header])
        document.add_paragraph("")  # tables that touch are one table to LibreOffice
        body = [["1", "2", "3", "4"], *rows]
    else:
        body = [header, *rows]
    table = document.add_table(rows=len(body), cols=4)
    make_plans._fill(table, body)
    repeat = {} if layout == "bare" else {len(document.tables) - 1: 1}
    return styled(make_plans._save(document), repeat=repeat)


def merged_across_pages() -> bytes:
    """A period cell merged over rows 20-50, which a page break cuts; row 60 has no period."""
    document = docx.Document()
    document.add_paragraph("План работы школы на 2020/2021 учебный год")
    header = ["№", "Наименование мероприятия", "Сроки", "Ответственный"]
    rows = [
        [str(n), f"Мероприятие {n}", "до 15.09.2020" if n < 20 else "", f"Ответственный {n}"]
        for n in range(1, 61)
    ]
    rows[-1][2] = ""
    for n in range(51, 60):
        rows[n - 1][2] = "ноябрь 2020"
    table = document.add_table(rows=len(rows) + 1, cols=4)
    make_plans._fill(table, [header, *rows])
    make_plans._merge(table, (20, 2), (50, 2), "октябрь 2020")
    return styled(make_plans._save(document), repeat={0: 1})


# --- PDFs written by hand -----------------------------------------------------------------------


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF file from its numbered objects (1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    start = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n"
    out += trailer.encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "", compress: bool = True) -> bytes:
    body = zlib.compress(data, 9) if compress else data
    flate = " /Filter /FlateDecode" if compress else ""
    head = f"<< /Length {len(body)}{flate}{extra} >>\nstream\n".encode()
    return head + body + b"\nendstream"


def _one_page(content: bytes, resources: str) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        f"/Resources {resources} >>".encode(),
        _stream(content),
    ]


def no_table_pdf() -> bytes:
    """A letter with text and no table at all."""
    text = b"BT /F1 12 Tf 72 760 Td (Information letter about the school year) Tj ET"
    fonts = "<< /Font << /F1 5 0 R >> >>"
    return _pdf(
        [*_one_page(text, fonts), b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    )


def scanned_pdf() -> bytes:
    """A page that is only a picture of a page: no text layer."""
    pixels = bytes([200]) * (200 * 280)
    image = _stream(
        pixels,
        " /Type /XObject /Subtype /Image /Width 200 /Height 280"
        " /ColorSpace /DeviceGray /BitsPerComponent 8",
    )
    draw = b"q 523 0 0 770 36 36 cm /Im1 Do Q"
    return _pdf([*_one_page(draw, "<< /XObject << /Im1 5 0 R >> >>"), image])


def cid_garbage_pdf() -> bytes:
    """Text in a font without a character map: every glyph reads as "(cid:N)"."""
    codes = "".join(f"{n:04x}" for n in range(40, 90))
    text = f"BT /F1 12 Tf 72 760 Td <{codes}> Tj 0 -20 Td <{codes}> Tj ET".encode()
    return _pdf(
        [
            *_one_page(text, "<< /Font << /F1 5 0 R >> >>"),
            b"<< /Type /Font /Subtype /Type0 /BaseFont /Garbled /Encoding /Identity-H"
            b" /DescendantFonts [6 0 R] >>",
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Garbled"
            b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /FontDescriptor 7 0 R /DW 500 >>",
            b"<< /Type /FontDescriptor /FontName /Garbled /Flags 4 /FontBBox [0 0 1000 1000]"
            b" /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 >>",
        ]
    )


def bomb_pdf() -> bytes:
    """One page whose content stream inflates from about 200 KB to 200 MB."""
    content = b" " * (200 * 1024 * 1024)
    return _pdf(_one_page(content, "<< >>"))


def many_pages_pdf(count: int = 2000) -> bytes:
    """2,000 empty pages: refused from the page count, before any page is read."""
    kids = " ".join(f"{n} 0 R" for n in range(4, count + 4))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        _stream(b"BT ET", compress=False),
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"
    return _pdf(objects + [page] * count)


TWINS: dict[str, Callable[[], bytes]] = {
    "roadmap_sections.pdf": lambda: styled(make_plans.roadmap_sections(), break_before=(1,)),
    "two_row_header.pdf": lambda: styled(make_plans.two_row_header(), landscape=True),
    "monitoring.pdf": lambda: styled(monitoring_docx()),
    "plan_cp1251.pdf": lambda: styled(cp1251_docx()),
    "cyclogram.pdf": lambda: styled(make_plans.cyclogram()),
    "vpr_schedule.pdf": lambda: styled(make_plans.vpr_schedule()),
    "plan_unruled.pdf": lambda: styled(cp1251_docx(), ruled=False),
    "converted.pdf": lambda: styled(make_plans.converted_docx(), break_before=(1,)),
    "long_plan.pdf": lambda: long_plan("header"),
    "long_plan_bare.pdf": lambda: long_plan("bare"),
    "long_plan_numbers.pdf": lambda: long_plan("numbers"),
    "grid_cyclogram.pdf": lambda: styled(make_plans.grid_cyclogram(), landscape=True),
    "term_grid.pdf": lambda: styled(make_plans.term_grid(), landscape=True),
    "dated_lines.pdf": lambda: styled(make_plans.dated_lines()),
    "grid_cyclogram_xlsx.pdf": lambda: styled(grid_xlsx_docx(), landscape=True),
    "merged_across_pages.pdf": merged_across_pages,
}


def grid_xlsx_docx() -> bytes:
    """grid_cyclogram.xlsx as Excel prints it (this machine's LibreOffice has no Calc): the
    sheet's title and grid, then the legend sheet on a page of its own."""
    document = docx.Document()
    document.add_paragraph(make_plans.GRID_XLSX_TITLE)
    rows = make_plans.GRID_XLSX_ROWS
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    make_plans._fill(table, rows)
    document.add_paragraph("")
    document.add_paragraph("").add_run().add_break(WD_BREAK.PAGE)
    for row in make_plans.GRID_XLSX_LEGEND:
        document.add_paragraph(" – ".join(row))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


HAND_BUILT: dict[str, Callable[[], bytes]] = {
    "no_table.pdf": no_table_pdf,
    "scanned.pdf": scanned_pdf,
    "cid_garbage.pdf": cid_garbage_pdf,
    "bomb.pdf": bomb_pdf,
    "pages_2000.pdf": many_pages_pdf,
}


def main(only: list[str]) -> None:
    """Every PDF, or only those named on the command line."""
    for name, build in TWINS.items():
        if not only or name in only:
            (HERE / name).write_bytes(to_pdf(build()))
            print(name)
    if only:
        return
    roadmap = styled(make_plans.roadmap_sections(), break_before=(1,))
    (HERE / "locked.pdf").write_bytes(to_pdf(roadmap, _LOCKED))
    (HERE / "owner_only.pdf").write_bytes(to_pdf(roadmap, _OWNER_ONLY))
    for name, build in HAND_BUILT.items():
        (HERE / name).write_bytes(build())
        print(name)


if __name__ == "__main__":
    main(sys.argv[1:])
