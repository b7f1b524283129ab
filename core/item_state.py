"""Where one school's item stands: the one rule behind every status word people read.

Pure: from the item's status, its due date, the local date it was handed in and today's local
date, a state and its days. Chat, the dashboard and the reports all ask here; the words for
each state live in bot/texts.py (`state_words`, `due_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.states import AssignmentStatus


class State(StrEnum):
    """What an item's state says; `ItemState.days` counts what the comment names."""

    NOT_DUE = "not_due"  # open, its date not passed; days until it (0: due today)
    OPEN = "open"  # open, no date
    OVERDUE = "overdue"  # open, its date passed, nothing handed in; days since the date
    RETURNED = "returned"  # sent back, its date not passed or none; days until it
    RETURNED_OVERDUE = "returned_overdue"  # sent back and its date passed; days since the date
    SUBMITTED_ON_TIME = "submitted_on_time"  # waiting for review, handed in by the date
    SUBMITTED_LATE = "submitted_late"  # waiting for review; days handed in after the date
    ACCEPTED_ON_TIME = "accepted_on_time"
    ACCEPTED_LATE = "accepted_late"  # days handed in after the date
    CANCELLED = "cancelled"


LATE_OPEN = frozenset({State.OVERDUE, State.RETURNED_OVERDUE})
HANDED_IN = frozenset(
    {State.SUBMITTED_ON_TIME, State.SUBMITTED_LATE, State.ACCEPTED_ON_TIME, State.ACCEPTED_LATE}
)
HANDED_IN_LATE = frozenset({State.SUBMITTED_LATE, State.ACCEPTED_LATE})


@dataclass(frozen=True, slots=True)
class ItemState:
    state: State
    days: int = 0

    @property
    def overdue(self) -> bool:
        """Past its date and not handed in."""
        return self.state in LATE_OPEN

    @property
    def handed_in(self) -> bool:
        return self.state in HANDED_IN

    @property
    def late(self) -> bool:
        """Handed in after its date."""
        return self.state in HANDED_IN_LATE

    def __reduce__(self) -> tuple[type[ItemState], tuple[State, int]]:
        # Pickled as its two fields: a frozen slotted dataclass's own way costs a region's
        # report 0.4 s on its way to the writer's process (reports/worker.py).
        return (ItemState, (self.state, self.days))


def item_state(
    status: AssignmentStatus, due: date | None, handed_in: date | None, today: date
) -> ItemState:
    """The state of an item. Handed-in work is judged by the day it was handed in, never by
    today; without a date (or a known hand-in day) it counts as on time."""
    if status == AssignmentStatus.CANCELLED:
        return ItemState(State.CANCELLED)
    if status in (AssignmentStatus.SUBMITTED, AssignmentStatus.ACCEPTED):
        accepted = status == AssignmentStatus.ACCEPTED
        late = (handed_in - due).days if due is not None and handed_in is not None else 0
        if late > 0:
            return ItemState(State.ACCEPTED_LATE if accepted else State.SUBMITTED_LATE, late)
        return ItemState(State.ACCEPTED_ON_TIME if accepted else State.SUBMITTED_ON_TIME)
    returned = status == AssignmentStatus.RETURNED
    if due is None:
        return ItemState(State.RETURNED if returned else State.OPEN)
    left = (due - today).days
    if left < 0:
        return ItemState(State.RETURNED_OVERDUE if returned else State.OVERDUE, -left)
    return ItemState(State.RETURNED if returned else State.NOT_DUE, left)


def local_date(moment: datetime | None, zone: ZoneInfo) -> date | None:
    """The day an aware moment falls on in `zone` (a hand-in time as the school counts it)."""
    return moment.astimezone(zone).date() if moment is not None else None
