"""CSV files (comma, semicolon or tab separated, as Excel saves them)."""

from __future__ import annotations

import csv
import io

from importer.model import RawDocument, RawTable, clean


def read_csv(text: str, name: str = "") -> RawDocument:
    """One table; leading rows with a single value are the preamble (the title)."""
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=";,\t"
        )
    except csv.Error:
        dialect = csv.excel
    doc = RawDocument(source_name=name)
    table = RawTable()
    for values in csv.reader(io.StringIO(text), dialect):
        cells = [clean(v) for v in values]
        if not any(cells):
            continue
        if not table.rows and len([c for c in cells if c]) == 1 and len(cells) <= 2:
            doc.preamble.append(next(c for c in cells if c))
            continue
        table.rows.append(cells)
    if table.rows:
        doc.tables.append(table)
    return doc
