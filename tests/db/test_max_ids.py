"""MAX's string ids as numbers kept in the database: the same after a restart and in every
process, increasing for updates, markers kept; on SQLite never waiting for an open write."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import ManualClock
from db.models import School
from messengers.max.ids import DatabaseIds

CLOCK = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


async def test_numbers_and_markers_survive_a_restart(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    first = DatabaseIds(session_factory, CLOCK)
    a = await first.number(7, "mid.aaaa")
    b = await first.number(7, "mid.bbbb")
    assert await first.number(7, "mid.aaaa") == a and b > a  # stable, and increasing
    other_chat = await first.number(8, "mid.aaaa")
    assert other_chat not in (a, b)
    await first.keep_marker(b, 555)
    await first.flush()
    restarted = DatabaseIds(session_factory, CLOCK)  # a new process: nothing in memory
    assert await restarted.number(7, "mid.bbbb") == b
    assert await restarted.mid(7, a) == "mid.aaaa"
    assert await restarted.mid(8, a) is None  # a number belongs to its chat
    assert await restarted.number(7, "mid.cccc") > max(a, b, other_chat)
    assert await restarted.marker(b) == 555
    await restarted.keep_marker(b, 777)
    assert await restarted.marker(b) == 777


async def test_a_number_is_made_while_a_conversation_holds_its_transaction(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ids = DatabaseIds(session_factory, CLOCK)
    async with session_factory() as session, session.begin():
        session.add(School(name="Школа", created_at=CLOCK.now()))
        await session.flush()  # a write is pending, as in a handler that sends a message
        number = await ids.number(3, "mid.sent-in-a-handler")
    await ids.flush()
    assert await DatabaseIds(session_factory, CLOCK).mid(3, number) == "mid.sent-in-a-handler"
