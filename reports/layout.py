"""Column widths from content, for the Word report's tables (and any table a report prints).

Text is measured with DejaVu Serif, which matplotlib ships: it is wider than Times New Roman
(the template's font), and it is what LibreOffice puts in its place where Times is missing, so
a width that holds a word in DejaVu Serif holds it in either. A column is never narrower than
its longest word (a header never breaks inside a word); the room left is shared by how much
more each column's longest line wants, the way a browser lays out an automatic table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

PADDING = 260  # twips: Word's default cell margins (2 × 108) and a little room for the border
MEASURED = 400  # characters of a cell looked at: a longer one wraps anyway
_WORD_CAP = 0.3  # no single word claims more than this share of the page


@cache
def _font(bold: bool, sans: bool = False) -> Any:
    from importlib.util import find_spec

    from PIL import ImageFont

    # matplotlib's own fonts, found without importing it (a second or so on a slow machine).
    spec = find_spec("matplotlib")
    assert spec is not None and spec.origin is not None
    folder = os.path.join(os.path.dirname(spec.origin), "mpl-data", "fonts", "ttf")
    family = "DejaVuSans" if sans else "DejaVuSerif"
    return ImageFont.truetype(os.path.join(folder, f"{family}{'-Bold' if bold else ''}.ttf"), 100)


def text_width(text: str, points: float, bold: bool = False, sans: bool = False) -> int:
    """`text` on one line at `points`, in twips (twentieths of a point); `sans` measures with
    DejaVu Sans, wider than Calibri and Carlito (a spreadsheet's fonts)."""
    return round(float(_font(bold, sans).getlength(text)) * points / 100 * 20)


@dataclass
class ColumnText:
    """What a column holds, as far as its width goes: its longest word and its longest line
    (by characters, counted cheaply row by row; measured once at the end)."""

    header: str
    header_points: float
    points: float
    word: str = ""
    line: str = ""
    header_bold: bool = True
    chars: int = 0  # all the column's text: a column of long cells takes more of the room

    def add(self, text: str) -> None:
        self.chars += min(len(text), MEASURED)
        for line in text[:MEASURED].split("\n"):
            if len(line) > len(self.line):
                self.line = line
            if len(line) > len(self.word):  # a line shorter than the word cannot hold a longer
                word = max(line.split(), key=len, default="")
                if len(word) > len(self.word):
                    self.word = word

    def least(self) -> int:
        """The narrowest width at which no word breaks (the header's words included)."""
        words = [text_width(w, self.header_points, self.header_bold) for w in self.header.split()]
        return max([*words, text_width(self.word, self.points)]) + PADDING

    def wanted(self) -> int:
        """The width at which nothing wraps."""
        header = text_width(self.header, self.header_points, self.header_bold)
        return max(header, text_width(self.line, self.points)) + PADDING


@dataclass
class Columns:
    """A table's columns; `widths` shares `room` (twips) among them."""

    columns: list[ColumnText] = field(default_factory=list)

    def widths(self, room: int) -> list[int]:
        cap = round(room * _WORD_CAP)
        least = [min(c.least(), cap) for c in self.columns]
        wanted = [max(c.wanted(), lo) for c, lo in zip(self.columns, least, strict=True)]
        weights = [c.chars + len(c.header) for c in self.columns]
        return share(least, wanted, room, weights)


def share(least: list[int], wanted: list[int], room: int, weights: list[int]) -> list[int]:
    """Widths summing to `room`: each at least its `least` (scaled down only if even those do
    not fit); the rest shared by `weights` (how much text each column holds), none wider than
    it `wanted` while another still wants more; room nobody wants goes by `wanted`."""
    if sum(least) >= room:
        widths = [lo * room / sum(least) for lo in least]
    elif sum(wanted) <= room:
        widths = [w * room / sum(wanted) for w in wanted]
    else:
        widths = [float(lo) for lo in least]
        open_ = {i for i in range(len(least)) if wanted[i] > least[i]}
        while open_ and room - sum(widths) > 1:
            spare = room - sum(widths)
            total = sum(max(weights[i], 1) for i in open_)
            full = set()
            for i in open_:
                widths[i] += spare * max(weights[i], 1) / total
                if widths[i] >= wanted[i]:
                    widths[i] = float(wanted[i])
                    full.add(i)
            if not full:
                break
            open_ -= full
    rounded = [int(w) for w in widths]
    rounded[max(range(len(rounded)), key=lambda i: widths[i])] += room - sum(rounded)
    return rounded
