"""A curator's work on plan items: listing, cards, submitting evidence, undo, snooze, review.

Every use case re-checks who may do what to which assignment now (role, school, direction,
state); callers pass only ids. Domain errors carry codes the texts map to Russian.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core import audit
from core.clock import Clock
from core.dto import UserContext
from core.errors import DomainError
from core.item_state import ItemState, item_state, local_date
from core.notices import (
    HELP_ANSWER,
    HELP_QUESTION,
    REVIEW_REQUEST,
    REVIEW_RESULT,
    REVIEW_WITHDRAWN,
    delivered,
    queue_notice,
)
from core.people import coordinator_recipients, curator_recipients, recipient
from core.permissions import (
    acting_for,
    may_review,
    may_review_submission,
    may_see_item,
    may_see_submission,
    may_withdraw,
    may_work_on_item,
)
from core.reminder_policy import resolve_zone
from core.reminders import cancel_pending_for
from core.roles import Role
from core.scope import school_visible, scope_of
from core.states import AssignmentStatus, SubmissionStatus
from core.users import context_for
from db.models import (
    Activity,
    Assignment,
    AuditEntry,
    Direction,
    EvidenceFile,
    Plan,
    School,
    Stage,
    Submission,
    User,
)

REVIEW_UNDO_WINDOW = timedelta(hours=24)  # a coordinator's accept or return can be taken back
UNDO_WINDOW = timedelta(minutes=10)
PAGE_SIZE = 5
OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
DONE = (AssignmentStatus.SUBMITTED, AssignmentStatus.ACCEPTED)


class WorkError(DomainError):
    """An action on an item that is not allowed now; `code` says why."""

    def __init__(self, code: str, status: AssignmentStatus | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class ItemRow:
    assignment_id: int
    title: str
    due: date | None
    status: AssignmentStatus
    school: str | None
    state: ItemState  # where it stands on the page's day
    section: str | None = None
    for_name: str | None = None  # a deputy's item of the colleague they stand in for


@dataclass(frozen=True)
class ItemPage:
    rows: list[ItemRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class FileInfo:
    """A file as Telegram describes it."""

    kind: str
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    media_group_id: str | None = None


@dataclass(frozen=True)
class ItemCard:
    assignment_id: int
    version: int
    status: AssignmentStatus
    plan: str
    direction: str | None
    stage: str | None
    school: str | None
    title: str
    section: str | None
    period_text: str | None
    start: date | None
    due: date | None
    due_time: str | None
    due_zone: str | None
    period_note: str | None
    responsible: str | None
    expected_result: str | None
    note: str | None = None  # the plan's "Примечание"
    files: list[str] = field(default_factory=list)
    missing_copies: list[str] = field(default_factory=list)
    last_comment: str | None = None
    review_comment: str | None = None
    can_act: bool = False
    can_review: bool = False
    can_move: bool = False  # a reviewer may move its due date
    plan_due: date | None = None  # the plan's date, when the school's differs
    pending_submission_id: int | None = None
    handed_in: date | None = None  # the day it was last handed in, in `zone`
    zone: str | None = None  # the item's zone (the school's, else the plan's): its days
    plan_zone: str | None = None  # the plan's own, as written: its documents' times

    def can_snooze(self, today: date) -> bool:
        """Whether "remind me later" is offered: only before its date (`snooze`'s rule)."""
        return self.can_act and snoozable(self.due, today)


@dataclass(frozen=True)
class SubmissionInfo:
    submission_id: int
    assignment_id: int
    title: str
    school: str | None
    comment: str | None
    files: list[FileInfo]
    person: str | None = None  # who sent it
    by_reviewer: bool = False  # sent by one of the item's reviewers: another one decides
    for_name: str | None = None  # the absent colleague a deputy sent it for
    resubmitted: bool = False  # sent again after the item was returned
    return_comment: str | None = None  # what the reviewer asked for when returning it


async def _load(session: AsyncSession, assignment_id: int) -> tuple[Assignment, Activity, Plan]:
    row = (
        await session.execute(
            select(Assignment, Activity, Plan)
            .join(Activity, Activity.id == Assignment.activity_id)
            .join(Plan, Plan.id == Activity.plan_id)
            .where(Assignment.id == assignment_id)
        )
    ).first()
    if row is None:
        raise WorkError("not_found")
    return row[0], row[1], row[2]


def on_behalf(user: UserContext, plan_id: int, school_id: int | None) -> dict[str, object]:
    """Audit fields naming the absent person a deputy acts for (empty otherwise)."""
    deputy = acting_for(user, plan_id, school_id)
    if deputy is None:
        return {}
    return {"for_user_id": deputy.acting_for, "for_name": deputy.acting_for_name}


def _may_act(user: UserContext, assignment: Assignment, activity: Activity) -> bool:
    return may_work_on_item(user, activity.plan_id, activity.direction_id, assignment.school_id)


def _later_occurrence(today: date) -> Any:
    """An open occurrence not yet due while an earlier one of its series (same school) is open
    and not yet due either: /my shows the occurrence due next (and every overdue one)."""
    other, sibling = aliased(Assignment), aliased(Activity)
    return and_(
        Activity.series_key.is_not(None),
        Assignment.due_date >= today,
        exists().where(
            sibling.plan_id == Activity.plan_id,
            sibling.series_key == Activity.series_key,
            sibling.cancelled_at.is_(None),
            other.activity_id == sibling.id,
            other.school_id.is_not_distinct_from(Assignment.school_id),
            other.status.in_(OPEN),
            other.due_date >= today,
            or_(
                other.due_date < Assignment.due_date,
                and_(other.due_date == Assignment.due_date, other.id < Assignment.id),
            ),
        ),
    )


async def my_items(
    session: AsyncSession, user: UserContext, view: str, page: int, today: date
) -> ItemPage:
    """The person's items: open (soonest first), overdue, this week, or done."""
    # Curators' and observers' schools (observers read-only), each for the plans it names.
    mine = school_visible(
        scope_of(user), Activity.plan_id, Activity.direction_id, Assignment.school_id
    )
    query = (
        select(
            Assignment.id,
            Activity.title,
            Assignment.due_date,
            Assignment.status,
            School.short_name,
            School.name,
            Activity.section,
            Assignment.school_id,
            Assignment.submitted_at,
            School.timezone,
            Plan.timezone,
        )
        .join(Activity, Activity.id == Assignment.activity_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .outerjoin(School, School.id == Assignment.school_id)
        .where(
            mine,
            Activity.cancelled_at.is_(None),
            Plan.archived_at.is_(None),
        )
    )
    if view == "done":
        query = query.where(Assignment.status.in_(DONE)).order_by(Assignment.updated_at.desc())
    else:
        query = query.where(Assignment.status.in_(OPEN))
        if view == "open":
            query = query.where(~_later_occurrence(today))
        if view == "overdue":
            query = query.where(Assignment.due_date < today)
        elif view == "week":
            query = query.where(
                Assignment.due_date >= today, Assignment.due_date <= today + timedelta(days=7)
            )
        query = query.order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
    # The page and the count of all in one statement (a window count over the whole result).
    counted = query.add_columns(func.count().over())
    rows = (await session.execute(counted.offset(max(page, 0) * PAGE_SIZE).limit(PAGE_SIZE))).all()
    if not rows and page > 0:  # past the end (the list shrank): the last page instead
        total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        page = max(0, -(-total // PAGE_SIZE) - 1)
        rows = (await session.execute(counted.offset(page * PAGE_SIZE).limit(PAGE_SIZE))).all()
    total = int(rows[0][11]) if rows else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    # A school worked on only as someone's deputy: its items say for whom.
    own = {m.school_id for m in user.memberships if m.acting_for is None and m.role == Role.CURATOR}
    standing_in = {
        m.school_id: m.acting_for_name
        for m in user.memberships
        if m.acting_for is not None and m.role == Role.CURATOR and m.school_id not in own
    }
    items = []
    for r in rows:
        handed_in = local_date(r[8], resolve_zone(r[9], r[10]))
        state = item_state(r[3], r[2], handed_in, today)
        items.append(
            ItemRow(r[0], r[1], r[2], r[3], r[4] or r[5], state, r[6], standing_in.get(r[7]))
        )
    return ItemPage(
        items,
        page,
        pages,
        total,
    )


async def item_card(session: AsyncSession, user: UserContext, assignment_id: int) -> ItemCard:
    """Everything about one item for someone allowed to see it."""
    assignment, activity, plan = await _load(session, assignment_id)
    reviewer = may_review(user, plan.id, activity.direction_id)
    actor = _may_act(user, assignment, activity)
    if not may_see_item(user, plan.id, activity.direction_id, assignment.school_id):
        raise WorkError("forbidden")
    direction = (
        await session.get(Direction, activity.direction_id) if activity.direction_id else None
    )
    stage = await session.get(Stage, activity.stage_id) if activity.stage_id else None
    school = await session.get(School, assignment.school_id) if assignment.school_id else None
    zone = resolve_zone(school.timezone if school else None, plan.timezone)
    last = await session.scalar(
        select(Submission)
        .where(Submission.assignment_id == assignment.id)
        .order_by(Submission.id.desc())
        .limit(1)
    )
    files: list[str] = []
    missing: list[str] = []
    evidence = may_see_submission(user, plan.id, activity.direction_id, assignment.school_id)
    if evidence and last is not None and last.status != SubmissionStatus.WITHDRAWN:
        for f in await session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.submission_id == last.id)
            .order_by(EvidenceFile.id)
        ):
            files.append(f.file_name or f.kind)
            if f.copy_missing_at is not None:
                missing.append(f.file_name or f.kind)
    return ItemCard(
        assignment_id=assignment.id,
        version=assignment.version,
        status=assignment.status,
        plan=plan.title,
        direction=f"{direction.code}. {direction.title}" if direction else None,
        stage=stage.title if stage else None,
        school=school.name if school else None,
        title=activity.title,
        section=activity.section,
        period_text=activity.period_text,
        start=activity.start_date,
        due=assignment.due_date,
        due_time=activity.due_time,
        due_zone=activity.due_zone,
        period_note=activity.period_note,
        responsible=activity.responsible_text,
        expected_result=activity.expected_result,
        note=activity.note,
        files=files,
        missing_copies=missing,
        last_comment=last.comment if last and evidence else None,
        review_comment=last.review_comment if last and evidence else None,
        can_act=actor and assignment.status in OPEN,
        can_review=reviewer
        and assignment.status == AssignmentStatus.SUBMITTED
        and (last is None or last.user_id != user.user_id),
        can_move=reviewer and assignment.status in (*OPEN, AssignmentStatus.SUBMITTED),
        plan_due=activity.due_date if activity.due_date != assignment.due_date else None,
        pending_submission_id=(
            last.id if evidence and last and last.status == SubmissionStatus.PENDING else None
        ),
        handed_in=local_date(assignment.submitted_at, zone),
        zone=zone.key,
        plan_zone=plan.timezone,
    )


# What people wrote about the work (submission and review comments, questions and answers):
# evidence, left out of the history an observer reads.
_WRITTEN = ("comment", "question", "answer")


async def item_history(
    session: AsyncSession, user: UserContext, assignment_id: int
) -> list[audit.AuditLine]:
    """The item's history for someone who may see its card; without the right to its evidence
    (an observer) the entries keep who did what, not what they wrote."""
    assignment, activity, _ = await _load(session, assignment_id)
    plan_id, direction_id, school_id = activity.plan_id, activity.direction_id, assignment.school_id
    if not may_see_item(user, plan_id, direction_id, school_id):
        raise WorkError("forbidden")
    lines = await audit.item_history(session, assignment_id)
    if may_see_submission(user, plan_id, direction_id, school_id):
        return lines
    return [
        replace(line, before=_unwritten(line.before), after=_unwritten(line.after))
        for line in lines
    ]


def _unwritten(values: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {k: v for k, v in values.items() if k not in _WRITTEN}


async def begin_done(session: AsyncSession, user: UserContext, assignment_id: int) -> ItemCard:
    """Check that the person may mark the item done now; the card carries the hint and version."""
    card = await item_card(session, user, assignment_id)
    if not card.can_act:
        raise WorkError("wrong_state" if card.status not in OPEN else "forbidden", card.status)
    return card


async def submit(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    assignment_id: int,
    version: int,
    comment: str | None,
    files: list[FileInfo],
) -> SubmissionInfo:
    """Hand in the item with comment and files; the assignment waits for review."""
    assignment, activity, _ = await _load(session, assignment_id)
    if not _may_act(user, assignment, activity):
        raise WorkError("forbidden")
    if assignment.status not in OPEN or assignment.version != version:
        raise WorkError("stale", assignment.status)
    now = clock.now()
    submission = Submission(
        assignment_id=assignment.id,
        user_id=user.user_id,
        comment=comment,
        status=SubmissionStatus.PENDING,
        created_at=now,
    )
    session.add(submission)
    await session.flush()
    for item in files:
        session.add(
            EvidenceFile(
                submission_id=submission.id,
                kind=item.kind,
                telegram_file_id=item.file_id,
                file_unique_id=item.file_unique_id,
                file_name=item.file_name,
                mime_type=item.mime_type,
                size=item.size,
                media_group_id=item.media_group_id,
                created_at=now,
            )
        )
    before = assignment.status
    assignment.status, assignment.submitted_at = AssignmentStatus.SUBMITTED, now
    assignment.version += 1
    assignment.updated_at = now
    await cancel_pending_for(session, assignment.id)
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="assignment.submit",
        entity_type="assignment",
        entity_id=assignment.id,
        before={"status": before.value},
        after={
            "status": "submitted",
            "submission_id": submission.id,
            "files": len(files),
            "comment": comment[:300] if comment else None,
            **on_behalf(user, activity.plan_id, assignment.school_id),
        },
    )
    await session.flush()
    await _tell_coordinators(
        session, clock, activity, REVIEW_REQUEST, "submission", submission.id, "submitted", user
    )
    return await submission_info(session, submission.id)


async def _tell_coordinators(
    session: AsyncSession,
    clock: Clock,
    activity: Activity,
    kind: str,
    target_type: str,
    target_id: int,
    event: str,
    actor: UserContext,
) -> None:
    """Queue a notice to the coordinators of the item's direction (or plan), not the actor."""
    recipients = await coordinator_recipients(session, activity.plan_id, activity.direction_id)
    await queue_notice(
        session,
        clock,
        kind,
        target_type,
        target_id,
        recipients,
        event=event,
        skip_user_id=actor.user_id,
    )


async def submission_for(
    session: AsyncSession, user: UserContext, submission_id: int
) -> SubmissionInfo:
    """A submission with its comment and files, for someone allowed to see it."""
    submission = await session.get(Submission, submission_id)
    if submission is None:
        raise WorkError("not_found")
    assignment, activity, _ = await _load(session, submission.assignment_id)
    if not may_see_submission(user, activity.plan_id, activity.direction_id, assignment.school_id):
        raise WorkError("forbidden")
    return await submission_info(session, submission_id)


async def submission_info(session: AsyncSession, submission_id: int) -> SubmissionInfo:
    submission = await session.get(Submission, submission_id)
    if submission is None:
        raise WorkError("not_found")
    assignment, activity, _ = await _load(session, submission.assignment_id)
    school = await session.get(School, assignment.school_id) if assignment.school_id else None
    files = [
        FileInfo(
            f.kind,
            f.telegram_file_id,
            f.file_unique_id,
            f.file_name,
            f.mime_type,
            f.size,
            f.media_group_id,
        )
        for f in await session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.submission_id == submission.id)
            .order_by(EvidenceFile.id)
        )
    ]
    sender = await session.get(User, submission.user_id) if submission.user_id else None
    by_reviewer = False
    if sender is not None:
        own = await context_for(session, sender)
        by_reviewer = may_review(own, activity.plan_id, activity.direction_id)
    returned = await session.scalar(
        select(Submission)
        .where(
            Submission.assignment_id == assignment.id,
            Submission.id < submission.id,
            Submission.status == SubmissionStatus.RETURNED,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    )
    for_name = None
    for after in await session.scalars(
        select(AuditEntry.after).where(
            AuditEntry.action == "assignment.submit",
            AuditEntry.entity_type == "assignment",
            AuditEntry.entity_id == assignment.id,
        )
    ):
        if (after or {}).get("submission_id") == submission.id:
            for_name = (after or {}).get("for_name")
    return SubmissionInfo(
        submission.id,
        assignment.id,
        activity.title,
        school.name if school else None,
        submission.comment,
        files,
        sender.full_name if sender and sender.forgotten_at is None else None,
        by_reviewer,
        for_name,
        returned is not None,
        returned.review_comment if returned is not None else None,
    )


async def undo(session: AsyncSession, clock: Clock, user: UserContext, submission_id: int) -> int:
    """Take back a submission within the undo window, before review; returns the assignment id."""
    submission = await session.get(Submission, submission_id)
    if submission is None:
        raise WorkError("forbidden")
    assignment, activity, _ = await _load(session, submission.assignment_id)
    if not may_withdraw(
        user, submission.user_id, activity.plan_id, activity.direction_id, assignment.school_id
    ):
        raise WorkError("forbidden")
    if (
        submission.status != SubmissionStatus.PENDING
        or assignment.status != AssignmentStatus.SUBMITTED
    ):
        raise WorkError("wrong_state", assignment.status)
    if clock.now() - submission.created_at > UNDO_WINDOW:
        raise WorkError("undo_expired", assignment.status)
    submission.status = SubmissionStatus.WITHDRAWN
    assignment.status, assignment.submitted_at = AssignmentStatus.OPEN, None
    assignment.version += 1
    assignment.updated_at = clock.now()
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="assignment.undo",
        entity_type="assignment",
        entity_id=assignment.id,
        before={"status": "submitted"},
        after={"status": "open"},
    )
    # Requests already delivered are edited to say so; undelivered ones are simply not sent.
    for person, message_id in await delivered(session, REVIEW_REQUEST, "submission", submission.id):
        await queue_notice(
            session,
            clock,
            REVIEW_WITHDRAWN,
            "submission",
            submission.id,
            [person],
            event="withdrawn",
            payload={"message_id": message_id},
        )
    return assignment.id


def snoozable(due: date | None, today: date) -> bool:
    """A reminder may be put off only while the date is ahead: an overdue item (or one due
    today, or one without a date) has nothing to wait for."""
    return due is not None and due > today


async def snooze(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    assignment_id: int,
    days: int,
    default_zone: str,
) -> datetime:
    """Move this item's next reminder to `days` days from now at 09:00 in the person's own
    zone (theirs, else the school's, else the plan's), as their reminders are timed."""
    assignment, activity, plan = await _load(session, assignment_id)
    if not _may_act(user, assignment, activity):
        raise WorkError("forbidden")
    person = await session.get(User, user.user_id)
    school = await session.get(School, assignment.school_id) if assignment.school_id else None
    zone = resolve_zone(
        person.timezone if person else None,
        school.timezone if school else None,
        plan.timezone,
        default_zone,
    )
    if assignment.status not in OPEN:
        raise WorkError("wrong_state", assignment.status)
    today = clock.now().astimezone(zone).date()
    due = assignment.due_date
    if due is None or not snoozable(due, today):
        raise WorkError("too_late", assignment.status)
    target = min(today + timedelta(days=days), due)
    moment = datetime.combine(target, time(9), zone)
    assignment.snoozed_until = moment
    await cancel_pending_for(session, assignment.id)
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="assignment.snooze",
        entity_type="assignment",
        entity_id=assignment.id,
        after={"until": moment.isoformat()},
    )
    return moment


async def _reviewable(
    session: AsyncSession, user: UserContext, submission_id: int
) -> tuple[Submission, Assignment]:
    """The submission and its item, if the person may review it; else WorkError."""
    submission = await session.get(Submission, submission_id)
    if submission is None:
        raise WorkError("not_found")
    assignment, activity, plan = await _load(session, submission.assignment_id)
    if not may_review(user, plan.id, activity.direction_id):
        raise WorkError("forbidden")
    if not may_review_submission(user, submission.user_id, plan.id, activity.direction_id):
        raise WorkError("own_work")
    return submission, assignment


async def _tell_curators(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    submission: Submission,
    assignment: Assignment,
    event: str,
) -> None:
    """The review result (or its undoing) to the school's curators, through the outbox."""
    await queue_notice(
        session,
        clock,
        REVIEW_RESULT,
        "submission",
        submission.id,
        await curator_recipients(session, assignment.school_id),
        # The version makes every decision its own notice (a decision undone and made again).
        event=f"{event}:{assignment.version}",
        skip_user_id=user.user_id,
    )


async def review(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    submission_id: int,
    accept: bool,
    comment: str | None,
) -> SubmissionInfo:
    """Accept or return a submission; the item closes or reopens."""
    submission, assignment = await _reviewable(session, user, submission_id)
    if (
        submission.status != SubmissionStatus.PENDING
        or assignment.status != AssignmentStatus.SUBMITTED
    ):
        raise WorkError("stale", assignment.status)
    now = clock.now()
    submission.status = SubmissionStatus.ACCEPTED if accept else SubmissionStatus.RETURNED
    submission.reviewer_id, submission.review_comment, submission.reviewed_at = (
        user.user_id,
        comment,
        now,
    )
    assignment.status = AssignmentStatus.ACCEPTED if accept else AssignmentStatus.RETURNED
    assignment.accepted_at = now if accept else None
    assignment.version += 1
    assignment.updated_at = now
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="assignment.accept" if accept else "assignment.return",
        entity_type="assignment",
        entity_id=assignment.id,
        before={"status": "submitted"},
        after={"status": assignment.status.value, "comment": comment},
    )
    await _tell_curators(
        session, clock, user, submission, assignment, "accepted" if accept else "returned"
    )
    return await submission_info(session, submission.id)


async def undo_review(
    session: AsyncSession, clock: Clock, user: UserContext, submission_id: int
) -> SubmissionInfo:
    """Take back a mistaken accept or return: the item is back on review, the curator is told.

    Only while the decision is the item's latest state (no newer submission) and within
    REVIEW_UNDO_WINDOW; by anyone who may review the item; audited."""
    submission, assignment = await _reviewable(session, user, submission_id)
    decided = {
        SubmissionStatus.ACCEPTED: AssignmentStatus.ACCEPTED,
        SubmissionStatus.RETURNED: AssignmentStatus.RETURNED,
    }
    latest = await session.scalar(
        select(func.max(Submission.id)).where(Submission.assignment_id == assignment.id)
    )
    if decided.get(submission.status) != assignment.status or latest != submission.id:
        raise WorkError("stale", assignment.status)
    now = clock.now()
    if submission.reviewed_at is None or now - submission.reviewed_at > REVIEW_UNDO_WINDOW:
        raise WorkError("review_undo_expired", assignment.status)
    before = {"status": assignment.status.value, "comment": submission.review_comment}
    submission.status = SubmissionStatus.PENDING
    submission.reviewer_id, submission.review_comment, submission.reviewed_at = None, None, None
    assignment.status, assignment.accepted_at = AssignmentStatus.SUBMITTED, None
    assignment.version += 1
    assignment.updated_at = now
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="assignment.review_undone",
        entity_type="assignment",
        entity_id=assignment.id,
        before=before,
        after={"status": "submitted"},
    )
    await _tell_curators(session, clock, user, submission, assignment, "undone")
    return await submission_info(session, submission.id)


async def waiting_review(
    session: AsyncSession, user: UserContext, limit: int = 20
) -> list[tuple[int, str, str | None]]:
    """Submissions waiting for this reviewer: (submission id, title, school)."""
    rows = (
        await session.execute(
            select(
                Submission.id, Activity.title, School.name, Activity.plan_id, Activity.direction_id
            )
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Activity, Activity.id == Assignment.activity_id)
            .outerjoin(School, School.id == Assignment.school_id)
            .where(
                Submission.status == SubmissionStatus.PENDING,
                Assignment.status == AssignmentStatus.SUBMITTED,
                or_(Submission.user_id.is_(None), Submission.user_id != user.user_id),
            )
            .order_by(Submission.id)
        )
    ).all()
    waiting: list[tuple[int, str, str | None]] = [
        (r[0], r[1], r[2]) for r in rows if may_review(user, r[3], r[4])
    ]
    return waiting[:limit]


@dataclass(frozen=True)
class HelpQuestion:
    question_id: int
    title: str
    school: str | None
    text: str
    asker_user_id: int | None
    answer: str | None = None
    assignment_id: int | None = None
    earlier_answer: str | None = None  # the coordinator's answer this question replies to


async def ask_help(
    session: AsyncSession,
    clock: Clock,
    user: UserContext,
    assignment_id: int,
    text: str,
    reply_to: int | None = None,
) -> HelpQuestion:
    """A curator's question about an item (or their reply to an answer, `reply_to`), kept in
    the audit log and sent to its coordinators."""
    assignment, activity, _ = await _load(session, assignment_id)
    if not _may_act(user, assignment, activity):
        raise WorkError("forbidden")
    after: dict[str, object] = {"question": text}
    if reply_to is not None:
        earlier = await help_answer(session, reply_to)
        if earlier is None or earlier.assignment_id != assignment.id:
            raise WorkError("not_found")
        after["reply_to"] = reply_to
    entry = audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="help.ask",
        entity_type="assignment",
        entity_id=assignment.id,
        after=after,
    )
    await session.flush()
    await _tell_coordinators(
        session, clock, activity, HELP_QUESTION, "question", entry.id, "asked", user
    )
    return await question_of(session, entry.id)


async def may_ask(session: AsyncSession, user: UserContext, assignment_id: int) -> None:
    """Raise unless the person may ask about this item (checked before asking for the text)."""
    assignment, activity, _ = await _load(session, assignment_id)
    if not _may_act(user, assignment, activity):
        raise WorkError("forbidden")


async def may_decide(session: AsyncSession, user: UserContext, submission_id: int) -> None:
    """Raise unless the person may accept or return this submission (before asking why)."""
    await _reviewable(session, user, submission_id)


async def may_answer(session: AsyncSession, user: UserContext, question_id: int) -> None:
    """Raise unless the person coordinates the plan the question is about."""
    entry = await session.get(AuditEntry, question_id)
    if entry is None or entry.action != "help.ask" or entry.entity_id is None:
        raise WorkError("not_found")
    _, activity, plan = await _load(session, entry.entity_id)
    if not may_review(user, plan.id, activity.direction_id):
        raise WorkError("forbidden")


async def answer_help(
    session: AsyncSession, clock: Clock, user: UserContext, question_id: int, text: str
) -> HelpQuestion:
    """A coordinator's answer to a question about an item of their plan."""
    await may_answer(session, user, question_id)
    info = await question_of(session, question_id)
    entry = await session.get(AuditEntry, question_id)
    assert entry is not None
    answer = audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="help.answer",
        entity_type="assignment",
        entity_id=entry.entity_id,
        after={"question_id": question_id, "answer": text},
    )
    await session.flush()
    asker = await recipient(session, info.asker_user_id) if info.asker_user_id else None
    if asker is not None:
        await queue_notice(
            session,
            clock,
            HELP_ANSWER,
            "question",
            question_id,
            [asker],
            event=f"answer{answer.id}",
            skip_user_id=user.user_id,
            payload={"answer_id": answer.id},
        )
    return replace(info, answer=text)


async def help_answer(session: AsyncSession, answer_id: int) -> HelpQuestion | None:
    """A question with one of its answers, or None if either is gone (e.g. forgotten)."""
    entry = await session.get(AuditEntry, answer_id)
    if entry is None or entry.action != "help.answer" or not entry.after:
        return None
    try:
        info = await question_of(session, int(entry.after.get("question_id", 0)))
    except WorkError:
        return None
    return replace(info, answer=str(entry.after.get("answer", "")))


async def question_of(session: AsyncSession, question_id: int) -> HelpQuestion:
    """A curator's question (an audit entry) with its item and school."""
    entry = await session.get(AuditEntry, question_id)
    if entry is None or entry.action != "help.ask" or entry.entity_id is None:
        raise WorkError("not_found")
    assignment, activity, _ = await _load(session, entry.entity_id)
    school = await session.get(School, assignment.school_id) if assignment.school_id else None
    earlier = None
    reply_to = (entry.after or {}).get("reply_to")
    if reply_to:
        answer = await session.get(AuditEntry, int(reply_to))
        if answer is not None and answer.action == "help.answer" and answer.after:
            earlier = str(answer.after.get("answer", "")) or None
    return HelpQuestion(
        question_id,
        activity.title,
        school.name if school else None,
        str((entry.after or {}).get("question", "")),
        entry.actor_user_id,
        assignment_id=assignment.id,
        earlier_answer=earlier,
    )


async def follow_up(session: AsyncSession, user: UserContext, answer_id: int) -> int:
    """The item a person may reply about, under an answer to their own question."""
    answered = await help_answer(session, answer_id)
    if answered is None or answered.assignment_id is None:
        raise WorkError("not_found")
    if answered.asker_user_id != user.user_id:
        raise WorkError("forbidden")
    await may_ask(session, user, answered.assignment_id)
    return answered.assignment_id
