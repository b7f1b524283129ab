"""People's text made safe for the documents Kurator writes: no control characters (XML 1.0
and Word refuse most of them), no formulas when a spreadsheet opens a CSV cell."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, surrogates and the two non-characters
# XML 1.0 forbids (U+FFFE, U+FFFF).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# OWASP's CSV injection rule: a cell starting with one of these is a formula to Excel.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85]")  # Word's line and page breaks in text


def printable(text: str) -> str:
    """`text` without control characters; line breaks become newlines, tabs stay."""
    return _CONTROLS.sub("", _BREAKS.sub("\n", text))


def one_line(text: str) -> str:
    """`text` without control characters, its whitespace runs (newlines too) single spaces."""
    return " ".join(printable(text).split())


def spreadsheet_text(value: str) -> str:
    """A CSV cell a spreadsheet shows as typed: a leading "'" before a would-be formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value
