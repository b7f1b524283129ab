"""Turn a group of outbox rows (one person, one moment) into the message to send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.submission_view import MediaPart, review_request
from bot.timeoff_render import KINDS as TIMEOFF_KINDS
from bot.timeoff_render import render_timeoff
from core import membership_news
from core.groups import group_status
from core.notices import (
    HELP_QUESTION,
    MEMBER_JOINED,
    MEMBER_LEFT,
    NOTICE_KINDS,
    OVERDUE_NUDGE,
    REVIEW_REQUEST,
    REVIEW_RESULT,
    REVIEW_WITHDRAWN,
)
from core.people import curator_names
from core.roles import Role
from core.seminars import seminar_view
from core.states import AssignmentStatus, SubmissionStatus
from core.status import coordinator_week, school_overdue, scope_of
from core.users import context_for
from core.work import help_answer, question_of, submission_info
from db.models import (
    Activity,
    Assignment,
    Membership,
    OutboxMessage,
    Plan,
    School,
    Submission,
    User,
)

ASSIGNMENT_KINDS = {"deadline", "start", "checkin", "recurring", "overdue", "snoozed"}


@dataclass(frozen=True)
class Rendered:
    """A message, then any files that follow it (sent in order, progress kept per part)."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    media: tuple[MediaPart, ...] = ()
    edit_message_id: int | None = None  # set: edit this earlier message instead of sending


def family(kind: str) -> str:
    """Rows of one family for one person at one moment become one message."""
    return "assignment" if kind in ASSIGNMENT_KINDS else kind


def merges(kind: str) -> bool:
    """Only item reminders, escalations and joinings (a quarter hour's) list several rows in one
    message; any other row (a seminar, a notice) is its own message, so two at one moment
    cannot hide each other."""
    return family(kind) in ("assignment", "escalation", MEMBER_JOINED)


async def _items(session: AsyncSession, rows: list[OutboxMessage]) -> list[dict[str, Any]]:
    ids = [r.target_id for r in rows if r.target_id is not None]
    details = {
        assignment_id: (activity, plan_title, school_name, school_id)
        for assignment_id, activity, plan_title, school_name, school_id in (
            await session.execute(
                select(Assignment.id, Activity, Plan.title, School.name, Assignment.school_id)
                .join(Activity, Activity.id == Assignment.activity_id)
                .join(Plan, Plan.id == Activity.plan_id)
                .outerjoin(School, School.id == Assignment.school_id)
                .where(Assignment.id.in_(ids))
            )
        )
    }
    curators = await curator_names(session, {d[3] for d in details.values() if d[3] is not None})
    items = []
    for row in rows:
        activity, plan_title, school_name, school_id = details.get(
            row.target_id or 0, (None, None, None, None)
        )
        items.append(
            {
                **row.payload,
                "kind": row.kind,
                "plan": plan_title,
                "school": school_name,
                "curators": curators.get(school_id, []) if school_id is not None else [],
                "expected_result": activity.expected_result if activity else None,
            }
        )
    return items


async def _seminar(
    session: AsyncSession, row: OutboxMessage, kind: str, zone: ZoneInfo, today: date
) -> Rendered:
    """A seminar reminder or announcement, from the database: place, the time in the reader's
    zone as well, and their answer instead of the question once they have given one."""
    view = await seminar_view(session, int(row.target_id or 0), row.recipient_user_id, zone.key)
    if view is None:
        raise LookupError(f"seminar {row.target_id} is gone")
    when = texts.seminar_when(view.day, view.starts_at, view.zone, zone.key, today)
    if kind == "seminar_news":
        event = str(row.payload.get("event", "new"))
        text = texts.seminar_news(view, event, when)
    else:
        event = "new"
        days = (view.day - today).days if view.day else None
        text = texts.seminar(
            view, when, kind == "seminar_soon", days, texts.acting_for(row.payload, today)
        )
    markup = None if event == "cancelled" else keyboards.rsvp(view.seminar_id, view.answer)
    return Rendered(text, markup)


def target_of(rows: list[OutboxMessage]) -> int:
    return int(rows[0].target_id or 0)


async def render(
    session: AsyncSession, rows: list[OutboxMessage], now: datetime, zone: ZoneInfo
) -> Rendered:
    """The text and buttons for `rows`, all of one family, for one recipient."""
    today = now.astimezone(zone).date()
    kind = family(rows[0].kind)
    if kind == "assignment":
        items = await _items(session, rows)
        ids = [int(r.target_id or 0) for r in rows]
        late = any(
            item["kind"] == "overdue"
            or (item.get("due") and date.fromisoformat(item["due"]) < today)
            for item in items
        )
        return Rendered(texts.reminder(items, today), keyboards.reminder_actions(ids, late))
    if kind == "escalation":
        return Rendered(texts.escalation(await _items(session, rows), today))
    if kind in ("seminar", "seminar_soon", "seminar_news"):
        return await _seminar(session, rows[0], kind, zone, today)
    if kind == "group_status":
        plans = await group_status(session, rows[0].chat_id, now, zone.key, rows[0].messenger)
        return Rendered(texts.group_status(plans))
    if kind == "digest":
        return Rendered(await _digest(session, rows[0], today, zone.key))
    if kind == OVERDUE_NUDGE:
        return await _nudge(session, rows[0], now, zone)
    if kind in TIMEOFF_KINDS:
        text, markup = await render_timeoff(session, rows[0], today, zone.key)
        return Rendered(text, markup)  # type: ignore[arg-type]
    if kind == MEMBER_JOINED:
        ids = [int(r.target_id or 0) for r in rows]
        return Rendered(texts.members_joined(await membership_news.joined(session, ids)))
    if kind == MEMBER_LEFT:
        return Rendered(texts.member_left(await membership_news.left(session, target_of(rows))))
    if kind in NOTICE_KINDS:
        return await _notice(session, rows[0])
    if kind == "blocked_notice":
        return Rendered(
            texts.blocked_notice(rows[0].payload.get("name"), rows[0].payload.get("school"))
        )
    raise ValueError(f"no renderer for {kind}")


async def _nudge(
    session: AsyncSession, row: OutboxMessage, now: datetime, zone: ZoneInfo
) -> Rendered:
    """🔔 from a coordinator: the school's overdue items in their scope, as they are now."""
    by = await session.get(User, int(row.payload.get("by", 0)))
    if by is None:
        raise LookupError("the coordinator is gone")
    scope = scope_of(await context_for(session, by))
    items = await school_overdue(session, scope, int(row.target_id or 0), now, zone.key)
    if not items:
        raise LookupError("nothing is overdue any more")
    name = by.full_name if by.forgotten_at is None else None
    return Rendered(texts.overdue_nudge(name, items, now.astimezone(zone).date()))


async def _notice(session: AsyncSession, row: OutboxMessage) -> Rendered:
    """Review requests and results, help questions and answers, read from the database now."""
    target = int(row.target_id or 0)
    if row.kind == REVIEW_REQUEST:
        text, markup, parts = review_request(await submission_info(session, target))
        return Rendered(text, markup, tuple(parts))
    if row.kind == REVIEW_RESULT:
        info = await submission_info(session, target)
        submission = await session.get(Submission, target)
        if submission is not None and submission.status == SubmissionStatus.PENDING:
            # The decision was taken back (the row's event says "undone"): back on review.
            return Rendered(
                texts.review_undone(info.title), keyboards.open_item(info.assignment_id)
            )
        accepted = submission is not None and submission.status == SubmissionStatus.ACCEPTED
        comment = submission.review_comment if submission else None
        markup = (
            keyboards.open_item(info.assignment_id)
            if accepted
            else keyboards.returned(info.assignment_id)
        )
        return Rendered(texts.reviewed(info.title, accepted, comment), markup)
    if row.kind == REVIEW_WITHDRAWN:
        info = await submission_info(session, target)
        return Rendered(
            texts.review_withdrawn(info.title, info.school),
            edit_message_id=int(row.payload.get("message_id", 0)),
        )
    if row.kind == HELP_QUESTION:
        question = await question_of(session, target)
        return Rendered(
            texts.help_question(
                question.title, question.school, question.text, question.earlier_answer
            ),
            keyboards.help_reply(question.question_id),
        )
    answered = await help_answer(session, int(row.payload.get("answer_id", 0)))
    if answered is None:
        raise ValueError(f"answer of outbox row {row.id} is gone")
    answer_id = int(row.payload.get("answer_id", 0))
    return Rendered(
        texts.help_answer(answered.title, answered.answer or ""),
        keyboards.help_follow_up(answer_id),
    )


async def _digest(
    session: AsyncSession, row: OutboxMessage, today: date, zone_name: str | None = None
) -> str:
    user = await session.get(User, row.recipient_user_id)
    school_ids = list(
        await session.scalars(
            select(Membership.school_id).where(
                Membership.user_id == row.recipient_user_id,
                Membership.role == Role.CURATOR,
                Membership.revoked_at.is_(None),
                Membership.school_id.is_not(None),
            )
        )
    )
    open_states = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
    week_end = today + timedelta(days=6 - today.weekday())
    if not school_ids and user is not None:
        # A coordinator (or admin): the week of their plans across their schools.
        scope = scope_of(await context_for(session, user))
        if not scope.empty:
            zone = zone_name or "Europe/Moscow"
            now = datetime.combine(today, time(9), ZoneInfo(zone))
            weeks = await coordinator_week(session, scope, today, week_end, now, zone)
            return texts.coordinator_digest(user.full_name, weeks)
    live = (
        Assignment.school_id.in_(school_ids),
        Assignment.status.in_(open_states),
        Activity.cancelled_at.is_(None),
        Plan.archived_at.is_(None),
    )
    base = (
        select(Activity.title, Assignment.due_date)
        .join(Activity, Activity.id == Assignment.activity_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .where(*live)
    )
    rows = (
        await session.execute(
            base.where(Assignment.due_date >= today, Assignment.due_date <= week_end)
            .order_by(Assignment.due_date)
            .limit(15)
        )
    ).all()
    overdue = await session.scalar(
        select(func.count())
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .where(*live, Assignment.due_date < today)
    )
    return texts.digest(user.full_name if user else None, list(rows), int(overdue or 0), today)
