"""Exactly-once effects for Telegram updates: a redelivered update is recognised and skipped.

Telegram (or a proxy) posts an update again when the process handling it died or answered
late; the marker is written in the update's own transaction, so effects and marker commit
together or not at all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HandledUpdate


async def already_handled(session: AsyncSession, update_id: int) -> bool:
    """True if the effects of this update are already committed."""
    found = await session.scalar(
        select(HandledUpdate.update_id).where(HandledUpdate.update_id == update_id)
    )
    return found is not None


async def mark_handled(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record the update in the current transaction; False if another process got there first.

    The caller must roll back on False: the other process's effects are the ones that count.
    """
    await session.flush()  # the handler's own errors surface here, not as a duplicate
    # One statement: the row is ours, or another process's committed first (PostgreSQL waits
    # for a concurrent one to commit or roll back before deciding).
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    ours = await session.scalar(
        insert(HandledUpdate)
        .values(update_id=update_id, handled_at=now)
        .on_conflict_do_nothing(index_elements=[HandledUpdate.update_id])
        .returning(HandledUpdate.update_id)
    )
    return ours is not None


async def prune_handled(session: AsyncSession, before: datetime) -> int:
    """Forget markers older than `before` (Telegram keeps undelivered updates for 24 hours)."""
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
