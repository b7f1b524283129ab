"""Coordinators learn who joined by an invitation and who left with /forget.

Both notices are outbox rows queued in the act's own transaction; the row carries ids only, so
a person who joins and at once asks to be forgotten is never named in a later message. Joinings
are due at the end of their quarter hour: a school's or a region's onboarding reaches a
coordinator as one list per quarter hour, not a message per person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.notices import MEMBER_JOINED, MEMBER_LEFT, queue_notice
from core.people import Recipient, coordinator_recipients, coordinators_of_schools, recipient
from core.roles import Role
from db.models import Invitation, Membership, Plan, School, User

JOIN_WINDOW = timedelta(minutes=15)


def window_end(moment: datetime) -> datetime:
    """The end of the quarter hour `moment` falls in (a moment on the boundary starts the next)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    passed = (moment - epoch) // JOIN_WINDOW
    return epoch + (passed + 1) * JOIN_WINDOW


@dataclass(frozen=True)
class Joined:
    """Who joined, in which role and where, as a coordinator reads it."""

    name: str | None
    role: Role
    school: str | None
    plan: str | None


@dataclass(frozen=True)
class Left:
    """A school's curator (or a plan's coordinator) left; how many curators the school keeps."""

    role: Role
    school: str | None
    plan: str | None
    curators_left: int


async def _watchers(session: AsyncSession, membership: Membership) -> list[Recipient]:
    """Who oversees this membership: a school's coordinators, or the plan's other coordinators."""
    if membership.school_id is not None:
        return await coordinators_of_schools(session, {membership.school_id})
    if membership.plan_id is not None:
        return await coordinator_recipients(session, membership.plan_id, None)
    return []


async def tell_joined(
    session: AsyncSession, clock: Clock, membership: Membership, invitation: Invitation
) -> None:
    """A new role taken by an invitation: its school's coordinators and the inviter are told."""
    people = await _watchers(session, membership)
    if invitation.created_by_id is not None:
        inviter = await recipient(session, invitation.created_by_id)
        if inviter is not None and inviter not in people:
            people.append(inviter)
    await queue_notice(
        session, clock, MEMBER_JOINED, "membership", membership.id, people,
        event="joined", skip_user_id=membership.user_id, at=window_end(clock.now()),
    )  # fmt: skip


async def tell_left(session: AsyncSession, clock: Clock, memberships: list[Membership]) -> None:
    """After /forget: each school (or plan) the person served hears that its member left."""
    for membership in memberships:
        if membership.role not in (Role.CURATOR, Role.COORDINATOR):
            continue
        await queue_notice(
            session, clock, MEMBER_LEFT, "membership", membership.id,
            await _watchers(session, membership), event="left",
            skip_user_id=membership.user_id,
        )  # fmt: skip


async def _places(session: AsyncSession, membership: Membership) -> tuple[str | None, str | None]:
    school = await session.get(School, membership.school_id) if membership.school_id else None
    plan = await session.get(Plan, membership.plan_id) if membership.plan_id else None
    return (school.name if school else None), (plan.title if plan else None)


async def joined(session: AsyncSession, membership_ids: list[int]) -> list[Joined]:
    """The joinings as they stand now, in order; a role taken back or a person forgotten since
    is left out, and LookupError when none is left."""
    found = []
    for membership_id in membership_ids:
        membership = await session.get(Membership, membership_id)
        if membership is None or membership.revoked_at is not None:
            continue
        user = await session.get(User, membership.user_id)
        if user is None or user.forgotten_at is not None:
            continue
        school, plan = await _places(session, membership)
        found.append(Joined(user.full_name, membership.role, school, plan))
    if not found:
        raise LookupError(f"memberships {membership_ids} are gone")
    return found


async def left(session: AsyncSession, membership_id: int) -> Left:
    """The leaving, without the person's name (they asked to be forgotten)."""
    membership = await session.get(Membership, membership_id)
    if membership is None:
        raise LookupError(f"membership {membership_id} is gone")
    school, plan = await _places(session, membership)
    remaining = 0
    if membership.school_id is not None:
        remaining = int(
            await session.scalar(
                select(func.count(func.distinct(Membership.user_id))).where(
                    Membership.school_id == membership.school_id,
                    Membership.role == Role.CURATOR,
                    Membership.revoked_at.is_(None),
                )
            )
            or 0
        )
    return Left(membership.role, school, plan, remaining)
