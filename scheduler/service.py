"""One reminder tick: refresh the outbox from the database, then deliver what is due."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from core.reminders import refresh_outbox
from core.updates import prune_handled
from scheduler.sender import OutboxSender

log = logging.getLogger(__name__)

# Telegram keeps an undelivered update for 24 hours; a redelivery can come no later.
HANDLED_UPDATES_KEPT = timedelta(days=2)


class ReminderService:
    """Ticks are serialised; planning runs at most every `plan_every`, delivery on every tick."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: OutboxSender,
        clock: Clock,
        default_zone: str,
        plan_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.clock = clock
        self.default_zone = default_zone
        self.plan_every = plan_every
        self._next_plan: datetime | None = None
        self._lock = asyncio.Lock()

    async def plan(self) -> dict[str, int]:
        """Write the reminders of the coming hours to the outbox (one transaction)."""
        async with self.session_factory() as session, session.begin():
            counts = await refresh_outbox(session, self.clock, self.default_zone)
            counts["forgotten_updates"] = await prune_handled(
                session, self.clock.now() - HANDLED_UPDATES_KEPT
            )
        self._next_plan = self.clock.now() + self.plan_every
        return counts

    async def tick(self, *, force_plan: bool = False) -> int:
        """Plan when due (or forced), then send; returns the number of messages sent."""
        async with self._lock:
            now = self.clock.now()
            if (
                force_plan
                or self._next_plan is None
                or now >= self._next_plan
                or now < self._next_plan - self.plan_every
            ):
                counts = await self.plan()
                if any(counts.values()):
                    log.info("outbox refreshed: %s", counts)
            return await self.sender.drain()

    def request_plan(self) -> None:
        """Plan again at the next tick (a setting changed), before anything is sent."""
        self._next_plan = None

    async def deliver(self) -> int:
        """Send what is due now, without planning (after a user action queued news)."""
        async with self._lock:
            return await self.sender.drain()
