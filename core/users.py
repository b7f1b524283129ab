"""People: registration from messenger profiles and the acting user's roles."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.absences import deputy_memberships
from core.clock import Clock
from core.dto import MembershipInfo, Profile, UserContext
from db.models import Absence, Account, Direction, Membership, Plan, School, User


async def upsert_user(session: AsyncSession, clock: Clock, profile: Profile) -> User:
    """Find the person by their messenger account or create them (reminders go to the
    messenger they came from); refresh the name fields and the account's chat."""
    account = await session.scalar(
        select(Account).where(
            Account.messenger == profile.messenger, Account.external_id == profile.external_id
        )
    )
    if account is None:
        user = User(
            messenger=profile.messenger, created_at=clock.now(), settings={}, is_active=True
        )
        session.add(user)
        await session.flush()
        account = Account(
            user_id=user.id,
            messenger=profile.messenger,
            external_id=profile.external_id,
            chat_id=profile.chat_id,
            created_at=clock.now(),
        )
        session.add(account)
    else:
        found = await session.get(User, account.user_id)
        assert found is not None  # the foreign key cascades
        user = found
        account.chat_id = profile.chat_id
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


def _with_names(query: Any) -> Any:
    """Join the names of a membership's school, plan and direction."""
    return (
        query.outerjoin(School, School.id == Membership.school_id)
        .outerjoin(Plan, Plan.id == Membership.plan_id)
        .outerjoin(Direction, Direction.id == Membership.direction_id)
    )


def _info(
    m: Membership, school: str | None, plan: str | None, direction: str | None
) -> MembershipInfo:
    return MembershipInfo(
        role=m.role,
        school_id=m.school_id,
        school_name=school,
        plan_id=m.plan_id,
        plan_title=plan,
        direction_id=m.direction_id,
        direction_title=direction,
    )


async def load_memberships(session: AsyncSession, user_id: int) -> tuple[MembershipInfo, ...]:
    """Every active role of a user with the names of school, plan and direction (one query)."""
    rows = await session.execute(
        _with_names(select(Membership, School.name, Plan.title, Direction.title))
        .where(Membership.user_id == user_id, Membership.revoked_at.is_(None))
        .order_by(Membership.id)
    )
    return tuple(_info(m, school, plan, direction) for m, school, plan, direction in rows)


# Built once: this runs for every update, and building the statement cost more than running it.
_STANDS_IN = (
    exists()
    .where(
        Absence.deputy_id == User.id,
        Absence.starts_on <= bindparam("today"),
        Absence.ends_on >= bindparam("today"),
    )
    .correlate(User)
)
_CONTEXT_ALL = _with_names(
    select(User, _STANDS_IN, Membership, School.name, Plan.title, Direction.title)
    .select_from(User)
    .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.revoked_at.is_(None)))
).order_by(Membership.id)
_CONTEXT = _CONTEXT_ALL.where(
    User.id
    == select(Account.user_id)
    .where(
        Account.messenger == bindparam("messenger"),
        Account.external_id == bindparam("external_id"),
    )
    .scalar_subquery()
)
_CONTEXT_BY_ID = _CONTEXT_ALL.where(User.id == bindparam("user_id"))


async def load_context(
    session: AsyncSession, messenger: str, external_id: int, today: date | None = None
) -> UserContext | None:
    """The acting person's context from the account they write from, or None for an account
    the bot has never seen. With `today`, the roles held that day as someone's deputy are
    included.

    One query for the person, their roles and whether they stand in for anyone today: it
    runs for every update."""
    params = {"messenger": messenger, "external_id": external_id, "today": today or date.min}
    return await _load(session, _CONTEXT, params, today, messenger)


async def load_context_by_id(
    session: AsyncSession, user_id: int, today: date | None = None
) -> UserContext | None:
    """The same context for a person known by their internal id (web sessions, file links)."""
    return await _load(
        session, _CONTEXT_BY_ID, {"user_id": user_id, "today": today or date.min}, today
    )


async def _load(
    session: AsyncSession,
    query: Any,
    params: dict[str, Any],
    today: date | None,
    messenger: str | None = None,
) -> UserContext | None:
    rows = (await session.execute(query, params)).all()
    if not rows:
        return None
    user, deputy = rows[0][0], bool(rows[0][1])
    memberships: tuple[MembershipInfo, ...] = ()
    if user.is_active:
        memberships = tuple(
            _info(row[2], row[3], row[4], row[5]) for row in rows if row[2] is not None
        )
        if deputy and today is not None:
            memberships += await deputy_memberships(session, user.id, today)
    return _context(user, memberships, messenger)


def _context(
    user: User, memberships: tuple[MembershipInfo, ...], messenger: str | None = None
) -> UserContext:
    return UserContext(
        user_id=user.id,
        full_name=user.full_name,
        is_active=user.is_active,
        memberships=memberships,
        messenger=messenger or user.messenger,
    )


async def context_for(session: AsyncSession, user: User, today: date | None = None) -> UserContext:
    """Build a UserContext for a loaded user row."""
    memberships = await load_memberships(session, user.id) if user.is_active else ()
    if user.is_active and today is not None:
        memberships += await deputy_memberships(session, user.id, today)
    return _context(user, memberships)
