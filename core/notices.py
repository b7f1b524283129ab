"""Notices to people other than the one who acted, queued in the same transaction as the act.

Review requests, review results and help questions and answers become outbox rows (one per
recipient, unique `dedupe_key`), so they are durable, paced and retried by the sender like
reminders; an unreachable recipient costs only their own row. Rows carry ids, never the
people's words: the text is read from the database when the message is built.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.outbox import insert_outbox
from core.people import Recipient
from core.states import OutboxStatus
from db.models import OutboxMessage

# Kinds the sender delivers one row per message, built from the database at send time.
REVIEW_REQUEST = "review_request"
REVIEW_RESULT = "review_result"
REVIEW_WITHDRAWN = "review_withdrawn"  # edits a delivered request: the curator took it back
HELP_QUESTION = "help_question"
HELP_ANSWER = "help_answer"
OVERDUE_NUDGE = "overdue_nudge"  # 🔔 from /overdue: a coordinator reminds a school's curators
DEPUTY_CHOSEN = "deputy_chosen"  # to a deputy: whom they stand in for, until when
AWAY_UNCOVERED = "away_uncovered"  # to coordinators: a school has nobody reachable
DEADLINE_REQUEST = "deadline_request"  # to coordinators: a curator asks for more time
DEADLINE_RESULT = "deadline_result"  # to curators: the request approved or declined
DEADLINE_MOVED = "deadline_moved"  # to curators: a coordinator moved a due date
MEMBER_JOINED = "member_joined"  # to coordinators and the inviter: someone joined by invitation
MEMBER_LEFT = "member_left"  # to coordinators: a curator or coordinator left with /forget
NOTICE_KINDS = frozenset(
    {
        REVIEW_REQUEST,
        REVIEW_RESULT,
        REVIEW_WITHDRAWN,
        HELP_QUESTION,
        HELP_ANSWER,
        OVERDUE_NUDGE,
        DEPUTY_CHOSEN,
        AWAY_UNCOVERED,
        DEADLINE_REQUEST,
        DEADLINE_RESULT,
        DEADLINE_MOVED,
        MEMBER_JOINED,
        MEMBER_LEFT,
    }
)


async def queue_notice(
    session: AsyncSession,
    clock: Clock,
    kind: str,
    target_type: str,
    target_id: int,
    recipients: list[Recipient],
    *,
    event: str,
    skip_user_id: int | None = None,
    payload: dict[str, object] | None = None,
    at: datetime | None = None,
) -> None:
    """One outbox row per recipient (not the actor), due now or `at`; `event` makes the key
    unique per act."""
    now = clock.now()
    rows = [
        OutboxMessage(
            dedupe_key=f"{kind}:{target_type}:{target_id}:{event}:{person.user_id}",
            kind=kind,
            target_type=target_type,
            target_id=target_id,
            recipient_user_id=person.user_id,
            messenger=person.messenger,
            chat_id=person.chat_id,
            scheduled_at=at or now,
            not_after=None,
            payload=dict(payload or {}),
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=now,
        )
        for person in recipients
        if person.user_id != skip_user_id
    ]
    await insert_outbox(session, rows)


async def delivered(
    session: AsyncSession, kind: str, target_type: str, target_id: int
) -> list[tuple[Recipient, int]]:
    """Who got a notice about this object, and the id of the message they got."""
    rows = await session.execute(
        select(
            OutboxMessage.recipient_user_id,
            OutboxMessage.chat_id,
            OutboxMessage.messenger,
            OutboxMessage.telegram_message_id,
        ).where(
            OutboxMessage.kind == kind,
            OutboxMessage.target_type == target_type,
            OutboxMessage.target_id == target_id,
            OutboxMessage.telegram_message_id.is_not(None),
            OutboxMessage.recipient_user_id.is_not(None),
        )
    )
    return [
        (Recipient(user_id, chat_id, messenger), message_id)
        for user_id, chat_id, messenger, message_id in rows
        if user_id is not None and message_id is not None
    ]
