"""Word documents: paragraphs before/between tables become preamble, tables become raw tables.

Tables keep Word's layout grid: a horizontally merged cell's text sits in its first column and
the columns it covers are empty; a vertically merged cell passes its text down to every row of
the merge (as Word shows it), so a period or a responsible cell merged over rows applies to each.
"""

from __future__ import annotations

import io

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from importer.model import RawDocument, RawTable, clean


def read_docx(data: bytes, name: str = "") -> RawDocument:
    """Read a .docx into preamble paragraphs and grid-shaped tables."""
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
        cells = [""] * row.grid_cols_before
        previous = None
        for cell in row.cells:
            tc = cell._tc  # the same element repeats for each grid column a cell spans
            if tc is previous:
                cells.append("")
                continue
            previous = tc
            cells.append(clean("\n".join(p.text for p in cell.paragraphs)))
        cells += [""] * row.grid_cols_after
        raw.rows.append(cells)
    return raw
