"""Columns by meaning: which header names a period, a title, the responsible people, ...

Pure. A header cell is matched on whole words of its normalised text (lower case, ё → е), so
"Информация" is not a "форма" and "Периодичность" is a period only when nothing better exists.
"""

from __future__ import annotations

import re

from importer.model import one_line
from importer.occurrences import grid_slots

# (role, pattern on normalised header text); a cell takes the first role that matches.
ROLE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "period",
        re.compile(
            r"\b(срок\w*|дат[аыу]?|месяц\w*|период\w*|когда|интервал\w*|"
            r"график\w* проведени\w*)\b"
        ),
    ),
    ("responsible", re.compile(r"\b(ответствен\w*|фио|исполнител\w*)")),
    ("form", re.compile(r"\bформ[аыу]?\b")),
    ("participants", re.compile(r"\b(участник\w*|категори\w*|целев\w* аудитор\w*)")),
    ("indicators", re.compile(r"\b(критери\w*|индикатор\w*|показател\w*|требовани\w*)")),
    ("result", re.compile(r"\bрезультат\w*")),
    ("note", re.compile(r"\b(примечани\w*|комментари\w*)")),
    ("task", re.compile(r"\bзадач\w*")),
    ("title", re.compile(r"\b(наименовани\w*|перечень|мероприяти\w*|содержани\w*|название)")),
    ("number", re.compile(r"^(№|n\b|no\b)|п\s*/\s*п")),
]
# Several period-like columns: "Сроки" beats "Дата" beats "Месяц" beats "Периодичность".
_PERIOD_RANK = (
    re.compile(r"\bсрок"),
    re.compile(r"\bдат[аыу]?\b"),
    re.compile(r"\bмесяц"),
    re.compile(r"\b(интервал|когда|график)"),
    re.compile(r"\bпериод"),
)
_COLUMN_NUMBERS = re.compile(r"^\d{1,2}\.?$")


def header_text(cell: str) -> str:
    """A header cell as matched: one line, lower case, ё as е."""
    return one_line(cell).lower().replace("ё", "е")


def _period_rank(text: str) -> int:
    return next((i for i, p in enumerate(_PERIOD_RANK) if p.search(text)), len(_PERIOD_RANK))


def column_roles(cells: list[str]) -> dict[str, int]:
    """Role -> column index for a header row (each role once; the best period column)."""
    roles: dict[str, int] = {}
    period: list[tuple[int, int]] = []
    for index, cell in enumerate(cells):
        text = header_text(cell)
        if not text:
            continue
        for role, pattern in ROLE_PATTERNS:
            if pattern.search(text):
                if role == "period":
                    period.append((_period_rank(text), index))
                elif role not in roles:
                    roles[role] = index
                break
    if period:
        roles["period"] = min(period)[1]
    return roles


def role_columns(cells: list[str]) -> dict[str, list[int]]:
    """Role -> every column naming it ("Ответственные: УО" and "Ответственные: ОО")."""
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        text = header_text(cell)
        for role, pattern in ROLE_PATTERNS:
            if text and pattern.search(text):
                found.setdefault(role, []).append(index)
                break
    return found


def is_subheader(cells: list[str], roles: dict[str, int]) -> bool:
    """The second row of a two-row header: short distinct names, nothing under the title."""
    title = roles.get("title")
    if title is not None and title < len(cells) and cells[title].strip():
        return False
    filled = [one_line(c) for c in cells if c.strip()]
    return (
        len(set(filled)) >= 2
        and all(len(text) <= 40 for text in filled)
        and not is_column_numbers(cells)
    )


def combine_header(top: list[str], sub: list[str]) -> list[str]:
    """One name per column from a two-row header: "Ответственные" over "УО" and "ОО"."""
    out: list[str] = []
    owner = ""
    for index, upper in enumerate(top):
        lower = one_line(sub[index]) if index < len(sub) else ""
        upper = one_line(upper)
        if upper:
            owner = upper
        base = upper or (owner if lower else "")  # a merged upper cell covers the columns after it
        out.append(base if not lower or lower in base else f"{base} {lower}".strip())
    return out


def is_header(cells: list[str]) -> bool:
    """Column names: short cells, most of them naming a role, none of them a number."""
    filled = [one_line(c) for c in cells if c.strip()]
    if any(_COLUMN_NUMBERS.match(text) or len(text) > 150 for text in filled):
        return False
    roles = column_roles(cells)
    named = len(roles) + len(grid_slots(cells))  # a циклограмма names its months
    return "title" in roles and named >= max(2, round(0.6 * len(filled)))


def is_column_numbers(cells: list[str]) -> bool:
    """The row of column numbers some plans put under the header ("1 2 3 4 5 6")."""
    filled = [one_line(c).rstrip(".") for c in cells if c.strip()]
    if len(filled) < 3 or not all(text.isdigit() for text in filled):
        return False
    numbers = [int(text) for text in filled]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers))) and numbers[0] <= 2


def restore_geometry(rows_by_table: list[list[list[str]]]) -> None:
    """Give text-export rows the header's width, in place (the export loses cell positions).

    A row narrower than the header lost its leading, vertically merged cells: it is aligned to
    the right-hand columns. A row ending in an empty cell under a header with an unnamed column
    (one half of a merged header cell) carries that cell at its end: it fills the named columns.
    """
    width = 0
    named: list[int] = []
    for rows in rows_by_table:
        for index, row in enumerate(rows):
            if is_header(row):
                width = len(row)
                named = [i for i, cell in enumerate(row) if cell.strip()]
                continue
            if not width:
                continue
            if len(named) < width and len(row) > 1 and not row[-1].strip() and row[-2].strip():
                cells = list(row)
                while cells and not cells[-1].strip():
                    cells.pop()
                if len(cells) <= len(named):
                    aligned = [""] * width
                    for column, cell in zip(named[len(named) - len(cells) :], cells, strict=True):
                        aligned[column] = cell
                    rows[index] = aligned
                    continue
            if len(row) < width:
                rows[index] = [""] * (width - len(row)) + row
