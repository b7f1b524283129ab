"""Deadline changes: a curator asks for more time, a coordinator approves or declines, or moves
a due date for one school or all of them. The plan's date stays on the activity; the school's
current date is the assignment's; every change is a `DeadlineChange` row and an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.dto import UserContext
from core.errors import DomainError, NotFound
from core.notices import DEADLINE_MOVED, DEADLINE_REQUEST, DEADLINE_RESULT, queue_notice
from core.people import Recipient, coordinator_recipients, curator_recipients
from core.permissions import may_review, may_work_on_item
from core.reminders import cancel_pending_for
from core.states import AssignmentStatus
from core.work import on_behalf
from db.models import Activity, Assignment, DeadlineChange, Plan, School, User

REQUESTED, APPROVED, DECLINED, MOVED = "requested", "approved", "declined", "moved"
KEPT = (APPROVED, MOVED)  # changes a re-import keeps
OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
MOVABLE = (*OPEN, AssignmentStatus.SUBMITTED)  # accepted and cancelled work keeps its date
MAX_REASON = 500


class DeadlineError(DomainError):
    """`code`: not_found, forbidden, wrong_state, decided, same_date, past."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ChangeInfo:
    """A deadline change as messages show it."""

    id: int
    assignment_id: int | None
    activity_id: int
    title: str
    school: str | None
    status: str
    old_due: date | None
    wanted_due: date
    new_due: date | None
    reason: str | None
    requested_by: str | None


async def _item(session: AsyncSession, assignment_id: int) -> tuple[Assignment, Activity]:
    row = (
        await session.execute(
            select(Assignment, Activity)
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(Assignment.id == assignment_id)
        )
    ).first()
    if row is None:
        raise DeadlineError("not_found")
    return row[0], row[1]


async def request_change(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    assignment_id: int,
    wanted: date,
    reason: str | None,
    today: date,
) -> ChangeInfo:
    """A curator (or their deputy) asks for another due date; the coordinators decide."""
    assignment, activity = await _item(session, assignment_id)
    if not may_work_on_item(user, activity.plan_id, activity.direction_id, assignment.school_id):
        raise DeadlineError("forbidden")
    if assignment.status not in OPEN:
        raise DeadlineError("wrong_state")
    if wanted == assignment.due_date:
        raise DeadlineError("same_date")
    if wanted < today:
        raise DeadlineError("past")
    reason = " ".join((reason or "").split())[:MAX_REASON] or None
    pending = await session.scalar(
        select(DeadlineChange).where(
            DeadlineChange.activity_id == activity.id,
            DeadlineChange.school_id == assignment.school_id,
            DeadlineChange.status == REQUESTED,
        )
    )
    now = clock.now()
    change = pending or DeadlineChange(
        activity_id=activity.id,
        school_id=assignment.school_id,
        all_schools=False,
        status=REQUESTED,
        requested_by_id=user.user_id,
        created_at=now,
    )
    change.old_due, change.wanted_due, change.reason = assignment.due_date, wanted, reason
    change.requested_by_id, change.created_at = user.user_id, now
    session.add(change)
    await session.flush()
    _audit(session, clock, user, "deadline.request", assignment, activity, wanted, reason)
    await queue_notice(
        session, clock, DEADLINE_REQUEST, "deadline_change", change.id,
        await coordinator_recipients(session, activity.plan_id, activity.direction_id),
        event=f"ask:{now:%Y%m%d%H%M%S}", skip_user_id=user.user_id,
    )  # fmt: skip
    return await change_info(session, change.id)


async def find_activity(session: AsyncSession, plan_id: int, ref: str) -> int:
    """An activity of the plan by its number in the plan ("2.3") or its id."""
    ref = ref.strip()
    found = list(
        await session.scalars(
            select(Activity.id).where(
                Activity.plan_id == plan_id,
                Activity.cancelled_at.is_(None),
                Activity.number == ref,
            )
        )
    )
    if not found and ref.isdigit():
        activity = await session.get(Activity, int(ref))
        found = [activity.id] if activity and activity.plan_id == plan_id else []
    if len(found) != 1:
        raise NotFound(
            f"no single item {ref!r} in plan {plan_id}", "item_not_found", ref=ref, plan=plan_id
        )
    return found[0]


async def school_year(
    session: AsyncSession, assignment_id: int | None = None, change_id: int | None = None
) -> int | None:
    """Y of the school year Y/Y+1 of the item's (or the request's) plan: a typed day without a
    year falls in it; None when the plan names none."""
    if change_id is not None:
        change = await session.get(DeadlineChange, change_id)
        activity_id = change.activity_id if change else None
    else:
        assignment = await session.get(Assignment, assignment_id or 0)
        activity_id = assignment.activity_id if assignment else None
    return await session.scalar(
        select(Plan.academic_year)
        .join(Activity, Activity.plan_id == Plan.id)
        .where(Activity.id == (activity_id or 0))
    )


async def item_of(session: AsyncSession, assignment_id: int) -> tuple[int, int | None]:
    """(activity id, school id) of an item."""
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None:
        raise DeadlineError("not_found")
    return assignment.activity_id, assignment.school_id


async def check_decider(session: AsyncSession, user: UserContext, change_id: int) -> DeadlineChange:
    """The request, if it is still open and the person may decide it; else DeadlineError."""
    change = await session.get(DeadlineChange, change_id)
    if change is None:
        raise DeadlineError("not_found")
    activity = await session.get(Activity, change.activity_id)
    if activity is None or not may_review(user, activity.plan_id, activity.direction_id):
        raise DeadlineError("forbidden")
    if change.status != REQUESTED:
        raise DeadlineError("decided")
    return change


async def decide(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    change_id: int,
    approve: bool,
    other_date: date | None = None,
) -> ChangeInfo:
    """Approve (with the asked date, or `other_date`) or decline a request; the school is told."""
    change = await check_decider(session, user, change_id)
    activity = await session.get(Activity, change.activity_id)
    assert activity is not None
    assignment = await session.scalar(
        select(Assignment).where(
            Assignment.activity_id == activity.id, Assignment.school_id == change.school_id
        )
    )
    if assignment is None:
        raise DeadlineError("not_found")
    change.status = APPROVED if approve else DECLINED
    change.decided_by_id, change.decided_at = user.user_id, clock.now()
    if approve:
        change.new_due = other_date or change.wanted_due
    action = "deadline.approve" if approve else "deadline.decline"
    _audit(session, clock, user, action, assignment, activity, change.new_due, None)
    if change.new_due is not None:
        _set_due(assignment, change.new_due, clock)
        await cancel_pending_for(session, assignment.id)  # the next planning pass re-plans
    await queue_notice(
        session, clock, DEADLINE_RESULT, "deadline_change", change.id,
        await curator_recipients(session, change.school_id), event=change.status,
        skip_user_id=user.user_id,
    )  # fmt: skip
    await session.flush()
    return await change_info(session, change.id)


async def move(
    session: AsyncSession,
    clock: Clock,
    user: UserContext | None,
    activity_id: int,
    new_due: date,
    school_id: int | None = None,
    reason: str | None = None,
) -> tuple[ChangeInfo, int]:
    """A coordinator (None: the administrator's CLI) moves an item's due date for one school or
    every school; returns the change and how many schools' items moved. Each person affected
    is told once."""
    activity = await session.get(Activity, activity_id)
    if activity is None or activity.cancelled_at is not None:
        raise DeadlineError("not_found")
    if user is not None and not may_review(user, activity.plan_id, activity.direction_id):
        raise DeadlineError("forbidden")
    query = select(Assignment).where(
        Assignment.activity_id == activity.id, Assignment.status.in_(MOVABLE)
    )
    if school_id is not None:
        query = query.where(Assignment.school_id == school_id)
    assignments = [a for a in await session.scalars(query) if a.due_date != new_due]
    if not assignments:
        raise DeadlineError("same_date")
    reason = " ".join((reason or "").split())[:MAX_REASON] or None
    now = clock.now()
    change = DeadlineChange(
        activity_id=activity.id,
        school_id=school_id,
        all_schools=school_id is None,
        status=MOVED,
        old_due=activity.due_date if school_id is None else assignments[0].due_date,
        wanted_due=new_due,
        new_due=new_due,
        reason=reason,
        requested_by_id=user.user_id if user else None,
        decided_by_id=user.user_id if user else None,
        created_at=now,
        decided_at=now,
    )
    session.add(change)
    await session.flush()
    recipients: dict[int, Recipient] = {}
    for assignment in assignments:
        _audit(session, clock, user, "deadline.move", assignment, activity, new_due, reason)
        _set_due(assignment, new_due, clock)
        await cancel_pending_for(session, assignment.id)
        for person in await curator_recipients(session, assignment.school_id):
            recipients.setdefault(person.user_id, person)
    await queue_notice(
        session, clock, DEADLINE_MOVED, "deadline_change", change.id, list(recipients.values()),
        event="moved", skip_user_id=user.user_id if user else None,
    )  # fmt: skip
    await session.flush()
    return await change_info(session, change.id), len(assignments)


async def kept_dates(session: AsyncSession, activity_id: int) -> dict[int | None, date]:
    """Due dates set by approved or coordinator changes, by school (None: all schools); the
    latest change wins. A re-import keeps them."""
    kept: dict[int | None, date] = {}
    rows = await session.scalars(
        select(DeadlineChange)
        .where(DeadlineChange.activity_id == activity_id, DeadlineChange.status.in_(KEPT))
        .order_by(DeadlineChange.decided_at, DeadlineChange.id)
    )
    for change in rows:
        if change.new_due is None:
            continue
        if change.all_schools:
            kept = {None: change.new_due}  # a move for all schools overrides earlier ones
        else:
            kept[change.school_id] = change.new_due
    return kept


async def change_info(session: AsyncSession, change_id: int) -> ChangeInfo:
    change = await session.get(DeadlineChange, change_id)
    if change is None:
        raise DeadlineError("not_found")
    activity = await session.get(Activity, change.activity_id)
    school = await session.get(School, change.school_id) if change.school_id else None
    assignment_id = None
    if not change.all_schools:
        same_school = (
            Assignment.school_id.is_(None)
            if change.school_id is None
            else Assignment.school_id == change.school_id
        )
        assignment_id = await session.scalar(
            select(Assignment.id).where(Assignment.activity_id == change.activity_id, same_school)
        )
    by = await session.get(User, change.requested_by_id) if change.requested_by_id else None
    return ChangeInfo(
        change.id,
        assignment_id,
        change.activity_id,
        activity.title if activity else "",
        (school.short_name or school.name) if school else None,
        change.status,
        change.old_due,
        change.wanted_due,
        change.new_due,
        change.reason,
        by.full_name if by else None,
    )


def _set_due(assignment: Assignment, due: date, clock: Clock) -> None:
    assignment.due_date = due
    assignment.version += 1
    assignment.updated_at = clock.now()


def _audit(
    session: AsyncSession,
    clock: Clock,
    user: UserContext | None,
    action: str,
    assignment: Assignment,
    activity: Activity,
    due: date | None,
    reason: str | None,
) -> None:
    after: dict[str, object] = {"due": due.isoformat() if due else None, "reason": reason}
    if user is not None:
        after |= on_behalf(user, activity.plan_id, assignment.school_id)
    audit.record(
        session, clock, actor_user_id=user.user_id if user else None, action=action,
        entity_type="assignment", entity_id=assignment.id,
        before={"due": assignment.due_date.isoformat() if assignment.due_date else None}
        if action != "deadline.request" else None,
        after=after,
    )  # fmt: skip
