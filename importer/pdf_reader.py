"""PDF plans: ruled tables become raw tables shaped like Word's, other text becomes preamble.

Read with pdfplumber (pdfminer underneath): pages are counted and every compressed stream is
measured before any page is parsed. A cell's lines are joined back into Word's paragraphs by
geometry: a line that breaks where the next word would not have fitted is a wrap, one that
breaks inside a word too long for the column is rejoined, anything else keeps its line break.
A merged cell passes its text down (vertical merge) or leaves the columns it covers empty
(horizontal), as the DOCX reader does. Each page's table is its own part; the interpreter
joins parts (repeated headers, rows split across the page break).
"""

from __future__ import annotations

import io
import re
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice, pairwise
from typing import Any

from importer.columns import is_header
from importer.errors import MAX_PDF_PAGES, ImportFileError, check_rows
from importer.model import WRAP, RawDocument, RawTable, clean

MAX_PDF_UNPACKED = 100 * 1024 * 1024  # non-image streams, inflated: as for DOCX/XLSX parts
_SAMPLE_PAGES = 3  # pages whose text decides whether the PDF has a readable text layer
_GARBAGE_SHARE = 0.3  # unreadable glyphs among the letters of those pages that refuse a PDF
_BULLET_RE = re.compile(r"^(?:[-–—•·*▪●○►]|\d{1,2}[.)]|[а-яa-z]\))\s")
_PAGE_NUMBER_RE = re.compile(
    r"^[-–—\s]*(?:(?:стр\.?|страница)\s*)?\d{1,4}(?:\s*(?:из|/)\s*\d{1,4})?[-–—\s]*$", re.I
)
_MOJIBAKE_RE = re.compile(r"[\u00c0-\u00ff]")  # Cyrillic bytes shown as Latin-1 letters
_LETTER_RE = re.compile(r"[^\W\d_]")
_PAD = 5.4  # Word's and LibreOffice's default cell margin, points


def read_pdf(
    data: bytes, name: str = "", progress: Callable[[int, int], None] | None = None
) -> RawDocument:
    """Read a PDF's tables and text; refuse bombs, long, locked, scanned and garbled files.
    `progress(done, total)` is told after each page."""
    check_streams(data)
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PdfminerException as exc:
        raise _open_error(exc) from None
    with pdf:
        pages = count_pages(pdf.doc)
        if pages > MAX_PDF_PAGES:
            raise ImportFileError("too_many_pages", f"over {MAX_PDF_PAGES} pages")
        reader = _Reader(RawDocument(source_name=name))
        for page in pdf.pages:
            reader.page(page)
            page.close()
            if progress is not None:
                progress(reader.pages, pages)
        reader.finish()
    return reader.doc


def _open_error(exc: Exception) -> ImportFileError:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    cause = exc.args[0] if exc.args else exc
    if isinstance(cause, PDFPasswordIncorrect):
        return ImportFileError("pdf_protected", "a password is needed to open it")
    if isinstance(cause, PDFEncryptionError):
        return ImportFileError("pdf_protected", str(cause))
    return ImportFileError("corrupt", f"{type(cause).__name__}: {cause}")


def count_pages(document: Any) -> int:
    """Pages in the page tree, walked lazily and never past one more than the limit."""
    from pdfminer.pdfpage import PDFPage

    try:
        return sum(1 for _ in islice(PDFPage.create_pages(document), MAX_PDF_PAGES + 1))
    except Exception as exc:  # pdfminer raises many types on a damaged page tree
        raise ImportFileError("corrupt", f"page tree: {type(exc).__name__}") from None


def check_streams(data: bytes) -> None:
    """Inflate every compressed stream but images with a budget: a PDF bomb stops here.

    pdfminer inflates a stream whole in memory, so the sizes are measured first, in pieces.
    Images are left out: they are never decoded to read text.
    """
    if b"%PDF-" not in data[:1024]:
        raise ImportFileError("corrupt", "no %PDF header")
    total = 0
    for start in _stream_starts(data):
        head = data[max(0, start - 1024) : start]
        head = head[head.rfind(b"obj") + 1 :] if b"obj" in head else head
        if b"/Image" in head or not (b"/FlateDecode" in head or b"/Fl " in head):
            continue
        end = data.find(b"endstream", start)
        total += _inflated_size(data[start : end if end > 0 else len(data)], total)


def _stream_starts(data: bytes) -> Iterator[int]:
    for found in re.finditer(rb">>\s*stream(\r\n|\n|\r)", data):
        yield found.end()


def _inflated_size(raw: bytes, before: int) -> int:
    inflater = zlib.decompressobj()
    size, pending = 0, raw
    try:
        while pending:
            piece = inflater.decompress(pending, 1 << 20)
            size += len(piece)
            if before + size > MAX_PDF_UNPACKED:
                raise ImportFileError("zip_bomb", f"streams inflate past {MAX_PDF_UNPACKED} bytes")
            pending = inflater.unconsumed_tail
            if not piece or inflater.eof:
                break
    except zlib.error:
        return size  # pdfminer reads what it can of a damaged stream; so little is no bomb
    return size


# --- one page ---------------------------------------------------------------------------------


@dataclass
class _Line:
    words: list[dict[str, Any]]

    @property
    def x0(self) -> float:
        return float(self.words[0]["x0"])

    @property
    def x1(self) -> float:
        return float(self.words[-1]["x1"])

    @property
    def top(self) -> float:
        return min(float(w["top"]) for w in self.words)

    @property
    def bottom(self) -> float:
        return max(float(w["bottom"]) for w in self.words)

    @property
    def size(self) -> float:
        return self.bottom - self.top

    @property
    def text(self) -> str:
        return " ".join(str(w["text"]) for w in self.words)


def _words(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from pdfplumber.utils.text import extract_words

    upright = [c for c in chars if c.get("upright", True)]
    return extract_words(upright or chars, x_tolerance=1.5, y_tolerance=2)


def _lines(words: list[dict[str, Any]]) -> list[_Line]:
    """Words grouped into lines by their vertical overlap, top to bottom, left to right."""
    lines: list[_Line] = []
    for word in sorted(words, key=lambda w: (round(float(w["top"])), float(w["x0"]))):
        middle = (float(word["top"]) + float(word["bottom"])) / 2
        for line in reversed(lines[-3:]):
            if line.top <= middle <= line.bottom:
                line.words.append(word)
                line.words.sort(key=lambda w: float(w["x0"]))
                break
        else:
            lines.append(_Line([word]))
    return lines


def _width(word: dict[str, Any]) -> float:
    return float(word["x1"]) - float(word["x0"])


def _first_char_width(word: dict[str, Any]) -> float:
    text = str(word["text"])
    return _width(word) / max(len(text), 1)


def cell_text(lines: list[_Line], left: float, right: float) -> str:
    """A cell's lines as Word's paragraphs: a break where the next word would have fitted is a
    new paragraph ("\n"), a word too long for the column is rejoined, and a break where the
    next word did not fit may be either: it is marked WRAP for the period reading to decide."""
    if not lines:
        return ""
    pad = min(max(min(line.x0 for line in lines) - left, 1.0), 8.0)
    room = right - left - 2 * pad
    space = _space(lines)
    out = lines[0].text
    for above, below in pairwise(lines):
        first = below.words[0]
        used = above.x1 - above.x0
        if _BULLET_RE.match(below.text) or below.top - above.bottom > 0.6 * below.size:
            out += "\n" + below.text  # a list entry, or paragraph spacing above it
        elif len(above.words) == 1 and used + _first_char_width(first) > room - 1:
            joined = _continues_word(above.text, below.text)
            out += ("" if joined else WRAP) + below.text
        elif used + space + _width(first) > room - 1:
            out += WRAP + below.text
        else:
            out += "\n" + below.text
    return out


def _space(lines: list[_Line]) -> float:
    """The width of a space in this cell: the narrowest gap between two words of a line."""
    gaps = [float(b["x0"]) - float(a["x1"]) for line in lines for a, b in pairwise(line.words)]
    return min(gaps) if gaps else 0.25 * lines[0].size


def _continues_word(above: str, below: str) -> bool:
    """A word broken by the column edge goes on in its own kind: letters, or digits."""
    last, first = above[-1:], below[:1]
    if last.isalpha():
        return first.islower()
    return (last.isdigit() or last in ".-/") and first.isdigit()


@dataclass
class _Grid:
    """A ruled table's cells placed on the grid of its column and row edges."""

    xs: list[float]
    ys: list[float]
    cells: list[tuple[float, float, float, float]]

    def slot(self, x: float, y: float) -> tuple[int, int] | None:
        column, row = bisect_right(self.xs, x + 0.5) - 1, bisect_right(self.ys, y + 0.5) - 1
        if 0 <= column < len(self.xs) - 1 and 0 <= row < len(self.ys) - 1:
            return row, column
        return None

    def span(self, cell: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """First row, first column, last row, last column a cell covers."""
        x0, top, x1, bottom = cell
        first = self.slot(x0, top)
        assert first is not None
        last_col = max(bisect_right(self.xs, x1 - 0.5) - 1, first[1])
        last_row = max(bisect_right(self.ys, bottom - 0.5) - 1, first[0])
        return first[0], first[1], last_row, last_col


def _grid(table: Any) -> _Grid:
    cells = [(float(c[0]), float(c[1]), float(c[2]), float(c[3])) for c in table.cells]
    xs = _edges([c[0] for c in cells] + [c[2] for c in cells])
    ys = _edges([c[1] for c in cells] + [c[3] for c in cells])
    return _Grid(xs, ys, cells)


def _edges(values: list[float]) -> list[float]:
    """Distinct positions, those closer than a point taken as one."""
    edges: list[float] = []
    for value in sorted(values):
        if not edges or value - edges[-1] > 1.0:
            edges.append(value)
    return edges


@dataclass
class _Part:
    """A ruled table of one page as Word's grid, and its merges the page's edges cut: the text
    of each column whose merged cell runs into the bottom edge, and the rows each column's
    empty first data cell spans at the top."""

    rows: list[list[str]]
    open_below: dict[int, str] = field(default_factory=dict)
    open_above: dict[int, int] = field(default_factory=dict)


def table_rows(table: Any, chars: list[dict[str, Any]]) -> list[list[str]]:
    """A ruled table as Word's grid: merged-down text repeated, merged-across columns empty."""
    return table_part(table, chars).rows


def table_part(table: Any, chars: list[dict[str, Any]]) -> _Part:
    """A ruled table as Word's grid (merged-down text repeated, merged-across columns empty),
    with the merges cut by the page's edges."""
    grid = _grid(table)
    height, width = len(grid.ys) - 1, len(grid.xs) - 1
    owner: dict[tuple[int, int], int] = {}
    spans = [grid.span(cell) for cell in grid.cells]
    for index, (top, left, bottom, right) in enumerate(spans):
        for row in range(top, bottom + 1):
            for column in range(left, right + 1):
                owner.setdefault((row, column), index)
    # Words found once for the whole table (a cell's padding keeps neighbours' words apart),
    # each placed in the cell that holds its centre.
    inside: list[list[dict[str, Any]]] = [[] for _ in grid.cells]
    for word in _words(chars):
        found = grid.slot((word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2)
        if found is not None and found in owner:
            inside[owner[found]].append(word)
    texts = [
        clean(cell_text(_lines(found), cell[0], cell[2]))
        for cell, found in zip(grid.cells, inside, strict=True)
    ]
    rows: list[list[str]] = []
    kept: list[int] = []
    for row in range(height):
        cells = []
        for column in range(width):
            at = owner.get((row, column))
            if at is None:
                cells.append("")
                continue
            cells.append(texts[at] if column == spans[at][1] else "")
        if any(cells) or rows:
            rows.append(cells)
            kept.append(row)
    part = _Part(rows)
    if not rows:
        return part
    for column in range(width):
        at = owner.get((height - 1, column))
        if at is not None and column == spans[at][1] and texts[at] and spans[at][0] < height - 1:
            part.open_below[column] = texts[at]
    first = next(
        (i for i, cells in enumerate(rows) if not is_header(cells) and not _numbers(cells)), None
    )
    if first is not None:
        for column in range(width):
            at = owner.get((kept[first], column))
            if at is not None and column == spans[at][1] and not texts[at]:
                part.open_above[column] = spans[at][2] - kept[first] + 1
    return part


def _numbers(cells: list[str]) -> bool:
    from importer.columns import is_column_numbers

    return is_column_numbers(cells)


@dataclass
class _Reader:
    doc: RawDocument
    rows: int = 0
    pages: int = 0
    letters: int = 0
    garbage: int = 0
    blocks_seen: set[str] = field(default_factory=set)
    columns: list[float] = field(default_factory=list)  # of the last table without lines
    open_below: dict[int, str] = field(default_factory=dict)  # the last part's cut merges
    width: int = 0  # of the last part

    def page(self, page: Any) -> None:
        self.pages += 1
        chars = [c for c in page.chars if str(c.get("text", "")).strip()]
        if self.pages <= _SAMPLE_PAGES:
            self._sample(chars)
        tables = sorted(page.find_tables(), key=lambda t: (t.bbox[1], t.bbox[0]))
        tables = [t for t in tables if len(t.cells) > 1]
        inside, outside = _split_chars(chars, [t.bbox for t in tables])
        for index, table in enumerate(tables):
            part = table_part(table, inside[index])
            if index == 0:
                self._carry(part)
            self._add_table(part.rows)
            self.open_below, self.width = part.open_below, len(part.rows[0]) if part.rows else 0
        lines = _lines(_words(outside))
        if not tables:
            lines = self._unruled(lines)
        self._preamble(lines)

    def _carry(self, part: _Part) -> None:
        """A merged cell the page break cut goes on in the next part: its text is passed down
        into the empty cell the merge continues as at the top of the page (a merge of two rows
        or more on either side of the break, in a table of the same columns)."""
        if not part.rows or len(part.rows[0]) != self.width:
            return
        first = next(
            (
                i
                for i, cells in enumerate(part.rows)
                if not is_header(cells) and not _numbers(cells)
            ),
            len(part.rows),
        )
        for column, span in part.open_above.items():
            text = self.open_below.get(column)
            if text is None:
                continue
            for row in part.rows[first : first + span]:
                if not row[column].strip():
                    row[column] = text

    def _add_table(self, rows: list[list[str]]) -> None:
        if rows:
            # A header repeated at the top of each page is not a row of the plan.
            top = sum(1 for row in rows[:3] if is_header(row) or _numbers(row))
            # Nor the rest of a row the page break cut (at the top of a next part: no number,
            # or text going on in lower case).
            first = rows[top] if top < len(rows) else None
            cut = int(
                bool(self.doc.tables)
                and first is not None
                and (not first[0].strip() or any(c.strip()[:1].islower() for c in first[1:2]))
            )
            self.rows += len(rows) - top - cut
            check_rows(self.rows)
            self.doc.tables.append(RawTable(rows=rows, page=self.pages))

    def _unruled(self, lines: list[_Line]) -> list[_Line]:
        """A table without ruling lines: columns where the header's cells start, a row from
        each line with text in the first column; on a page without a header, the columns of
        the page before. The lines above the table are returned as preamble."""
        start = next((i for i, line in enumerate(lines) if is_header(_segments(line, 0.8))), None)
        if start is not None:
            self.columns = [float(w[0]["x0"]) for w in _segment_words(lines[start], 0.8)]
        elif not self.columns:
            return lines
        table = lines[start if start is not None else 0 :]
        right = max(line.x1 for line in table) + _PAD
        rows: list[list[list[_Line]]] = []
        for line in table:
            cells: list[list[dict[str, Any]]] = [[] for _ in self.columns]
            for word in line.words:
                at = max(bisect_right(self.columns, float(word["x0"]) + 2) - 1, 0)
                cells[at].append(word)
            if cells[0] or not rows:
                rows.append([[] for _ in self.columns])
            for column, words in enumerate(cells):
                if words:
                    rows[-1][column].append(_Line(words))
        edges = [*self.columns[1:], right + _PAD]
        self._add_table(
            [
                [
                    clean(cell_text(cell, left - _PAD, edge - _PAD))
                    for cell, left, edge in zip(row, self.columns, edges, strict=True)
                ]
                for row in rows
            ]
        )
        return lines[:start] if start is not None else []

    def _sample(self, chars: list[dict[str, Any]]) -> None:
        for char in chars:
            text = str(char["text"])
            if text.startswith("(cid:") or text == "\ufffd" or "\ue000" <= text[:1] <= "\uf8ff":
                self.garbage += 1
                self.letters += 1
            elif _LETTER_RE.match(text):
                self.letters += 1
                self.garbage += 1 if _MOJIBAKE_RE.match(text) else 0
        if self.pages == _SAMPLE_PAGES:
            self._judge()

    def _judge(self) -> None:
        if self.letters == 0:
            raise ImportFileError("pdf_scanned", "no text layer")
        if self.garbage > _GARBAGE_SHARE * self.letters:
            raise ImportFileError("pdf_garbage", f"{self.garbage} of {self.letters} unreadable")

    def _preamble(self, lines: list[_Line]) -> None:
        """Text outside the tables in blocks split by vertical space; page numbers dropped."""
        block: list[str] = []
        previous: _Line | None = None
        for line in lines:
            for text in _segments(line):
                if _PAGE_NUMBER_RE.match(text):
                    continue
                if previous is not None and line.top - previous.bottom > 0.6 * line.size:
                    self._add_block(block)
                    block = []
                block.append(text)
                previous = line
        self._add_block(block)

    def _add_block(self, block: list[str]) -> None:
        text = clean("\n".join(block))
        if text and text not in self.blocks_seen:  # a running head repeats on every page
            self.blocks_seen.add(text)
            self.doc.preamble.append(text)

    def finish(self) -> None:
        if self.pages < _SAMPLE_PAGES:
            self._judge()


def _segments(line: _Line, gap: float = 4.0) -> list[str]:
    """A line cut where a gap wider than `gap` font sizes separates two columns of text (an
    approval block beside another; the cells of a table without lines, at 0.8)."""
    return [" ".join(str(w["text"]) for w in part) for part in _segment_words(line, gap)]


def _segment_words(line: _Line, gap: float) -> list[list[dict[str, Any]]]:
    parts: list[list[dict[str, Any]]] = [[]]
    for before, word in zip([None, *line.words], line.words, strict=False):
        if before is not None and float(word["x0"]) - float(before["x1"]) > gap * line.size:
            parts.append([])
        parts[-1].append(word)
    return [p for p in parts if p]


def _split_chars(
    chars: list[dict[str, Any]], boxes: list[tuple[float, float, float, float]]
) -> tuple[list[list[dict[str, Any]]], list[dict[str, Any]]]:
    """The characters of each table (by their centre; the first table that holds one), and the
    characters outside every table, in one pass."""
    inside: list[list[dict[str, Any]]] = [[] for _ in boxes]
    outside: list[dict[str, Any]] = []
    for char in chars:
        x = (float(char["x0"]) + float(char["x1"])) / 2
        y = (float(char["top"]) + float(char["bottom"])) / 2
        for index, (x0, top, x1, bottom) in enumerate(boxes):
            if x0 <= x <= x1 and top <= y <= bottom:
                inside[index].append(char)
                break
        else:
            outside.append(char)
    return inside, outside
