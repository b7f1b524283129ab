"""Exactly-once effects for Telegram updates: a redelivered update is recognised and skipped.

Telegram (or a proxy) posts an update again when the process handling it died or answered
late; the marker is written in the update's own transaction, so effects and marker commit
together or not at all. Polling keeps each received update in an inbox until it finished.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HandledUpdate, InboxUpdate

# Statements built once: they run for every update.
_HANDLED = select(HandledUpdate.update_id).where(HandledUpdate.update_id == bindparam("id"))
_MARK = {
    name: dialect.insert(HandledUpdate)
    .values(update_id=bindparam("id"), handled_at=bindparam("at"))
    .on_conflict_do_nothing(index_elements=[HandledUpdate.update_id])
    .returning(HandledUpdate.update_id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_DROP_RAW = delete(InboxUpdate).where(InboxUpdate.update_id == bindparam("id"))


async def already_handled(session: AsyncSession, update_id: int) -> bool:
    """True if the effects of this update are already committed."""
    return await session.scalar(_HANDLED, {"id": update_id}) is not None


async def mark_handled(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record the update in the current transaction; False if another process got there first.

    The caller must roll back on False: the other process's effects are the ones that count.
    """
    await session.flush()  # the handler's own errors surface here, not as a duplicate
    # One statement: the row is ours, or another process's committed first (PostgreSQL waits
    # for a concurrent one to commit or roll back before deciding).
    dialect = session.get_bind().dialect.name
    ours = await session.scalar(
        _MARK["postgresql" if dialect == "postgresql" else "sqlite"], {"id": update_id, "at": now}
    )
    if ours is None:
        return False
    # Its raw copy (names, texts) goes with the same commit: the inbox holds only what is
    # still in flight, and a person who asked to be forgotten leaves nothing there.
    await session.execute(_DROP_RAW, {"id": update_id})
    return True


async def prune_handled(session: AsyncSession, before: datetime) -> int:
    """Forget markers older than `before` (Telegram keeps undelivered updates for 24 hours)."""
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def keep_received(
    session: AsyncSession, updates: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Store a getUpdates batch in the inbox; the updates neither stored nor handled before,
    in order (so each of them needs no check of its own)."""
    ids = [int(u["update_id"]) for u in updates]
    known = set(
        await session.scalars(select(InboxUpdate.update_id).where(InboxUpdate.update_id.in_(ids)))
    )
    # Handled by a process that stopped before Telegram heard of it: not handled again.
    known |= set(
        await session.scalars(
            select(HandledUpdate.update_id).where(HandledUpdate.update_id.in_(ids))
        )
    )
    fresh = [u for u in updates if int(u["update_id"]) not in known]
    if fresh:
        await session.execute(
            insert(InboxUpdate),
            [{"update_id": int(u["update_id"]), "payload": u, "received_at": now} for u in fresh],
        )
    return sorted(fresh, key=lambda u: int(u["update_id"]))


async def unfinished(
    session: AsyncSession, ids: tuple[int, int] = (0, 1 << 62)
) -> list[dict[str, Any]]:
    """Inbox updates without a handled marker, with ids in `ids` (one messenger's range, see
    messengers.UPDATE_IDS): left by a process that stopped, oldest first."""
    rows = await session.scalars(
        select(InboxUpdate.payload)
        .where(
            ~exists().where(HandledUpdate.update_id == InboxUpdate.update_id),
            InboxUpdate.update_id >= ids[0],
            InboxUpdate.update_id < ids[1],
        )
        .order_by(InboxUpdate.update_id)
    )
    return list(rows)


async def prune_inbox(session: AsyncSession, below: int, since: int = 0) -> None:
    """Forget inbox updates from `since` to below `below` (one messenger's range): every one
    of them has finished here."""
    await session.execute(
        delete(InboxUpdate).where(InboxUpdate.update_id < below, InboxUpdate.update_id >= since)
    )
