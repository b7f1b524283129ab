"""Excel workbooks: each sheet's used range is one table; text above the header is preamble.

Read in openpyxl's streaming (read-only) mode. Merged ranges come from the sheet's XML, read
as a stream: a vertically merged cell passes its value down to every row of the merge; the
other columns a merge covers stay empty, as in the DOCX reader.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from importer.errors import check_rows
from importer.model import RawDocument, RawTable, clean

_MERGE_RE = re.compile(rb'<mergeCell ref="([A-Z]+\d+):([A-Z]+\d+)"')
# A sheet of the legend or notes ("Условные обозначения", "Примечания"): read for what the marks
# mean, never for the plan's title or rows.
NOTES_RE = re.compile(r"обозначени|примечани|пояснени|легенд|расшифровк", re.I)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean(str(value))


def _cell(ref: bytes) -> tuple[int, int]:
    letters, row = coordinate_from_string(ref.decode())
    return row, column_index_from_string(letters)


def _merges(archive: zipfile.ZipFile, path: str) -> dict[tuple[int, int], tuple[int, int]]:
    """(row, column) of every cell below the top of a vertical merge -> the top cell."""
    below: dict[tuple[int, int], tuple[int, int]] = {}
    tail = b""
    with archive.open(path.lstrip("/")) as member:
        while chunk := member.read(1 << 20):
            window = tail + chunk
            last = 0
            for found in _MERGE_RE.finditer(window):
                (top, left), (bottom, _right) = _cell(found.group(1)), _cell(found.group(2))
                for row in range(top + 1, bottom + 1):
                    below[(row, left)] = (top, left)
                last = found.end()
            tail = window[max(last, len(window) - 64) :]
    return below


def _value_rows(archive: zipfile.ZipFile, path: str) -> int:
    """Rows holding a value in one sheet's XML, read as a stream (formatted empty rows skipped)."""
    count, tail = 0, b""
    with archive.open(path.lstrip("/")) as member:
        while chunk := member.read(1 << 20):
            *whole, tail = (tail + chunk).split(b"<row ")
            count += sum(1 for row in whole if b"<v>" in row or b"<is>" in row)
    return count + (1 if b"<v>" in tail or b"<is>" in tail else 0)


def _check_size(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook with too many rows before openpyxl reads it (it may scan it whole)."""
    sheets = [n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/[^/]+\.xml", n)]
    check_rows(sum(_value_rows(archive, name) for name in sheets))


def read_xlsx(data: bytes, name: str = "") -> RawDocument:
    """Read every sheet (defusedxml is installed, so openpyxl refuses XML bombs)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    _check_size(archive)
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    doc = RawDocument(source_name=name)
    try:
        for sheet in workbook.worksheets:
            path = sheet._worksheet_path
            if NOTES_RE.search(sheet.title):
                for values in sheet.iter_rows(values_only=True):
                    line = " – ".join(t for v in values if (t := _text(v)))
                    if line:
                        doc.notes.append(line)
                continue
            merged = _merges(archive, path)
            table = RawTable()
            tops = set(merged.values())
            values_at: dict[tuple[int, int], str] = {}
            for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_text(v) for v in values]
                for column, text in enumerate(cells, start=1):
                    if (row_number, column) in tops:
                        values_at[(row_number, column)] = text
                    elif not text and (top := merged.get((row_number, column))) is not None:
                        cells[column - 1] = values_at.get(top, "")
                while cells and not cells[-1]:
                    cells.pop()
                if not cells:
                    continue
                if len([c for c in cells if c]) == 1 and not table.rows and len(cells) <= 2:
                    line = cells[0] or cells[-1]
                    if not doc.preamble or doc.preamble[-1] != line:
                        doc.preamble.append(line)
                    continue
                table.rows.append(cells)
            if table.rows:
                width = max(len(r) for r in table.rows)
                table.rows = [r + [""] * (width - len(r)) for r in table.rows]
                doc.tables.append(table)
    finally:
        workbook.close()
    return doc
