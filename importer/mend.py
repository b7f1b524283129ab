"""Text broken where a converted document's lines ended, put back before periods are read.

Pure. `mend` rejoins a date split at a line end ("до 15.↵03.2024", "15.03.↵2024", "15.03.202↵4")
and a word hyphenated at a line end when the halves make one word: a month or a period word
("сен-↵тябрь", "ежемесяч-↵но", "по графи-↵ку"), or a word the document writes whole elsewhere.
Two words stay two: "сентябрь-↵декабрь" keeps its hyphen (a range), and two dates on two lines
stay two lines. A PDF cell's line ends that may be wraps or new paragraphs (WRAP) are decided
by the period grammar in `period_phrase`.
"""

from __future__ import annotations

import re

from core.periods import PeriodContext, parse_period
from importer.model import WRAP, RawDocument, RawTable

_BREAK = r"[ \t]*[\n\u2028][ \t]*"
# "до 15.↵03.2024": a day, its dot, then the month (and a four-digit year, or nothing more).
_DAY_RE = re.compile(r"(?<![\d.])(\d{1,2})\." + _BREAK + r"(\d{1,2})(?=\.\d{4}(?!\d)|[^\d.]|\.?$)")
# "15.03.↵2024"; "15.03↵.2024"; "15.03.202↵4".
_YEAR_RE = re.compile(r"(?<![\d.])(\d{1,2}\.\d{1,2})\." + _BREAK + r"(\d{4}|\d{2})(?![\d.])")
_DOT_RE = re.compile(r"(\d)" + _BREAK + r"(\.\d)")
_CUT_YEAR_RE = re.compile(
    r"(?<![\d.])(\d{1,2}\.\d{1,2}\.)(\d{1,3})" + _BREAK + r"(\d{1,3})(?![\d.])"
)
_HYPHEN_RE = re.compile(r"([А-Яа-яЁё]+)-" + _BREAK + r"([а-яё]+)")
# Months and the words period phrases are made of, each with the endings it takes.
_PERIOD_WORD_RE = re.compile(
    r"(январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр)(ь|я|е|ю|ем|ём)"
    r"|ма(й|я|е|ю|ем)|(март|август)(а|е|у|ом)?"
    r"|еже(дневн|недельн|месячн|квартальн|годн)(о|ый|ая|ое|ые|ого|ой|ую|ых)"
    r"|четверт(ь|и|ей|ям|ями|ях)|полугоди(е|я|ю|ем|и|ям|ях)|(квартал|триместр)(а|е|у|ом|ы|ов|ам)?"
    r"|течени(е|я|и)|график(а|у|ом|е)?|(окончани|завершени|проведени|согласовани)(е|я|ю|и|ем)"
    r"|необходимост(и|ь)|(итог|результат)(а|у|ам|ах|и|ы|ов)?|расписани(е|я|ю)"
    r"|(запрос|приказ)(а|у|ом)?|постоянно|систематически|соответстви(е|и|я)"
    r"|учебн(ый|ого|ом|ому|ая|ой|ые|ых|ым|ую)|месяц(а|е|у|ем|ы|ев|ам)?|недел(я|и|е|ю|ь|ям)"
    r"|числ(о|а|у|е|ам)|кажд(ый|ого|ую|ой|ое|ом|ые|ых|ому)|позднее|(понедельник|вторник|четверг)"
    r"(а|у|ам)?|сред(а|у|ы)|пятниц(а|у|ы)|суббот(а|у|ы)|воскресень(е|я)"
)
# "математика – 15.03": a label before a date, as the grammar's labelled lists have them.
_LABEL_RE = re.compile(r"^\s*[^\d\n]{2,}?\s*[-\u2010-\u2015:]\s*(?=.*\d)")


def mend(text: str, words: frozenset[str] = frozenset()) -> str:
    """The text with dates and words cut at a line end rejoined; `words`: the document's own
    whole words, which a hyphenated pair may also make."""
    if "\n" not in text and WRAP not in text:
        return text
    text = _DAY_RE.sub(lambda m: _date_join(m, "."), text)
    text = _YEAR_RE.sub(lambda m: _date_join(m, "."), text)
    text = _DOT_RE.sub(r"\1\2", text)
    text = _CUT_YEAR_RE.sub(_year_join, text)
    while (joined := _HYPHEN_RE.sub(lambda m: _word_join(m, words), text)) != text:
        text = joined  # again: "ок-↵тябрь-↵ноябрь" has a second pair behind the first
    return text


def _date_join(found: re.Match[str], dot: str) -> str:
    first, second = found.group(1), found.group(2)
    day_month = [int(n) for n in f"{first}.{second}".split(".")[:2]]
    if len(day_month) == 2 and not (1 <= day_month[0] <= 31 and 1 <= day_month[1] <= 12):
        return found.group(0)
    return f"{first}{dot}{second}"


def _year_join(found: re.Match[str]) -> str:
    head, first, second = found.group(1), found.group(2), found.group(3)
    if len(first) + len(second) != 4 or (len(first) == 2 and first not in ("19", "20")):
        return found.group(0)  # a cut two-digit year joins only as 19xx or 20xx
    return f"{head}{first}{second}"


def _word_join(found: re.Match[str], words: frozenset[str]) -> str:
    first, second = found.group(1), found.group(2)
    whole = (first + second).lower()
    two = bool(_PERIOD_WORD_RE.fullmatch(first.lower()) and _PERIOD_WORD_RE.fullmatch(second))
    if (_PERIOD_WORD_RE.fullmatch(whole) or whole in words) and not two:
        return first + second
    return f"{first}-{second}"  # two words: "сентябрь-декабрь", "педагогов-наставников"


def mend_document(doc: RawDocument) -> RawDocument:
    """A copy of the document with every cell and preamble block mended."""
    texts = [*doc.preamble, *(c for t in doc.tables for row in t.rows for c in row)]
    words = document_words(texts)
    return RawDocument(
        preamble=[mend(text, words) for text in doc.preamble],
        tables=[
            RawTable([[mend(c, words) for c in row] for row in t.rows], page=t.page)
            for t in doc.tables
        ],
        source_name=doc.source_name,
        notes=list(doc.notes),
    )


def document_words(texts: list[str]) -> frozenset[str]:
    """The whole words a document writes (four letters or more), in lower case."""
    found = (re.findall(r"(?<![-\w])[А-Яа-яЁё]{4,}(?![-\w])", text) for text in texts)
    return frozenset(word.lower() for words in found for word in words)


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
