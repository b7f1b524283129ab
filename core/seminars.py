"""Seminars: RSVP answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.errors import NotFound
from core.states import RsvpAnswer
from db.models import Attendance, Seminar


async def answer_rsvp(
    session: AsyncSession, clock: Clock, *, seminar_id: int, user_id: int, answer: RsvpAnswer
) -> None:
    """Record or change a person's answer to a seminar invitation."""
    if await session.get(Seminar, seminar_id) is None:
        raise NotFound(f"no seminar {seminar_id}")
    row = await session.scalar(
        select(Attendance).where(Attendance.seminar_id == seminar_id, Attendance.user_id == user_id)
    )
    if row is None:
        session.add(
            Attendance(
                seminar_id=seminar_id, user_id=user_id, answer=answer, answered_at=clock.now()
            )
        )
    else:
        row.answer, row.answered_at = answer, clock.now()
    audit.record(
        session,
        clock,
        actor_user_id=user_id,
        action="seminar.rsvp",
        entity_type="seminar",
        entity_id=seminar_id,
        after={"answer": answer.value},
    )
