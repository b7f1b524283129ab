"""People: registration from Telegram profiles and the acting user's roles."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.absences import deputy_memberships
from core.clock import Clock
from core.dto import MembershipInfo, TelegramProfile, UserContext
from db.models import Direction, Membership, Plan, School, User


async def upsert_user(session: AsyncSession, clock: Clock, profile: TelegramProfile) -> User:
    """Find the user by Telegram id or create them; refresh the name fields."""
    user = await session.scalar(select(User).where(User.telegram_id == profile.telegram_id))
    if user is None:
        user = User(
            telegram_id=profile.telegram_id,
            created_at=clock.now(),
            settings={},
            is_active=True,
        )
        session.add(user)
    if user.forgotten_at is None:
        user.username = profile.username
        user.full_name = profile.full_name
        user.language_code = profile.language_code
    await session.flush()
    return user


async def mark_started(session: AsyncSession, clock: Clock, user: User) -> None:
    """Record that the person pressed Start, so the bot may write to them."""
    if user.started_at is None or user.blocked_at is not None:
        user.started_at = clock.now()
        user.blocked_at = None
    await session.flush()


async def load_memberships(session: AsyncSession, user_id: int) -> tuple[MembershipInfo, ...]:
    """Every active role of a user with the names of school, plan and direction (one query)."""
    rows = await session.execute(
        select(Membership, School.name, Plan.title, Direction.title)
        .outerjoin(School, School.id == Membership.school_id)
        .outerjoin(Plan, Plan.id == Membership.plan_id)
        .outerjoin(Direction, Direction.id == Membership.direction_id)
        .where(Membership.user_id == user_id, Membership.revoked_at.is_(None))
        .order_by(Membership.id)
    )
    return tuple(
        MembershipInfo(
            role=m.role,
            school_id=m.school_id,
            school_name=school_name,
            plan_id=m.plan_id,
            plan_title=plan_title,
            direction_id=m.direction_id,
            direction_title=direction_title,
        )
        for m, school_name, plan_title, direction_title in rows
    )


async def load_context(
    session: AsyncSession, telegram_id: int, today: date | None = None
) -> UserContext | None:
    """The acting user's context, or None for someone the bot has never seen. With `today`,
    the roles held that day as someone's deputy are included."""
    user = await session.scalar(select(User).where(User.telegram_id == telegram_id))
    if user is None:
        return None
    return await context_for(session, user, today)


async def context_for(session: AsyncSession, user: User, today: date | None = None) -> UserContext:
    """Build a UserContext for a loaded user row."""
    memberships = await load_memberships(session, user.id) if user.is_active else ()
    if user.is_active and today is not None:
        memberships += await deputy_memberships(session, user.id, today)
    return UserContext(
        user_id=user.id,
        telegram_id=user.telegram_id,
        full_name=user.full_name,
        is_active=user.is_active,
        memberships=memberships,
    )
