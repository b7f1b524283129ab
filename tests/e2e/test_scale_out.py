"""Scale-out: real bot processes in webhook mode behind a round-robin proxy, on one PostgreSQL
and one Redis; updates and reminders go through the emulator; processes are killed mid-burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from core.states import AssignmentStatus, OutboxStatus
from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from db.models import Assignment, OutboxMessage, Submission
from emulator import BotMessage, Emulator, EmulatorClient, EmulatorServer, FakeUser, RateLimits
from tests.cluster import (
    REMINDER_HEAD,
    TOKEN,
    Cluster,
    PrivatePostgres,
    afternoon_zone,
    cluster,
    missing_servers,
    populate_curators,
)

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(missing_servers() is not None, reason=missing_servers() or ""),
]

# The only messages a curator of these worlds may get: the reminder and the done flow's steps.
DONE_FLOW = (
    "⏰ Напоминание о сроке",
    "Отмечаем выполнение",
    "📎 Добавлено к",
    "✅ Отправлено на проверку",
)
MAX_IN_FLIGHT = 40  # setWebhook's max_connections: updates one process can have in flight
SENDS_AT_ONCE = 8  # SEND_CONCURRENCY: chats one process's sender writes to at once


class Stage:
    """The emulator, a migrated database on private PostgreSQL and Redis, curators to remind."""

    def __init__(
        self,
        emu: Emulator,
        server: EmulatorServer,
        client: EmulatorClient,
        running: Cluster,
        postgres: PrivatePostgres,
        session_factory: async_sessionmaker[AsyncSession],
    ) -> None:
        self.emu, self.server, self.client = emu, server, client
        self.cluster, self.postgres, self.session_factory = running, postgres, session_factory

    async def curators(self, count: int, first_id: int = 700_000_000) -> list[int]:
        now = self.cluster.clock.now()  # the test's moment, as the bot processes see it
        zone, today = afternoon_zone(now)
        # Three days before the due date: that reminder (09:00 local) is due now, as missed.
        await populate_curators(
            self.session_factory,
            self.emu,
            count=count,
            first_id=first_id,
            due=today + timedelta(days=3),
            timezone=zone,
            now=now,
            expected_result=None,
        )
        return list(range(first_id, first_id + count))

    def person(self, telegram_id: int) -> FakeUser:
        return FakeUser(self.client, {"id": telegram_id, "first_name": "Куратор"}, timeout=45)

    def reminders_in(self, chat_id: int) -> int:
        chat = self.emu.chats.get(chat_id)
        if chat is None:
            return 0
        return sum(
            1
            for event in chat.log
            if event["kind"] == "new" and REMINDER_HEAD in event["message"].get("text", "")
        )

    def received(self, chat_id: int) -> list[str]:
        """The text of every message the bot sent to this chat, in order."""
        chat = self.emu.chats.get(chat_id)
        if chat is None:
            return []
        return [e["message"].get("text", "") for e in chat.log if e["kind"] == "new"]

    def unexpected(self, ids: list[int], allowed: tuple[str, ...]) -> dict[int, list[str]]:
        """Messages to these chats that start with none of `allowed` (nothing else is due)."""
        found = {i: [t[:60] for t in self.received(i) if not t.startswith(allowed)] for i in ids}
        return {i: extra for i, extra in found.items() if extra}

    async def until(self, done: Callable[[], bool], what: str, limit: float = 120) -> None:
        """Wait on the emulator's change signal until `done()` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not done():
            assert loop.time() < deadline, what
            async with self.emu.changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.emu.changed.wait(), 0.5)

    async def reminded(self, ids: list[int], at_least: int | None = None) -> None:
        """Wait until `at_least` (default: all) of these curators have their reminder."""
        want = len(ids) if at_least is None else at_least
        await self.until(
            lambda: sum(self.reminders_in(i) > 0 for i in ids) >= want,
            f"fewer than {want} reminders arrived",
        )

    async def settled(self, limit: float = 30) -> None:
        """Wait until the bot's servers accepted every update posted so far."""
        account = self.emu.bots[TOKEN]
        await self.until(lambda: not account.updates, "updates are still pending", limit)

    async def mark_done(self, telegram_id: int) -> None:
        """One user action: ✅ Выполнено under the reminder, a comment, ✅ Отправить.

        Like a person, it waits for the answer it needs and ignores a repeated one.
        """
        person = self.person(telegram_id)
        reminder = await _reply(person, REMINDER_HEAD)
        await person.press(texts.BTN_DONE, reminder)
        await _reply(person, "Отмечаем выполнение")
        await person.send("Приказ издан")
        collected = await _reply(person, "📎 Добавлено к")
        await person.press("✅ Отправить", collected)
        await _reply(person, "Отправлено на проверку")


async def _reply(person: FakeUser, contains: str) -> BotMessage:
    while True:
        message = await person.expect_reply()
        if contains in message.text:
            return message


@pytest.fixture
async def stage() -> AsyncIterator[Stage]:
    # Telegram's per-chat limits stay; the global one is raised as for a paid broadcast.
    emu = Emulator(RateLimits(global_per_second=600, global_burst=600))
    emu.add_bot(TOKEN, "kurator_cluster_bot")
    async with EmulatorServer(emu) as server, cluster(server.url) as (running, postgres):
        engine = build_engine(running.database_url)
        await upgrade(engine)
        async with EmulatorClient(server.url, bot_token=TOKEN) as client:
            yield Stage(emu, server, client, running, postgres, build_session_factory(engine))
        await engine.dispose()


async def _count(stage: Stage, query: object) -> int:
    async with stage.session_factory() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def test_a_conversation_started_on_one_process_continues_on_another(stage: Stage) -> None:
    [curator] = await stage.curators(1)
    a, b = await asyncio.gather(stage.cluster.spawn("bot-a"), stage.cluster.spawn("bot-b"))
    person = stage.person(curator)
    reminder = await person.expect_reply(REMINDER_HEAD)

    stage.cluster.proxy.only = a.url
    await person.press(texts.BTN_DONE, reminder)
    await person.expect_reply("Отмечаем выполнение")
    await person.send("Приказ издан, копия на сайте")
    await person.expect_reply()
    await stage.settled()  # A has answered Telegram: its work is stored
    await a.kill()  # the state and the comment live in Redis, not in process A

    stage.cluster.proxy.only = b.url
    await person.press("✅ Отправить")
    await person.expect_reply("Отправлено на проверку")
    async with stage.session_factory() as session:
        comments = list(await session.scalars(select(Submission.comment)))
    assert comments == ["Приказ издан, копия на сайте"]
    await stage.settled()
    # Exactly these messages, whatever the day and hour: nothing else is due for this person.
    received = stage.received(curator)
    assert len(received) == 4, received
    assert REMINDER_HEAD in received[0]
    assert "Отмечаем выполнение" in received[1]
    assert "📎 Добавлено к" in received[2]
    assert "Отправлено на проверку" in received[3]
    assert stage.cluster.proxy.served[a.url] >= 2 and stage.cluster.proxy.served[b.url] >= 1


async def test_two_processes_deliver_once_and_survive_a_kill(stage: Stage) -> None:
    curators = await stage.curators(1000)
    actors = random.Random(8).sample(curators, 250)
    # SEND_RATE is the bot's total, shared over Redis by both processes (bot/pacing.py).
    fast = {"SEND_RATE": "300", "SEND_CONCURRENCY": str(SENDS_AT_ONCE)}
    a, b = await asyncio.gather(
        stage.cluster.spawn("bot-a", **fast), stage.cluster.spawn("bot-b", **fast)
    )

    gate = asyncio.Semaphore(100)  # a hundred people pressing at the same time

    unconfirmed: list[int] = []

    async def act(telegram_id: int) -> None:
        await stage.reminded([telegram_id])
        async with gate:
            try:
                await stage.mark_done(telegram_id)
            except AssertionError:  # the person saw no confirmation (checked below)
                unconfirmed.append(telegram_id)

    actions = asyncio.gather(*(act(i) for i in actors))
    await stage.reminded(curators, at_least=250)  # mid-burst, actions under way
    await b.kill()
    await asyncio.wait_for(actions, 300)
    await stage.reminded(curators)

    repeats = Counter(stage.reminders_in(i) for i in curators)
    # Documented bound: a killed sender may repeat the message it was sending to each of the
    # chats it was writing to at once, and nobody gets more than one extra copy.
    assert repeats[1] >= len(curators) - SENDS_AT_ONCE and set(repeats) <= {1, 2}, repeats
    # Nothing but the reminder and the done flow's own answers, on any day and at any hour.
    assert not stage.unexpected(curators, DONE_FLOW), stage.unexpected(curators, DONE_FLOW)
    # Every action is applied once; a confirmation due after the commit of an update that was
    # in flight on the killed process may be missing (bound: its in-flight updates).
    stories = {
        i: [e["message"].get("text", "")[:30] for e in stage.emu.chats[i].log] for i in unconfirmed
    }
    assert await _count(stage, select(func.count()).select_from(Submission)) == 250, stories
    assert len(unconfirmed) <= MAX_IN_FLIGHT, stories
    submitted = select(func.count()).where(Assignment.status == AssignmentStatus.SUBMITTED)
    assert await _count(stage, submitted) == 250
    pending = select(func.count()).where(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.CLAIMED])
    )
    assert await _count(stage, pending) == 0
    served = stage.cluster.proxy.served
    assert served[a.url] > 0 and served[b.url] > 0  # both processes did share the work
    assert a.alive


async def test_a_postgresql_restart_mid_run_loses_nothing(stage: Stage) -> None:
    curators = await stage.curators(300)
    await stage.cluster.spawn("bot-a", SEND_RATE="40", SEND_CONCURRENCY=str(SENDS_AT_ONCE))
    await stage.reminded(curators, at_least=30)
    await asyncio.to_thread(stage.postgres.restart)
    await stage.reminded(curators)
    await stage.mark_done(curators[0])  # a user action after the restart is applied

    # An update that arrives while the database is down is answered once it is back.
    person = stage.person(curators[1])
    person.cursors[(person.id, "new")] = len(stage.emu.chats[person.id].log)
    refused = stage.emu.webhooks.refused
    await asyncio.to_thread(stage.postgres.stop)
    await person.send("/my")
    await stage.until(lambda: stage.emu.webhooks.refused > refused, "the update was not refused")
    await asyncio.to_thread(stage.postgres.start)
    await person.expect_reply("Издание приказа")

    allowed = (*DONE_FLOW, texts.VIEW_NAMES["open"])  # and the answer to /my
    assert not stage.unexpected(curators, allowed), stage.unexpected(curators, allowed)
    repeats = Counter(stage.reminders_in(i) for i in curators)
    # The messages in flight when the database went away (one per chat) may be sent again.
    assert repeats[1] >= len(curators) - SENDS_AT_ONCE and set(repeats) <= {1, 2}, repeats
    assert await _count(stage, select(func.count()).select_from(Submission)) == 1
