"""Seminars: create, edit and cancel them, announce them to their audience, collect RSVPs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.accounts import delivery_account
from core.clock import Clock
from core.dto import UserContext
from core.errors import DomainError, InvalidInput, NotFound
from core.permissions import may_answer_seminar
from core.reminder_policy import end_of_day, resolve_zone
from core.roles import Role
from core.states import OutboxStatus, RsvpAnswer
from core.status import Scope
from core.when import When
from db.models import (
    Account,
    Attendance,
    ChatLink,
    Direction,
    DirectionSchool,
    Membership,
    OutboxMessage,
    Plan,
    PlanSchool,
    School,
    Seminar,
    SeminarSchool,
    User,
)

EDITABLE = ("topic", "when", "place")
MAX_TOPIC = 500


@dataclass(frozen=True)
class AudienceOption:
    """A plan a coordinator may address, with its directions (id, code, title)."""

    plan_id: int
    title: str
    directions: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SeminarLine:
    seminar_id: int
    topic: str
    day: date | None
    starts_at: datetime | None
    zone: str


@dataclass(frozen=True)
class SeminarCard:
    """Everything a coordinator sees about one seminar, answers included."""

    seminar_id: int
    plan_title: str
    audience: str
    topic: str
    day: date | None
    starts_at: datetime | None
    zone: str
    place: str | None
    cancelled: bool
    yes: list[str]
    no: list[str]
    invited: int
    in_holidays: bool = False  # reminded even during school holidays
    school_year: int | None = None  # the plan's (Y of Y/Y+1): a typed day without a year is in it


async def audience_options(session: AsyncSession, scope: Scope) -> list[AudienceOption]:
    """Plans (not archived) and directions a coordinator's scope covers."""
    query = select(Plan).where(Plan.archived_at.is_(None)).order_by(Plan.id)
    if not scope.all_plans:
        query = query.where(Plan.id.in_(scope.plan_ids))
    options = []
    for plan in await session.scalars(query):
        directions = await session.scalars(
            select(Direction).where(Direction.plan_id == plan.id).order_by(Direction.position)
        )
        options.append(
            AudienceOption(
                plan.id,
                plan.title,
                [(d.id, d.code, d.title) for d in directions if scope.covers(plan.id, d.id)],
            )
        )
    return options


async def _seminar_in_scope(session: AsyncSession, scope: Scope, seminar_id: int) -> Seminar:
    seminar = await session.get(Seminar, seminar_id)
    if seminar is None or not scope.covers(seminar.plan_id, seminar.direction_id):
        raise NotFound(f"no seminar {seminar_id} in scope")
    return seminar


async def upcoming(session: AsyncSession, scope: Scope, today: date) -> list[SeminarLine]:
    """Seminars in scope not yet past (undated ones too), soonest first."""
    query = (
        select(Seminar, Plan.timezone)
        .join(Plan, Plan.id == Seminar.plan_id)
        .where(
            Seminar.cancelled_at.is_(None),
            Plan.archived_at.is_(None),
            or_(Seminar.starts_on.is_(None), Seminar.starts_on >= today),
        )
    )
    lines = [
        SeminarLine(s.id, s.topic, s.starts_on, s.starts_at, zone)
        for s, zone in await session.execute(query)
        if scope.covers(s.plan_id, s.direction_id)
    ]
    return sorted(
        lines,
        key=lambda s: (
            s.day or date.max,
            s.starts_at is None,
            (s.starts_at and s.starts_at.timestamp()) or 0.0,
            s.seminar_id,
        ),
    )


async def school_ids_of(session: AsyncSession, seminar: Seminar) -> set[int]:
    """Schools invited: listed ones, the direction's, or else every school of the plan."""
    ids = set(
        await session.scalars(
            select(SeminarSchool.school_id).where(SeminarSchool.seminar_id == seminar.id)
        )
    )
    if seminar.direction_id is not None:
        ids |= set(
            await session.scalars(
                select(DirectionSchool.school_id).where(
                    DirectionSchool.direction_id == seminar.direction_id
                )
            )
        )
    elif not ids:
        ids = set(
            await session.scalars(
                select(PlanSchool.school_id).where(PlanSchool.plan_id == seminar.plan_id)
            )
        )
    return ids


@dataclass(frozen=True)
class Recipient:
    user_id: int | None  # None: a group chat
    chat_id: int
    zone: str
    messenger: str = "telegram"


async def recipients(session: AsyncSession, seminar: Seminar) -> list[Recipient]:
    """Reachable curators of the invited schools, then the linked group chats."""
    plan = await session.get(Plan, seminar.plan_id)
    plan_zone = plan.timezone if plan else None
    rows = await session.execute(
        select(User, School.timezone, Account.chat_id, Account.messenger)
        .join(Account, delivery_account())
        .join(Membership, Membership.user_id == User.id)
        .join(School, School.id == Membership.school_id)
        .where(
            Membership.role == Role.CURATOR,
            Membership.revoked_at.is_(None),
            Membership.school_id.in_(await school_ids_of(session, seminar)),
            or_(Membership.plan_id.is_(None), Membership.plan_id == seminar.plan_id),
            User.is_active.is_(True),
            User.blocked_at.is_(None),
            User.forgotten_at.is_(None),
            User.started_at.is_not(None),
        )
        .order_by(User.id)
    )
    found: dict[int, Recipient] = {}
    for user, school_zone, chat, messenger in rows:
        zone = resolve_zone(user.timezone, school_zone, plan_zone).key
        found.setdefault(user.id, Recipient(user.id, chat, zone, messenger))
    links = await session.scalars(
        select(ChatLink).where(
            ChatLink.plan_id == seminar.plan_id,
            or_(ChatLink.direction_id.is_(None), ChatLink.direction_id == seminar.direction_id),
        )
    )
    chats = {(link.messenger, link.chat_id) for link in links}
    zone = resolve_zone(plan_zone).key
    groups = [Recipient(None, chat, zone, messenger) for messenger, chat in sorted(chats)]
    return [*found.values(), *groups]


def fields_of(seminar: Seminar) -> dict[str, Any]:
    """What an announcement or reminder says; a row whose fields differ is out of date."""
    return {
        "topic": seminar.topic,
        "day": seminar.starts_on.isoformat() if seminar.starts_on else None,
        "starts_at": seminar.starts_at.astimezone(UTC).isoformat() if seminar.starts_at else None,
        "place": seminar.place,
    }


async def announce(session: AsyncSession, clock: Clock, seminar: Seminar, event: str) -> int:
    """Queue the news (new | changed | cancelled) for every recipient; returns their number."""
    now = clock.now()
    until = seminar.starts_at or (
        end_of_day(seminar.starts_on, resolve_zone("UTC")) if seminar.starts_on else None
    )
    targets = await recipients(session, seminar)
    for target in targets:
        session.add(
            OutboxMessage(
                dedupe_key=f"seminar_news:{seminar.id}:{event}:{now:%Y%m%d%H%M%S%f}:{target.chat_id}",
                kind="seminar_news",
                target_type="seminar",
                target_id=seminar.id,
                recipient_user_id=target.user_id,
                messenger=target.messenger,
                chat_id=target.chat_id,
                scheduled_at=now,
                not_after=until + timedelta(days=1) if until else None,
                payload={**fields_of(seminar), "event": event, "tz": target.zone},
                status=OutboxStatus.PENDING,
                attempts=0,
                created_at=now,
            )
        )
    await session.flush()
    return len(targets)


def _starts(when: When, zone: str) -> tuple[date, datetime | None]:
    if when.at is None:
        return when.day, None
    return when.day, datetime.combine(when.day, when.at, resolve_zone(zone))


def _clean_topic(topic: str) -> str:
    topic = " ".join(topic.split())
    if not topic:
        raise InvalidInput("empty topic", "seminar_empty_topic")
    return topic[:MAX_TOPIC]


async def create_seminar(
    session: AsyncSession,
    clock: Clock,
    *,
    scope: Scope,
    actor_user_id: int,
    plan_id: int,
    direction_id: int | None,
    topic: str,
    when: When,
    place: str | None,
) -> tuple[int, int]:
    """Create a seminar and queue its announcement; returns (seminar id, recipients)."""
    plan = await session.get(Plan, plan_id)
    if plan is None or not scope.covers(plan_id, direction_id):
        raise NotFound(f"no plan {plan_id} in scope")
    day, starts_at = _starts(when, plan.timezone)
    seminar = Seminar(
        plan_id=plan_id,
        direction_id=direction_id,
        topic=_clean_topic(topic),
        date_text=None,
        starts_on=day,
        starts_at=starts_at,
        place=(place or "").strip()[:500] or None,
        created_by_id=actor_user_id,
        created_at=clock.now(),
    )
    session.add(seminar)
    await session.flush()
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="seminar.create",
        entity_type="seminar",
        entity_id=seminar.id,
        after=fields_of(seminar),
    )
    return seminar.id, await announce(session, clock, seminar, "new")


async def edit_seminar(
    session: AsyncSession,
    clock: Clock,
    *,
    scope: Scope,
    actor_user_id: int,
    seminar_id: int,
    field_name: str,
    value: str | When,
) -> int:
    """Change the topic, time or place and tell the audience; returns the recipients."""
    seminar = await _seminar_in_scope(session, scope, seminar_id)
    if seminar.cancelled_at is not None:
        raise InvalidInput("cancelled")
    before = fields_of(seminar)
    if field_name == "topic" and isinstance(value, str):
        seminar.topic = _clean_topic(value)
    elif field_name == "place" and isinstance(value, str):
        seminar.place = value.strip()[:500] or None
    elif field_name == "when" and isinstance(value, When):
        plan = await session.get(Plan, seminar.plan_id)
        seminar.starts_on, seminar.starts_at = _starts(value, plan.timezone if plan else "UTC")
    else:
        raise InvalidInput(f"cannot set {field_name}")
    after = fields_of(seminar)
    if after == before:
        return 0
    await session.flush()
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="seminar.edit",
        entity_type="seminar",
        entity_id=seminar.id,
        before=before,
        after=after,
    )
    return await announce(session, clock, seminar, "changed")


async def cancel_seminar(
    session: AsyncSession, clock: Clock, *, scope: Scope, actor_user_id: int, seminar_id: int
) -> int:
    """Cancel a seminar (reminders stop) and tell the audience; returns the recipients."""
    seminar = await _seminar_in_scope(session, scope, seminar_id)
    if seminar.cancelled_at is not None:
        return 0
    seminar.cancelled_at = clock.now()
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="seminar.cancel",
        entity_type="seminar",
        entity_id=seminar.id,
        before=fields_of(seminar),
    )
    return await announce(session, clock, seminar, "cancelled")


async def seminar_card(session: AsyncSession, scope: Scope, seminar_id: int) -> SeminarCard:
    """The seminar with who answered what and how many were invited."""
    seminar = await _seminar_in_scope(session, scope, seminar_id)
    plan = await session.get(Plan, seminar.plan_id)
    direction = await session.get(Direction, seminar.direction_id) if seminar.direction_id else None
    answers = await session.execute(
        select(User.full_name, Attendance.answer)
        .join(User, User.id == Attendance.user_id)
        .where(Attendance.seminar_id == seminar.id)
        .order_by(Attendance.answered_at)
    )
    yes: list[str] = []
    no: list[str] = []
    for name, answer in answers:
        (yes if answer == RsvpAnswer.YES else no).append(name or "без имени")
    invited = sum(1 for r in await recipients(session, seminar) if r.user_id is not None)
    audience = f"{direction.code}. {direction.title}" if direction else "все школы плана"
    return SeminarCard(
        seminar.id,
        plan.title if plan else "",
        audience,
        seminar.topic,
        seminar.starts_on,
        seminar.starts_at,
        plan.timezone if plan else "Europe/Moscow",
        seminar.place,
        seminar.cancelled_at is not None,
        yes,
        no,
        invited,
        seminar.in_holidays,
        plan.academic_year if plan else None,
    )


async def set_in_holidays(
    session: AsyncSession, clock: Clock, *, scope: Scope, actor_user_id: int, seminar_id: int
) -> bool:
    """Toggle whether the seminar is reminded during school holidays; returns the new value."""
    seminar = await _seminar_in_scope(session, scope, seminar_id)
    seminar.in_holidays = not seminar.in_holidays
    audit.record(
        session, clock, actor_user_id=actor_user_id, action="seminar.in_holidays",
        entity_type="seminar", entity_id=seminar.id, after={"in_holidays": seminar.in_holidays},
    )  # fmt: skip
    await session.flush()
    return seminar.in_holidays


async def plan_zone(session: AsyncSession, plan_id: int) -> str:
    """The zone a seminar time typed for this plan is read in."""
    plan = await session.get(Plan, plan_id)
    return resolve_zone(plan.timezone if plan else None).key


async def plan_today(session: AsyncSession, clock: Clock, plan_id: int) -> date:
    """Today in the plan's time zone (what a typed date without a year is relative to)."""
    plan = await session.get(Plan, plan_id)
    return clock.now().astimezone(resolve_zone(plan.timezone if plan else None)).date()


async def plan_school_year(session: AsyncSession, plan_id: int) -> int | None:
    """Y of the plan's school year Y/Y+1, where a day typed without a year falls (None: unknown)."""
    plan = await session.get(Plan, plan_id)
    return plan.academic_year if plan else None


@dataclass(frozen=True)
class SeminarView:
    """What a message about a seminar says to one person, read when it is sent or edited."""

    seminar_id: int
    topic: str
    day: date | None
    starts_at: datetime | None
    place: str | None
    zone: str  # the zone its time was set in (the plan's)
    cancelled: bool
    answer: RsvpAnswer | None  # this person's Буду / Не смогу, if given


async def seminar_view(
    session: AsyncSession, seminar_id: int, user_id: int | None, default_zone: str
) -> SeminarView | None:
    """The seminar as one person sees it; None if it no longer exists."""
    seminar = await session.get(Seminar, seminar_id)
    if seminar is None:
        return None
    plan = await session.get(Plan, seminar.plan_id)
    answer = (
        await session.scalar(
            select(Attendance.answer).where(
                Attendance.seminar_id == seminar_id, Attendance.user_id == user_id
            )
        )
        if user_id is not None
        else None
    )
    return SeminarView(
        seminar.id,
        seminar.topic,
        seminar.starts_on,
        seminar.starts_at,
        seminar.place,
        resolve_zone(plan.timezone if plan else None, default_zone).key,
        seminar.cancelled_at is not None,
        answer,
    )


class NotInvited(DomainError):
    """The person is not among the seminar's audience (or is switched off)."""

    code = "not_invited"


async def answer_rsvp(
    session: AsyncSession, clock: Clock, *, seminar_id: int, user: UserContext, answer: RsvpAnswer
) -> None:
    """Record or change a person's answer to a seminar invitation they received."""
    seminar = await session.get(Seminar, seminar_id)
    if seminar is None:
        raise NotFound(f"no seminar {seminar_id}")
    if not may_answer_seminar(
        user, await school_ids_of(session, seminar), seminar.plan_id, seminar.direction_id
    ):
        raise NotInvited()
    if seminar.cancelled_at is not None:
        raise InvalidInput("cancelled")
    user_id = user.user_id
    row = await session.scalar(
        select(Attendance).where(Attendance.seminar_id == seminar_id, Attendance.user_id == user_id)
    )
    if row is None:
        session.add(
            Attendance(
                seminar_id=seminar_id, user_id=user_id, answer=answer, answered_at=clock.now()
            )
        )
    else:
        row.answer, row.answered_at = answer, clock.now()
    audit.record(
        session,
        clock,
        actor_user_id=user_id,
        action="seminar.rsvp",
        entity_type="seminar",
        entity_id=seminar_id,
        after={"answer": answer.value},
    )
