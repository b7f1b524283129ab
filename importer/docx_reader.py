"""Word documents: paragraphs before/between tables become preamble, tables become raw tables."""

from __future__ import annotations

import io

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from importer.model import RawDocument, RawTable, clean


def read_docx(data: bytes, name: str = "") -> RawDocument:
    """Read a .docx; horizontally merged cells are kept once, cell paragraphs joined by newlines."""
    document = docx.Document(io.BytesIO(data))
    doc = RawDocument(source_name=name)
    block: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            if item.text.strip():
                block.append(item.text)
            elif block:
                doc.preamble.append(clean("\n".join(block)))
                block = []
        elif isinstance(item, Table):
            if block:
                doc.preamble.append(clean("\n".join(block)))
                block = []
            doc.tables.append(_table(item))
    if block:
        doc.preamble.append(clean("\n".join(block)))
    return doc


def _table(table: Table) -> RawTable:
    raw = RawTable()
    for row in table.rows:
        cells: list[str] = []
        skip = 0
        for cell in row.cells:
            if skip:
                skip -= 1
                continue
            skip = max(cell.grid_span - 1, 0)
            cells.append(clean("\n".join(p.text for p in cell.paragraphs)))
        raw.rows.append(cells)
    return raw
