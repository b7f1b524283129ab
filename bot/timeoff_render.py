"""Messages about time off and deadline changes, built from the database at send time."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from core import absences, deadlines
from core.notices import (
    AWAY_UNCOVERED,
    DEADLINE_MOVED,
    DEADLINE_REQUEST,
    DEADLINE_RESULT,
    DEPUTY_CHOSEN,
)
from core.timeoff import pause_summary
from db.models import OutboxMessage

KINDS = frozenset(
    {"resume", "back", DEPUTY_CHOSEN, AWAY_UNCOVERED, DEADLINE_REQUEST, DEADLINE_MOVED}
    | {DEADLINE_RESULT}
)


async def render_timeoff(
    session: AsyncSession, row: OutboxMessage, today: date, zone: str
) -> tuple[str, object]:
    """(text, markup) for one row of the kinds above; LookupError when its object is gone."""
    target = int(row.target_id or 0)
    if row.kind == "resume":
        # A deputy's copy lists the absent curator's items.
        reader = int(row.payload.get("for_user_id") or row.recipient_user_id or 0)
        summary = await pause_summary(session, target, reader, today)
        if summary is None:
            raise LookupError(f"pause {target} is gone")
        text = texts.pause_over(
            summary.title, summary.first, summary.last, summary.rows, summary.overdue, today
        )
        return text, None
    if row.kind == "back":
        found = await absences.return_summary(session, target, zone)
        if found is None:
            raise LookupError(f"absence {target} is gone")
        absence, events, overdue, open_count = found
        text = texts.welcome_back(
            absence.first, absence.last, texts.back_events(events), overdue, open_count, today
        )
        return text, None
    if row.kind in (DEPUTY_CHOSEN, AWAY_UNCOVERED):
        absence = await absences.info(session, target)
        if row.kind == DEPUTY_CHOSEN:
            return texts.deputy_chosen(absence.name, absence.first, absence.last, today), None
        return texts.away_uncovered(absence.name, absence.first, absence.last, today), (
            keyboards.pick_deputy(absence.id)
        )
    change = await deadlines.change_info(session, target)
    if row.kind == DEADLINE_REQUEST:
        markup = (
            keyboards.deadline_decision(change.id, change.wanted_due, today, change.assignment_id)
            if change.status == deadlines.REQUESTED
            else _open(change.assignment_id)
        )
        return texts.deadline_request(change, today), markup
    if row.kind == DEADLINE_MOVED:
        return texts.deadline_moved(change, today), _open(change.assignment_id)
    return texts.deadline_result(change, today), _open(change.assignment_id)


def _open(assignment_id: int | None) -> object:
    return keyboards.open_item(assignment_id) if assignment_id else None
