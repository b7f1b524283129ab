"""People's reachability: blocking and unblocking the bot, and telling coordinators once."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import audit
from core.accounts import delivery_account
from core.clock import Clock
from core.roles import Role
from core.states import OutboxStatus
from db.models import Account, Membership, OutboxMessage, PlanSchool, School, User
from messengers import TELEGRAM


async def mark_blocked(
    session: AsyncSession, clock: Clock, user_id: int, messenger: str | None = None
) -> int:
    """Record that the person blocked the bot in the messenger their reminders go to (a block
    in another one changes nothing); queue one notice per coordinator. Returns notices."""
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return 0
    if messenger is not None and messenger != user.messenger:
        return 0
    now = clock.now()
    user.blocked_at = now
    audit.record(
        session,
        clock,
        actor_user_id=None,
        action="user.blocked_bot",
        entity_type="user",
        entity_id=user.id,
    )
    memberships = list(
        await session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.revoked_at.is_(None))
        )
    )
    school_ids = {m.school_id for m in memberships if m.school_id is not None}
    school_name = None
    if school_ids:
        school = await session.get(School, sorted(school_ids)[0])
        school_name = school.name if school else None
    coordinators = [
        c for c in await coordinators_of_schools(session, school_ids) if c.user_id != user.id
    ]
    count = 0
    for coordinator_id, chat_id, messenger in coordinators:
        try:
            async with session.begin_nested():
                session.add(
                    OutboxMessage(
                        dedupe_key=f"blocked_notice:user:{user.id}:{coordinator_id}:{now:%Y%m%d}",
                        kind="blocked_notice",
                        target_type="user",
                        target_id=user.id,
                        recipient_user_id=coordinator_id,
                        messenger=messenger,
                        chat_id=chat_id,
                        scheduled_at=now,
                        not_after=None,
                        payload={
                            "name": user.full_name,
                            "school": school_name,
                            "tz": "Europe/Moscow",
                        },
                        status=OutboxStatus.PENDING,
                        attempts=0,
                        created_at=now,
                    )
                )
            count += 1
        except IntegrityError:
            continue
    return count


async def coordinators_of_schools(session: AsyncSession, school_ids: set[int]) -> list[Recipient]:
    """Reachable coordinators of the plans (any plan, for those without one) the schools take
    part in."""
    plan_ids = set(
        await session.scalars(
            select(PlanSchool.plan_id).where(PlanSchool.school_id.in_(school_ids))
        )
    )
    rows = await session.execute(
        select(User.id, Account.chat_id, Account.messenger)
        .join(Account, delivery_account())
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.role == Role.COORDINATOR,
            Membership.revoked_at.is_(None),
            or_(Membership.plan_id.is_(None), Membership.plan_id.in_(plan_ids)),
            *reachable(),
        )
        .distinct()
        .order_by(User.id)
    )
    return [Recipient(r[0], r[1], r[2]) for r in rows]


async def mark_unblocked(
    session: AsyncSession, clock: Clock, messenger: str, external_id: int
) -> None:
    """The person pressed Start again after blocking: reachable again (in the messenger their
    reminders go to)."""
    user = await session.scalar(
        select(User)
        .join(Account, Account.user_id == User.id)
        .where(Account.messenger == messenger, Account.external_id == external_id)
    )
    if user is not None and user.blocked_at is not None and user.messenger == messenger:
        user.blocked_at = None
        audit.record(
            session,
            clock,
            actor_user_id=user.id,
            action="user.unblocked_bot",
            entity_type="user",
            entity_id=user.id,
        )


class Recipient(NamedTuple):
    """Someone the bot can write to: their user id, their chat and its messenger."""

    user_id: int
    chat_id: int
    messenger: str = TELEGRAM


async def recipient(session: AsyncSession, user_id: int) -> Recipient | None:
    """A person as a recipient in the messenger their reminders go to; None without an
    account there (forgotten)."""
    row = (
        await session.execute(
            select(User.id, Account.chat_id, Account.messenger)
            .join(Account, delivery_account())
            .where(User.id == user_id)
        )
    ).first()
    return Recipient(row[0], row[1], row[2]) if row else None


def reachable() -> tuple[ColumnElement[bool], ...]:
    """People the bot can write to: active, started, not blocked, not forgotten."""
    return (
        User.is_active.is_(True),
        User.blocked_at.is_(None),
        User.forgotten_at.is_(None),
        User.started_at.is_not(None),
    )


async def curator_recipients(session: AsyncSession, school_id: int | None) -> list[Recipient]:
    """Recipients: a school's reachable curators."""
    if school_id is None:
        return []
    query = (
        select(User.id, Account.chat_id, Account.messenger)
        .join(Account, delivery_account())
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.role == Role.CURATOR,
            Membership.school_id == school_id,
            Membership.revoked_at.is_(None),
            *reachable(),
        )
        .distinct()
        .order_by(User.id)
    )
    return [Recipient(r[0], r[1], r[2]) for r in await session.execute(query)]


async def coordinator_recipients(
    session: AsyncSession, plan_id: int, direction_id: int | None
) -> list[Recipient]:
    """Recipients: the reachable coordinators of a plan's direction (or plan)."""
    query = (
        select(User.id, Account.chat_id, Account.messenger)
        .join(Account, delivery_account())
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.role == Role.COORDINATOR,
            Membership.revoked_at.is_(None),
            or_(Membership.plan_id.is_(None), Membership.plan_id == plan_id),
            or_(Membership.direction_id.is_(None), Membership.direction_id == direction_id),
            *reachable(),
        )
        .distinct()
        .order_by(User.id)
    )
    return [Recipient(r[0], r[1], r[2]) for r in await session.execute(query)]


async def manager_chats(session: AsyncSession) -> list[int]:
    """Telegram chats of the reachable admins and coordinators (their menus get the dashboard)."""
    query = (
        select(Account.chat_id)
        .join(User, User.id == Account.user_id)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.role.in_((Role.ADMIN, Role.COORDINATOR)),
            Membership.revoked_at.is_(None),
            Account.messenger == TELEGRAM,
            *reachable(),
        )
        .distinct()
        .order_by(Account.chat_id)
    )
    return list(await session.scalars(query))


async def own_zone(session: AsyncSession, user_id: int) -> str | None:
    """The person's own time zone, else their school's; None when neither is known."""
    user = await session.get(User, user_id)
    if user is not None and user.timezone:
        return user.timezone
    return await session.scalar(
        select(School.timezone)
        .join(Membership, Membership.school_id == School.id)
        .where(
            Membership.user_id == user_id,
            Membership.revoked_at.is_(None),
            School.timezone.is_not(None),
        )
        .order_by(Membership.id)
        .limit(1)
    )


async def curator_names(session: AsyncSession, school_ids: set[int]) -> dict[int, list[str]]:
    """The active curators' names of each school (for messages that must name a person)."""
    names: dict[int, list[str]] = {}
    if not school_ids:
        return names
    rows = await session.execute(
        select(Membership.school_id, User.full_name)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.school_id.in_(school_ids),
            Membership.role == Role.CURATOR,
            Membership.revoked_at.is_(None),
            User.is_active.is_(True),
            User.forgotten_at.is_(None),
        )
        .order_by(Membership.id)
    )
    for school_id, name in rows:
        if school_id is not None and name:
            names.setdefault(school_id, []).append(name)
    return names
