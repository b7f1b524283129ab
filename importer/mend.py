"""Text broken where a converted document's lines ended, put back before periods are read.

Pure. A PDF cell's line ends that may be wraps or new paragraphs (WRAP) are decided by the
period grammar: two lines that each name a date stay two, anything else is one phrase.
"""

from __future__ import annotations

import re

from core.periods import PeriodContext, parse_period
from importer.model import WRAP

# "математика – 15.03": a label before a date, as the grammar's labelled lists have them.
_LABEL_RE = re.compile(r"^\s*[^\d\n]{2,}?\s*[-\u2010-\u2015:]\s*(?=.*\d)")


def period_phrase(text: str, context: PeriodContext) -> str:
    """A period cell ready for the grammar: each WRAP a space, or a line break between two
    lines that each name a date ("математика – 15.03.2021" over "русский язык – 12.04.2021")."""
    if WRAP not in text:
        return text
    lines: list[str] = []
    for paragraph in text.split("\n"):
        pieces = paragraph.split(WRAP)
        current = pieces[0]
        for piece in pieces[1:]:
            if _dated(current, context) and _dated(piece, context):
                lines.append(current)
                current = piece
            else:
                current = f"{current} {piece}"
        lines.append(current)
    return "\n".join(lines)


def _dated(text: str, context: PeriodContext) -> bool:
    """The text names a date on its own, or after a label."""
    if parse_period(text, context).dated:
        return True
    label = _LABEL_RE.match(text)
    return label is not None and parse_period(text[label.end() :], context).dated
