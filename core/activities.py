"""Activities of a plan: reading one for review and setting a date a coordinator supplies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.errors import InvalidInput, NotFound
from core.periods import Period, PeriodContext, parse_period
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan


def period_fields(period: Period) -> dict[str, Any]:
    """The activity columns a period sets (import and a coordinator's correction alike)."""
    return {
        "period_kind": period.kind,
        "start_date": period.start,
        "due_date": period.due,
        "recurrence": period.recurrence,
        "period_flags": list(period.flags),
        "due_time": period.time,
        "due_zone": period.zone,
        "period_note": period.note,
    }


@dataclass(frozen=True, slots=True)
class ActivityBrief:
    """What a person needs to decide on an activity's date."""

    id: int
    plan_id: int
    number: str | None
    title: str
    period_text: str | None
    start: date | None
    due: date | None
    flags: tuple[str, ...]


async def activity_brief(session: AsyncSession, activity_id: int) -> ActivityBrief:
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(f"no activity {activity_id}")
    return ActivityBrief(
        id=activity.id,
        plan_id=activity.plan_id,
        number=activity.number,
        title=activity.title,
        period_text=activity.period_text,
        start=activity.start_date,
        due=activity.due_date,
        flags=tuple(activity.period_flags or ()),
    )


async def set_activity_period(
    session: AsyncSession, clock: Clock, activity_id: int, text: str, *, actor_user_id: int | None
) -> Period:
    """Parse `text` in the plan's context and make it the activity's period; open work follows."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(f"no activity {activity_id}")
    plan = await session.get(Plan, activity.plan_id)
    assert plan is not None
    period = parse_period(text, PeriodContext(academic_year=plan.academic_year))
    if period.due is None:
        raise InvalidInput("no date in the text")
    before = {"period_text": activity.period_text, "due": str(activity.due_date)}
    activity.period_text = f"{activity.period_text} → {text}" if activity.period_text else text
    for name, value in period_fields(period).items():
        setattr(activity, name, value)
    activity.period_flags = [f for f in period.flags if f != "needs_date"] + ["set_by_coordinator"]
    now = clock.now()
    for assignment in await session.scalars(
        select(Assignment).where(Assignment.activity_id == activity.id)
    ):
        if assignment.status in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED):
            assignment.due_date = period.due
            assignment.version += 1
            assignment.updated_at = now
    audit.record(
        session, clock, actor_user_id=actor_user_id, action="activity.set_period",
        entity_type="activity", entity_id=activity.id, before=before,
        after={"period_text": text, "due": str(period.due)},
    )  # fmt: skip
    await session.flush()
    return period
