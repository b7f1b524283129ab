"""The dashboard's matrix as plain data: one status letter per school and activity, totals.

Pure: the rows come from `core/dashboard.py`, which reads the database; this module decides
what each cell shows and how the totals add up, so the rule has one home and its tests need
no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from core.item_state import ItemState, State, item_state
from core.states import AssignmentStatus

# One letter per cell; the page colours them. Order = the legend's order.
NOT_STARTED, SUBMITTED, ACCEPTED, RETURNED, OVERDUE, NOT_APPLICABLE = "n", "s", "a", "r", "o", "-"
CODES = (NOT_STARTED, SUBMITTED, ACCEPTED, RETURNED, OVERDUE, NOT_APPLICABLE)
STATUS_FILTERS = frozenset(CODES) - {NOT_APPLICABLE}
# The letter of each state (core/item_state.py): handed-in work is never overdue.
LETTERS = {
    State.NOT_DUE: NOT_STARTED,
    State.OPEN: NOT_STARTED,
    State.OVERDUE: OVERDUE,
    State.RETURNED: RETURNED,
    State.RETURNED_OVERDUE: OVERDUE,
    State.SUBMITTED_ON_TIME: SUBMITTED,
    State.SUBMITTED_LATE: SUBMITTED,
    State.ACCEPTED_ON_TIME: ACCEPTED,
    State.ACCEPTED_LATE: ACCEPTED,
    State.CANCELLED: NOT_APPLICABLE,
}


def letter(state: ItemState) -> str:
    return LETTERS[state.state]


def cell_code(status: AssignmentStatus, due: date | None, today: date) -> str:
    """The letter of one school's item: open or returned work past its due date is overdue."""
    return letter(item_state(status, due, None, today))


@dataclass
class Totals:
    """How many cells of each letter (not applicable ones are not counted)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CODES[:-1], 0))

    def add(self, code: str, times: int = 1) -> None:
        if code != NOT_APPLICABLE:
            self.counts[code] += times

    @property
    def applicable(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {**self.counts, "total": self.applicable}


@dataclass(frozen=True)
class Item:
    """One school's item as read: its column, status and due date."""

    column: int
    assignment_id: int
    status: AssignmentStatus
    due: date | None


@dataclass
class Row:
    """One school's line: its letters (one per column), the items' due dates and totals."""

    school_id: int
    name: str
    short: str
    codes: list[str]
    dues: list[date | None]
    totals: Totals

    @property
    def line(self) -> str:
        return "".join(self.codes)


def build_row(
    school_id: int,
    name: str,
    short: str,
    width: int,
    items: Iterable[Item],
    today: date,
) -> Row:
    """A school's row over `width` columns; a column without an item is not applicable."""
    codes = [NOT_APPLICABLE] * width
    dues: list[date | None] = [None] * width
    totals = Totals()
    for item in items:
        code = cell_code(item.status, item.due, today)
        codes[item.column], dues[item.column] = code, item.due
        totals.add(code)
    return Row(school_id, name, short, codes, dues, totals)


def matches(codes: Iterable[str], wanted: str | None) -> bool:
    """A row passes the status filter when one of its cells has that letter (or no filter)."""
    return wanted is None or wanted in codes


def abbreviate(name: str, limit: int = 14) -> str:
    """A school's name short enough for a phone's first column, its number kept: the part in
    «quotes» when there is one ("МАОУ «Лицей № 3»" → "Лицей № 3"), else initials and number
    ("… общеобразовательная школа № 12" → "МАОУСОШ № 12"); short names stay as they are."""
    if len(name) <= limit:
        return name
    quoted = name.split("«", 1)[1].split("»", 1)[0].strip() if "«" in name else name
    if len(quoted) <= limit:
        return quoted
    words = quoted.replace("№", " № ").split()
    head: list[str] = []
    tail: list[str] = []
    for index, word in enumerate(words):
        if word == "№" or any(ch.isdigit() for ch in word):
            tail = words[index : index + 2] if word == "№" else [word]
            break
        head.append(word)
    initials = "".join(
        w if w.isupper() and len(w) > 1 else w[0].upper()
        for w in head
        if w[:1].isupper() or len(w) > 3
    )
    if len(head) == 1:
        initials = head[0]
    short = (initials + " " + " ".join(tail)).strip()
    if not short or len(short) > limit:
        return quoted[: limit - 1].rstrip() + "…"
    return short
