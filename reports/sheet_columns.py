"""Column widths, wrapped headers and page setup for the XLSX report's sheets.

XlsxWriter's constant-memory mode cannot autofit, so each column notes its longest text as rows
are written and is sized when the book is saved. Text is measured with DejaVu Sans as if it were
the sheet's font: wider than Calibri and Carlito, so a width that holds it holds them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reports.layout import text_width

POINTS = 11  # the workbook's font size
LINE = 15.0  # points per line of 11-point text
HEADER_LIMIT = 120  # characters of a header: a longer one is shortened at a word with "…"


def units(text: str, bold: bool = False) -> float:
    """`text` on one line in Excel's column units (the pixel width of "0" in Calibri 11 is 7,
    and a column adds 5 pixels of padding)."""
    pixels = text_width(text, POINTS, bold, sans=True) / 20 * 96 / 72
    return (pixels + 5) / 7


def wrapped(text: str, width: float, bold: bool = False) -> list[str]:
    """`text` wrapped at word boundaries into lines that fit `width` units (a word longer than
    the width gets a line of its own: it is never cut)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            longer = f"{line} {word}" if line else word
            if line and units(longer, bold) > width:
                lines.append(line)
                line = word
            else:
                line = longer
        lines.append(line)
    return lines


@dataclass
class Column:
    """One column: its header, the width it may take (`least` to `most` units) and the longest
    text written in it (by characters: counted cheaply row by row, measured once)."""

    header: str
    least: float = 8.0
    most: float = 50.0
    longest: str = ""

    def note(self, text: str) -> None:
        if len(text) > len(self.longest):
            self.longest = text

    def floor(self) -> float:
        """The narrowest the column gets: `least`, and no header word broken."""
        words = [units(word, bold=True) for word in self.header.split()]
        return max([self.least, *words])

    def width(self) -> float:
        return max(self.floor(), min(units(self.longest), self.most))


def header_height(columns: list[Column]) -> float:
    """The header row's height in points. The header is written first (constant memory), before
    the widths are known: it is as tall as it would be at the narrowest widths, so it never
    overlaps the first row."""
    return LINE * max(len(wrapped(c.header, c.floor(), bold=True)) for c in columns) + 3


class Sheet:
    """A worksheet written row by row whose columns are sized from what was written."""

    def __init__(self, book: Any, title: str, columns: list[Column], header_style: Any) -> None:
        self.sheet = book.add_worksheet(title)
        self.columns = columns
        self.row = 0
        self.sheet.set_row(0, header_height(columns))
        self.sheet.write_row(0, 0, [c.header for c in columns], header_style)
        print_setup(self.sheet)

    def next(self) -> int:
        self.row += 1
        return self.row

    def string(self, row: int, column: int, text: str, style: Any = None) -> None:
        self.columns[column].note(text)
        self.sheet.write_string(row, column, text, style)

    def size(self) -> None:
        """Set every column's width from what it holds (XlsxWriter writes them at close)."""
        for index, column in enumerate(self.columns):
            self.sheet.set_column(index, index, round(column.width(), 1))


def print_setup(sheet: Any, repeat_header: bool = True) -> None:
    """What a printer expects: A4 landscape, as wide as the page, the header on every page,
    narrow margins and numbered pages."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    if repeat_header:
        sheet.repeat_rows(0)
    sheet.set_footer("&CСтраница &P из &N")
