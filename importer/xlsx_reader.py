"""Excel workbooks: each sheet's used range is one table; text above the header is preamble."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl

from importer.model import RawDocument, RawTable, clean


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


def read_xlsx(data: bytes, name: str = "") -> RawDocument:
    """Read every sheet (defusedxml is installed, so openpyxl refuses XML bombs)."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    doc = RawDocument(source_name=name)
    try:
        for sheet in workbook.worksheets:
            table = RawTable()
            for values in sheet.iter_rows(values_only=True):
                cells = [_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                if not cells:
                    continue
                if len([c for c in cells if c]) == 1 and not table.rows and len(cells) <= 2:
                    doc.preamble.append(cells[0] or cells[-1])
                    continue
                table.rows.append(cells)
            if table.rows:
                width = max(len(r) for r in table.rows)
                table.rows = [r + [""] * (width - len(r)) for r in table.rows]
                doc.tables.append(table)
    finally:
        workbook.close()
    return doc
