"""Append-only audit log writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from db.models import Activity, Assignment, AuditEntry, Seminar, User


def record(
    session: AsyncSession,
    clock: Clock,
    *,
    actor_user_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the current transaction and return it."""
    entry = AuditEntry(
        at=clock.now(),
        actor_user_id=actor_user_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditLine:
    """One audit entry with who did it, for /history and the CLI."""

    at: datetime
    actor_name: str | None
    actor_user_id: int | None
    action: str
    entity_type: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _lines(rows: Any) -> list[AuditLine]:
    return [
        AuditLine(
            e.at, name, e.actor_user_id, e.action, e.entity_type, e.entity_id, e.before, e.after
        )
        for e, name in rows
    ]


def _with_actor() -> Select[AuditEntry, str | None]:
    return select(AuditEntry, User.full_name).outerjoin(User, User.id == AuditEntry.actor_user_id)


async def item_history(session: AsyncSession, assignment_id: int) -> list[AuditLine]:
    """Who did what with one school's item, oldest first (its activity's changes included)."""
    activity_id = select(Assignment.activity_id).where(Assignment.id == assignment_id)
    rows = await session.execute(
        _with_actor()
        .where(
            or_(
                and_(AuditEntry.entity_type == "assignment", AuditEntry.entity_id == assignment_id),
                and_(
                    AuditEntry.entity_type == "activity",
                    AuditEntry.entity_id.in_(activity_id.scalar_subquery()),
                ),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return _lines(rows)


def _of_plan(plan_id: int) -> ColumnElement[bool]:
    activities = select(Activity.id).where(Activity.plan_id == plan_id)
    assignments = select(Assignment.id).where(Assignment.activity_id.in_(activities))
    seminars = select(Seminar.id).where(Seminar.plan_id == plan_id)
    return or_(
        and_(AuditEntry.entity_type == "plan", AuditEntry.entity_id == plan_id),
        and_(AuditEntry.entity_type == "activity", AuditEntry.entity_id.in_(activities)),
        and_(AuditEntry.entity_type == "assignment", AuditEntry.entity_id.in_(assignments)),
        and_(AuditEntry.entity_type == "seminar", AuditEntry.entity_id.in_(seminars)),
    )


async def search(
    session: AsyncSession,
    *,
    plan_id: int | None = None,
    actor_user_id: int | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditLine]:
    """The log filtered by plan, by the acting person and by time; oldest first."""
    query = _with_actor()
    if plan_id is not None:
        query = query.where(_of_plan(plan_id))
    if actor_user_id is not None:
        query = query.where(AuditEntry.actor_user_id == actor_user_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    query = query.order_by(AuditEntry.at, AuditEntry.id)
    if limit is not None:
        query = query.limit(limit)
    return _lines(await session.execute(query))
