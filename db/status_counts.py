"""The status counts table kept equal to the assignments it sums, in the same transaction.

Every flush notes which (plan, school) pairs its changed assignments and activities touch;
just before the commit those pairs are recounted from the assignments themselves, so no
write path can forget the counts. Overdue depends on the day and is refreshed by readers
(`core.status_counts`), not here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, case, delete, event, func, insert, inspect, or_, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.sql.elements import ColumnElement

from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, StatusCount

OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
_DIRTY = "status_counts_dirty"
_KEY_FIELDS = ("status", "due_date", "school_id", "activity_id")
_PLAN_FIELDS = ("direction_id", "section", "stage_id", "cancelled_at", "plan_id")
ALL = None  # "every school of the plan"


class CountingSession(Session):
    """The project's session: it keeps `status_counts` in step with every commit."""


def _pending(session: Session) -> dict[str, set[Any]]:
    return session.info.setdefault(_DIRTY, {"pairs": set(), "plans": set()})  # type: ignore[no-any-return]


@event.listens_for(CountingSession, "after_flush")
def _note_changes(session: Session, _context: UOWTransaction) -> None:
    """Remember what this flush changed (history still shows the state before it)."""
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Assignment):
            state = inspect(obj)
            if obj in session.dirty and not any(
                state.attrs[f].history.has_changes() for f in _KEY_FIELDS
            ):
                continue
            before = state.attrs.school_id.history.deleted
            for school_id in (obj.school_id, *before):
                pending["pairs"].add((obj.activity_id, school_id))
        elif isinstance(obj, Activity) and obj in session.dirty:
            state = inspect(obj)
            if any(state.attrs[f].history.has_changes() for f in _PLAN_FIELDS):
                pending["plans"].add(obj.plan_id)


@event.listens_for(CountingSession, "before_commit")
def _recount_before_commit(session: Session) -> None:
    session.flush()  # the last changes note themselves before they are counted
    pending = session.info.pop(_DIRTY, None)
    if pending and (pending["pairs"] or pending["plans"]):
        recount(session, pending["pairs"], pending["plans"])


@event.listens_for(CountingSession, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def recount(
    session: Session,
    pairs: Iterable[tuple[int, int | None]] = (),
    plan_ids: Iterable[int] = (),
) -> None:
    """Recount the given (activity, school) pairs' plan-and-school rows and whole plans."""
    whole = set(plan_ids)
    pairs = set(pairs)
    activities = {activity_id for activity_id, _ in pairs}
    plan_of = (
        dict(
            session.execute(
                select(Activity.id, Activity.plan_id).where(Activity.id.in_(activities))
            ).all()
        )
        if activities
        else {}
    )
    schools: dict[int, set[int | None]] = defaultdict(set)
    for activity_id, school_id in pairs:
        plan_id = plan_of.get(activity_id)
        if plan_id is not None and plan_id not in whole:
            schools[plan_id].add(school_id)
    for plan_id in sorted(whole | schools.keys()):
        _recount_plan(session, plan_id, ALL if plan_id in whole else schools[plan_id])


def rebuild(session: Session) -> int:
    """Recount every plan from scratch; the number of rows written."""
    session.execute(delete(StatusCount).execution_options(synchronize_session=False))
    plan_ids = list(session.scalars(select(Plan.id)))
    return sum(_recount_plan(session, plan_id, ALL) for plan_id in plan_ids)


def _recount_plan(session: Session, plan_id: int, schools: set[int | None] | None) -> int:
    # The plan's row lock serialises recounts of one plan (PostgreSQL): each sees the others'
    # committed changes, so two concurrent commits cannot leave a stale count behind.
    session.execute(select(Plan.id).where(Plan.id == plan_id).with_for_update())
    drop = (
        delete(StatusCount)
        .where(StatusCount.plan_id == plan_id)
        .execution_options(synchronize_session=False)
    )
    where: list[ColumnElement[bool]] = [
        Activity.plan_id == plan_id,
        Activity.cancelled_at.is_(None),
        Assignment.status != AssignmentStatus.CANCELLED,
    ]
    if schools is not ALL:
        drop = drop.where(StatusCount.school_id.in_({s or 0 for s in schools}))
        real = {s for s in schools if s is not None}
        matches = [Assignment.school_id.in_(real)] if real else []
        if None in schools:
            matches.append(Assignment.school_id.is_(None))
        where.append(or_(*matches))
    session.execute(drop)

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    rows = session.execute(
        select(
            Activity.direction_id,
            Activity.section,
            Activity.stage_id,
            Assignment.school_id,
            func.count(Assignment.id),
            count_if(Assignment.status == AssignmentStatus.ACCEPTED),
            count_if(Assignment.status == AssignmentStatus.SUBMITTED),
            count_if(Assignment.status.in_(OPEN)),
        )
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(*where)
        .group_by(Activity.direction_id, Activity.section, Activity.stage_id, Assignment.school_id)
    ).all()
    values = [
        {
            "plan_id": plan_id,
            "direction_id": direction_id or 0,
            "section": section or "",
            "stage_id": stage_id or 0,
            "school_id": school_id or 0,
            "total": total,
            "accepted": accepted,
            "submitted": submitted,
            "open": open_,
            "overdue": 0,
            "fresh_on": None,  # overdue is counted by the first reader of the day
            "stale_after": None,
        }
        for direction_id, section, stage_id, school_id, total, accepted, submitted, open_ in rows
    ]
    if values:
        session.execute(insert(StatusCount), values)
    return len(values)
