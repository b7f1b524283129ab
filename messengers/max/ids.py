"""MAX's string ids as integers kept in the database, the same in every process and after a
restart: message ids (a conversation edits the message a button was pressed under) and update
ids with their polling markers (the inbox and `handled_updates` recognise an update again)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from db.models import MaxId, MaxMarker

KEEP_MARKERS = timedelta(days=2)  # MAX keeps unconfirmed updates for about a day
_CACHE = 50_000


class DatabaseIds:
    """`MessageIds` over the `max_ids` and `max_markers` tables, with a bounded cache."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.session_factory, self.clock = session_factory, clock
        self._numbers: OrderedDict[tuple[int, str], int] = OrderedDict()
        self._mids: OrderedDict[tuple[int, int], str] = OrderedDict()

    async def number(self, chat_id: int, mid: str) -> int:
        """The integer for MAX id `mid` in `chat_id`, made once (by whichever process first)."""
        key = (chat_id, mid)
        if key in self._numbers:
            self._numbers.move_to_end(key)
            return self._numbers[key]
        async with self.session_factory() as session, session.begin():
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            await session.execute(
                dialect.insert(MaxId).values(chat_id=chat_id, ref=mid).on_conflict_do_nothing()
            )
            number = await session.scalar(
                select(MaxId.id).where(MaxId.chat_id == chat_id, MaxId.ref == mid)
            )
        assert number is not None
        self._remember(chat_id, mid, number)
        return number

    async def mid(self, chat_id: int, number: int) -> str | None:
        """MAX's id behind our integer, or None for one never made."""
        key = (chat_id, number)
        if key in self._mids:
            return self._mids[key]
        async with self.session_factory() as session:
            found = await session.scalar(
                select(MaxId.ref).where(MaxId.id == number, MaxId.chat_id == chat_id)
            )
        if found is not None:
            self._remember(chat_id, found, number)
        return found

    async def marker(self, after: int) -> int | None:
        """MAX's marker that confirms every update up to our update id `after`."""
        async with self.session_factory() as session:
            return await session.scalar(select(MaxMarker.marker).where(MaxMarker.after == after))

    async def keep_marker(self, after: int, marker: int) -> None:
        now = self.clock.now()
        async with self.session_factory() as session, session.begin():
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            await session.execute(
                dialect.insert(MaxMarker)
                .values(after=after, marker=marker, kept_at=now)
                .on_conflict_do_update(
                    index_elements=[MaxMarker.after], set_={"marker": marker, "kept_at": now}
                )
            )
            await session.execute(delete(MaxMarker).where(MaxMarker.kept_at < now - KEEP_MARKERS))

    def _remember(self, chat_id: int, mid: str, number: int) -> None:
        self._numbers[(chat_id, mid)] = number
        self._mids[(chat_id, number)] = mid
        for cache in (self._numbers, self._mids):
            while len(cache) > _CACHE:
                cache.popitem(last=False)
