"""Writing outbox rows so that a row another process inserted meanwhile is simply dropped."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.states import OutboxStatus
from db.models import OutboxMessage


async def insert_outbox(session: AsyncSession, rows: list[OutboxMessage]) -> None:
    """Insert rows; a row another process inserted meanwhile is simply dropped."""
    if not rows:
        return
    try:
        async with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:
        for row in rows:
            try:
                async with session.begin_nested():
                    session.add(_copy(row))
            except IntegrityError:
                continue


def _copy(row: OutboxMessage) -> OutboxMessage:
    return OutboxMessage(
        **{
            c: getattr(row, c)
            for c in (
                "dedupe_key",
                "kind",
                "target_type",
                "target_id",
                "recipient_user_id",
                "chat_id",
                "scheduled_at",
                "not_after",
                "payload",
                "status",
                "attempts",
                "created_at",
            )
        }
    )


async def cancel_pending_to(session: AsyncSession, user_id: int) -> None:
    """Nothing more goes to this person (switched off, or forgotten)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.recipient_user_id == user_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )
