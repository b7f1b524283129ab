"""Tab-separated plan text (as the seeds are): row-per-line tables and cell-per-line tables.

Row-per-line: every line with tabs is a row; blank lines end a table (a page break).
Cell-per-line: a line starting with a tab opens a new cell, lines without tabs continue it, and
rows are cut by the width of the header row. The second layout is what a Word table looks like
when each cell holds several paragraphs.
"""

from __future__ import annotations

import re

from importer.columns import restore_geometry
from importer.errors import check_rows
from importer.model import RawDocument, RawTable, clean

_HEADER_WORDS = re.compile(r"наименовани|мероприяти|срок|ответствен|результат", re.I)


def read_text(text: str, source_name: str = "") -> RawDocument:
    """Parse plan text into a RawDocument."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    doc = (
        _cell_per_line(lines, source_name)
        if _is_cell_per_line(lines)
        else _row_per_line(lines, source_name)
    )
    check_rows(sum(len(table.rows) for table in doc.tables))
    restore_geometry([table.rows for table in doc.tables])
    return doc


def _is_cell_per_line(lines: list[str]) -> bool:
    tabbed = [line for line in lines if "\t" in line]
    if not tabbed:
        return False
    single = [line for line in tabbed if line.count("\t") == 1 and line.startswith("\t")]
    return len(single) >= 0.8 * len(tabbed)


def _row_per_line(lines: list[str], source_name: str) -> RawDocument:
    doc = RawDocument(source_name=source_name)
    current: RawTable | None = None
    paragraph: list[str] = []
    for line in lines:
        if "\t" in line:
            if current is None:
                current = RawTable()
                doc.tables.append(current)
            current.rows.append([clean(cell) for cell in line.split("\t")])
        else:
            current = None
            if line.strip():
                paragraph.append(line)
                continue
        if paragraph:
            doc.preamble.append(clean("\n".join(paragraph)))
            paragraph = []
    if paragraph:
        doc.preamble.append(clean("\n".join(paragraph)))
    return doc


def _cell_per_line(lines: list[str], source_name: str) -> RawDocument:
    doc = RawDocument(source_name=source_name)
    cells: list[str] = []
    header_at: int | None = None
    paragraph: list[str] = []
    for line in lines:
        if line.startswith("\t") and line.count("\t") == 1:
            cells.append(line[1:])
        elif cells and line.strip() and "\t" not in line:
            cells[-1] = f"{cells[-1]}\n{line}"
        elif not cells and line.strip():
            paragraph.append(line.replace("\t", " "))
        elif not cells and paragraph:
            doc.preamble.append(clean("\n".join(paragraph)))
            paragraph = []
    if paragraph:
        doc.preamble.append(clean("\n".join(paragraph)))
    cleaned = [clean(c) for c in cells]
    # The header is the first run of cells naming columns; its length is the table width.
    for index, cell in enumerate(cleaned):
        if _HEADER_WORDS.search(cell):
            header_at = index
            break
    if header_at is None:
        doc.tables.append(RawTable(rows=[cleaned]))
        return doc
    # "№ п/п" (short, or empty when the № was lost) sits just before the first named column.
    start = header_at - 1 if header_at > 0 and len(cleaned[header_at - 1]) <= 8 else header_at
    end = header_at
    while end < len(cleaned) and (
        _HEADER_WORDS.search(cleaned[end]) or _looks_like_header(cleaned[end])
    ):
        end += 1
    width = end - start
    table = RawTable()
    for offset in range(start, len(cleaned), width):
        row = cleaned[offset : offset + width]
        row += [""] * (width - len(row))
        table.rows.append(row)
    doc.tables.append(table)
    return doc


def _looks_like_header(cell: str) -> bool:
    lowered = cell.lower()
    return any(
        w in lowered for w in ("категория", "форма", "фио", "ответствен", "примечан", "участник")
    )
