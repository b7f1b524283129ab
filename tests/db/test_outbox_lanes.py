"""The outbox sends each messenger in its own lane: while MAX's pace makes a send wait,
Telegram's rows still go (one loop for both held them, and Telegram ran at half its limit)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.pacing import PaceLimits, RequestPacer
from bot.reminder_render import Rendered
from core.clock import ManualClock
from core.states import OutboxStatus
from db.models import OutboxMessage
from messengers import MAX, TELEGRAM
from scheduler.sender import OutboxSender


class FrozenTime:
    """The pacers' clock: still until the test moves it; a pacer's sleep lasts until then."""

    def __init__(self) -> None:
        self.now = 0.0
        self.moved = asyncio.Event()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        while self.now < until:
            await self.moved.wait()

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.moved.set()  # wakes the sleepers; the next move is a new event
        self.moved = asyncio.Event()


class Session:
    """What the sender reads of a bot's session: its messenger and timeout."""

    def __init__(self, messenger: str) -> None:
        self.messenger, self.timeout = messenger, 1.0


class PacedBot:
    """A messenger's bot whose sends wait for its pacer, as the real ones do."""

    def __init__(self, messenger: str, pacer: RequestPacer) -> None:
        self.session = Session(messenger)
        self.pacer = pacer
        self.sent: list[int] = []
        self.grew = asyncio.Event()

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        await self.pacer.wait(chat_id)
        self.sent.append(chat_id)
        self.grew.set()
        return SimpleNamespace(message_id=len(self.sent))

    async def until(self, count: int) -> None:
        """Until `count` messages went out (a test failure after five seconds)."""
        async with asyncio.timeout(5):
            while len(self.sent) < count:
                self.grew.clear()
                await self.grew.wait()


async def _render(
    session: AsyncSession, rows: list[OutboxMessage], now: datetime, zone: ZoneInfo
) -> Rendered:
    return Rendered(f"row {rows[0].id}")


async def test_a_send_waiting_for_max_pace_does_not_hold_telegram_rows(
    session_factory: async_sessionmaker[AsyncSession], clock: ManualClock
) -> None:
    time = FrozenTime()
    # MAX: one request a second, no burst beyond it; Telegram's budget has room for all.
    slow = PaceLimits(global_per_second=1.0, global_burst=1, margin=1.0)
    pacers = {
        MAX: RequestPacer(slow, bot="max", monotonic=time, sleep=time.sleep),
        TELEGRAM: RequestPacer(bot="telegram", monotonic=time, sleep=time.sleep),
    }
    bots: dict[str, Any] = {name: PacedBot(name, pacer) for name, pacer in pacers.items()}
    chats = {MAX: [1, 2, 3], TELEGRAM: [11, 12, 13]}
    async with session_factory() as session, session.begin():
        # MAX's rows first: the order one loop for both sent them in.
        for name in (MAX, TELEGRAM):
            for chat in chats[name]:
                session.add(
                    OutboxMessage(
                        dedupe_key=f"lane:{name}:{chat}",
                        kind="blocked_notice",
                        target_type="user",
                        messenger=name,
                        chat_id=chat,
                        scheduled_at=clock.now(),
                        payload={"tz": "UTC"},
                        created_at=clock.now(),
                    )
                )
    sender = OutboxSender(session_factory, bots[TELEGRAM], clock, _render, worker="w", more=bots)
    drain = asyncio.create_task(sender.drain())
    # MAX's second send waits for a second that does not pass; Telegram's rows go meanwhile.
    await bots[TELEGRAM].until(3)
    await bots[MAX].until(1)
    assert bots[MAX].sent == [1]
    assert not drain.done()
    for _ in range(2):
        time.advance(1.0)
        await bots[MAX].until(1 + int(time.now))
    assert await asyncio.wait_for(drain, 5) == 6
    assert {n: sorted(b.sent) for n, b in bots.items()} == chats  # each once
    async with session_factory() as session:
        statuses = await session.scalars(select(OutboxMessage.status))
        assert set(statuses) == {OutboxStatus.SENT}
