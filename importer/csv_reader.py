"""CSV files (comma, semicolon or tab separated, as Excel saves them)."""

from __future__ import annotations

import csv
import io

from importer.errors import MAX_ROWS, check_rows
from importer.model import RawDocument, RawTable, clean


def _delimiter(text: str) -> str:
    """The separator found on most of the first lines (Excel in Russia writes ";")."""
    lines = text.splitlines()[:30]
    return max((";", "\t", ","), key=lambda d: sum(d in line for line in lines))


def read_csv(text: str, name: str = "") -> RawDocument:
    """One table; leading rows with a single value are the preamble (the title)."""
    doc = RawDocument(source_name=name)
    table = RawTable()
    for values in csv.reader(io.StringIO(text), delimiter=_delimiter(text)):
        cells = [clean(v) for v in values]
        if not any(cells):
            continue
        if not table.rows and len([c for c in cells if c]) == 1 and len(cells) <= 2:
            doc.preamble.append(next(c for c in cells if c))
            continue
        table.rows.append(cells)
        if len(table.rows) > MAX_ROWS:  # stop reading: say how many lines the file has
            check_rows(sum(1 for line in text.splitlines() if line.strip()))
    if table.rows:
        doc.tables.append(table)
    return doc
