"""The raw shape every reader produces: preamble lines and tables of text cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.plain_text import printable

_TAG_RE = re.compile(r"<[^>]+>")
_BOOKMARK_RE = re.compile(r"\[bookmark:[^\]]*\]")
# A line end inside a PDF cell that may be a wrap or a new paragraph (the geometry cannot tell):
# whitespace to every reader of text, decided only where a period is read (importer.mend).
WRAP = "\u2028"
_SPACES_RE = re.compile(r"[^\S\n\u2028]+")
_AROUND_WRAP_RE = re.compile(r" ?\u2028[\u2028 ]*")


@dataclass
class RawTable:
    """One table as rows of cell texts (a table split across pages may come as several)."""

    rows: list[list[str]] = field(default_factory=list)
    page: int | None = None  # the PDF page it was printed on


@dataclass
class RawDocument:
    """Everything a reader found: free text before/between tables, and the tables."""

    preamble: list[str] = field(default_factory=list)
    tables: list[RawTable] = field(default_factory=list)
    source_name: str = ""
    notes: list[str] = field(default_factory=list)  # a legend or notes sheet: never the title


def clean(text: str) -> str:
    """Cell text without markup, bookmarks, bold markers, control characters and doubled
    spaces; paragraphs kept."""
    text = _BOOKMARK_RE.sub("", printable(text))
    text = re.sub(r"</p>\s*<p>", "\n", text)
    text = _TAG_RE.sub("", text).replace("**", "")
    text = text.replace("\xa0", " ")
    lines = [_AROUND_WRAP_RE.sub(WRAP, _SPACES_RE.sub(" ", line)) for line in text.split("\n")]
    return "\n".join(kept for line in lines if (kept := line.strip(" " + WRAP)))


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a cleaned cell."""
    return [p for p in text.split("\n") if p.strip()]


# An empty placeholder a form left in the title ("… образования «»", "( )", "“ ”"): nothing
# to say, so it goes, with the spaces before it.
_EMPTY_PLACEHOLDER = re.compile(r'\s*(?:«\s*»|"\s*"|“\s*”|„\s*“|\(\s*\)|\[\s*\])')


def plan_title(text: str) -> str:
    """A plan's title without empty placeholders, on one line."""
    return one_line(_EMPTY_PLACEHOLDER.sub("", text)) or one_line(text)


def one_line(text: str) -> str:
    """A cell's text on one line."""
    return " ".join(text.split())
