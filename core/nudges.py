"""🔔 Напомнить from /overdue: a coordinator reminds one school's curators of its overdue items.

At most once a school a day (whoever asks), only about items in the coordinator's own scope,
audited; the reminder itself is an outbox notice built from the database when it is sent.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.dto import UserContext
from core.errors import DomainError
from core.notices import OVERDUE_NUDGE, queue_notice
from core.people import curator_recipients
from core.reminder_policy import resolve_zone
from core.status import school_overdue, scope_of
from db.models import OutboxMessage


class NudgeRefused(DomainError):
    """Nothing sent: `code` is nothing (no overdue items in scope), today or nobody."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


async def nudge_school(
    session: AsyncSession, clock: Clock, user: UserContext, school_id: int, default_zone: str
) -> int:
    """Queue the reminder to each curator of the school; returns how many will get it."""
    now = clock.now()
    items = await school_overdue(session, scope_of(user), school_id, now, default_zone)
    if not items:
        raise NudgeRefused("nothing")  # also what a forged or foreign school id gets
    day = f"{now.astimezone(resolve_zone(default_zone)):%Y%m%d}"
    earlier = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.kind == OVERDUE_NUDGE,
            OutboxMessage.dedupe_key.startswith(f"{OVERDUE_NUDGE}:school:{school_id}:{day}:"),
        )
    )
    if earlier:
        raise NudgeRefused("today")
    recipients = await curator_recipients(session, school_id)
    if not recipients:
        raise NudgeRefused("nobody")
    await queue_notice(
        session,
        clock,
        OVERDUE_NUDGE,
        "school",
        school_id,
        recipients,
        event=day,
        payload={"by": user.user_id},
    )
    audit.record(
        session,
        clock,
        actor_user_id=user.user_id,
        action="school.nudge",
        entity_type="school",
        entity_id=school_id,
        after={"overdue": len(items), "curators": len(recipients)},
    )
    return len(recipients)
