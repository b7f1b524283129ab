"""MAX's string ids as integers kept in the database, the same in every process and after a
restart: message ids (a conversation edits the message a button was pressed under) and update
ids with their polling markers (the inbox and `handled_updates` recognise an update again).

A conversation asks for a number while its own transaction is open. PostgreSQL takes the
insert from another connection at once. SQLite has one writer, so there (one process by
definition) numbers come from a counter in memory and are written by a task of their own that
may wait for the conversation's commit without holding it up."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import Clock
from db.models import HandledUpdate, InboxUpdate, MaxId, MaxMarker
from messengers import MAX_UPDATE_BASE

log = logging.getLogger(__name__)

KEEP_MARKERS = timedelta(days=2)  # MAX keeps unconfirmed updates for about a day
_CACHE = 50_000
_LOOKUP = 200  # pairs per lookup query (SQLite allows 32,766 variables)


class DatabaseIds:
    """`MessageIds` over the `max_ids` and `max_markers` tables, with a bounded cache."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.session_factory, self.clock = session_factory, clock
        self._numbers: OrderedDict[tuple[int, str], int] = OrderedDict()
        self._mids: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._single_writer: bool | None = None  # SQLite: numbers counted here, written later
        self._next = 0
        self._unwritten: dict[tuple[int, str], int] = {}
        self._writing: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._markers_unwritten: dict[int, int] = {}
        self._markers_task: asyncio.Task[None] | None = None

    async def number(self, chat_id: int, mid: str, *, fresh: bool = False) -> int:
        """The integer for MAX id `mid` in `chat_id`, made once (by whichever process first).
        `fresh`: MAX has just made the id (a message sent), so no number can exist yet."""
        key = (chat_id, mid)
        if key in self._numbers:
            self._numbers.move_to_end(key)
            return self._numbers[key]
        if await self._counted_here():
            async with self._lock:  # one number per id, however many ask at once
                if fresh:
                    return self._new(key)
                return (await self._count([key]))[key]
        async with self.session_factory() as session, session.begin():
            await session.execute(
                postgresql.insert(MaxId).values(chat_id=chat_id, ref=mid).on_conflict_do_nothing()
            )
            number = await session.scalar(
                select(MaxId.id).where(MaxId.chat_id == chat_id, MaxId.ref == mid)
            )
        assert number is not None
        self._remember(chat_id, mid, number)
        return number

    async def numbers(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """Integers for several (chat, MAX id) pairs: on SQLite the unknown ones are looked up
        in one query (a poll's updates and their messages)."""
        if await self._counted_here():
            async with self._lock:
                return await self._count(keys)
        return {key: await self.number(*key) for key in keys}

    async def _count(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        found = {k: n for k in keys if (n := self._numbers.get(k) or self._unwritten.get(k))}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        for start in range(0, len(missing), _LOOKUP):
            part = missing[start : start + _LOOKUP]
            async with self.session_factory() as session:  # a read never waits for a writer
                rows = await session.execute(
                    select(MaxId.chat_id, MaxId.ref, MaxId.id).where(
                        tuple_(MaxId.chat_id, MaxId.ref).in_(part)
                    )
                )
            for chat_id, mid, number in rows:
                found[(chat_id, mid)] = number
                self._remember(chat_id, mid, number)
        for key in missing:
            if key not in found:
                found[key] = self._new(key)
        return found

    def _new(self, key: tuple[int, str]) -> int:
        """A number never given out (SQLite: counted here, written soon)."""
        self._next += 1
        number = self._unwritten[key] = self._next
        self._write_soon()
        self._remember(*key, number)
        return number

    async def _counted_here(self) -> bool:
        if self._single_writer is None:
            async with self._lock:
                if self._single_writer is None:
                    await self._seed()
        return bool(self._single_writer)

    async def _seed(self) -> None:
        """SQLite: count on from every number ever used, written or seen as an update id (a
        number made but not written before a stop is never given out again)."""
        async with self.session_factory() as session:
            single = session.get_bind().dialect.name != "postgresql"
            if single:
                used = [
                    await session.scalar(select(func.max(MaxId.id))),
                    await session.scalar(select(func.max(HandledUpdate.update_id))),
                    await session.scalar(select(func.max(InboxUpdate.update_id))),
                ]
                self._next = max(
                    [0] + [n - MAX_UPDATE_BASE if n >= MAX_UPDATE_BASE else n for n in used if n]
                )
        self._single_writer = single

    def _write_soon(self) -> None:
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write())

    async def _write(self) -> None:
        """Write the numbers made here (SQLite); a failure leaves them for the next try."""
        while self._unwritten:
            batch = dict(self._unwritten)
            rows = [{"id": n, "chat_id": c, "ref": m} for (c, m), n in batch.items()]
            try:
                async with self.session_factory() as session, session.begin():
                    await session.execute(sqlite.insert(MaxId).on_conflict_do_nothing(), rows)
            except Exception as exc:  # the database is busy or gone: kept in memory meanwhile
                log.warning("MAX ids not written yet: %s", type(exc).__name__)
                return
            for key in batch:
                self._unwritten.pop(key, None)

    async def flush(self) -> None:
        """Wait until every number made here is written (tests, shutdown)."""
        if self._writing is not None:
            await self._writing
        if self._unwritten:
            await self._write()
        if self._markers_task is not None:
            await self._markers_task

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
        if after in self._markers_unwritten:
            return self._markers_unwritten[after]
        async with self.session_factory() as session:
            return await session.scalar(select(MaxMarker.marker).where(MaxMarker.after == after))

    async def keep_marker(self, after: int, marker: int) -> None:
        now = self.clock.now()
        if await self._counted_here():  # as numbers: never wait for a conversation's commit
            self._markers_unwritten[after] = marker
            self._write_markers_soon(now)
            return
        async with self.session_factory() as session, session.begin():
            await session.execute(
                postgresql.insert(MaxMarker)
                .values(after=after, marker=marker, kept_at=now)
                .on_conflict_do_update(
                    index_elements=[MaxMarker.after], set_={"marker": marker, "kept_at": now}
                )
            )
            await session.execute(delete(MaxMarker).where(MaxMarker.kept_at < now - KEEP_MARKERS))

    def _write_markers_soon(self, now: datetime) -> None:
        async def write() -> None:
            while self._markers_unwritten:
                batch = dict(self._markers_unwritten)
                try:
                    async with self.session_factory() as session, session.begin():
                        for after, marker in batch.items():
                            await session.execute(
                                sqlite.insert(MaxMarker)
                                .values(after=after, marker=marker, kept_at=now)
                                .on_conflict_do_update(
                                    index_elements=[MaxMarker.after],
                                    set_={"marker": marker, "kept_at": now},
                                )
                            )
                        await session.execute(
                            delete(MaxMarker).where(MaxMarker.kept_at < now - KEEP_MARKERS)
                        )
                except Exception as exc:  # kept in memory meanwhile
                    log.warning("MAX markers not written yet: %s", type(exc).__name__)
                    return
                for after, marker in batch.items():
                    if self._markers_unwritten.get(after) == marker:
                        del self._markers_unwritten[after]

        if self._markers_task is None or self._markers_task.done():
            self._markers_task = asyncio.create_task(write())

    def _remember(self, chat_id: int, mid: str, number: int) -> None:
        self._numbers[(chat_id, mid)] = number
        self._mids[(chat_id, number)] = mid
        for cache in (self._numbers, self._mids):
            while len(cache) > _CACHE:
                cache.popitem(last=False)
