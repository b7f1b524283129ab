"""Reminders end to end: a simulated school month in three time zones, faults, crashes, blocks."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.pacing import PaceLimits
from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus, OutboxStatus
from core.workdays import next_working_day
from db.models import Activity, Assignment, DeliveryAttempt, OutboxMessage, PlanSchool, User
from emulator import FakeUser
from importer.interpret import interpret
from importer.text_reader import read_text
from scheduler.sender import OutboxSender
from tests.harness import TOKEN, World
from tests.people import ON_BOTH, Person, person_id, said, user_id_of
from tests.plan_files import seed_text

START = datetime(2020, 9, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


async def _school(world: World, name: str, zone: str) -> int:
    return await world.add_school(name, timezone=zone)


async def _curator(world: World, name: str, school_id: int) -> FakeUser:
    person = await world.person(name)
    await person.send(f"/start {await world.invite(Role.CURATOR, school_id)}")
    await person.expect_reply("куратор")
    return person


async def _messages(world: World, person: Person) -> list[tuple[datetime, str]]:
    return await world.received(person)


async def _import(
    world: World, seed: str, zone: str, year: int | None = None, attach: list[int] | None = None
) -> int:
    draft = interpret(read_text(seed_text(seed)), academic_year=year)
    async with world.app.session_factory() as session, session.begin():
        report = await import_plan(session, world.clock, draft, timezone=zone)
        for school_id in attach or []:
            session.add(PlanSchool(plan_id=report.plan_id, school_id=school_id))
        await session.flush()
        if attach:
            await import_plan(
                session, world.clock, draft, timezone=zone
            )  # assign the attached schools
    return report.plan_id


async def _run(world: World, hours: int, step: timedelta = timedelta(hours=1)) -> None:
    for _ in range(int(timedelta(hours=hours) / step)):
        world.clock.advance(step)  # type: ignore[attr-defined]
        await world.app.reminders.tick()


def _about(messages: list[tuple[datetime, str]], title: str, head: str = "") -> list[datetime]:
    return [when for when, text in messages if title in text and head in text]


async def _tick_days(world: World, days: int, hours_utc: tuple[int, ...]) -> None:
    """Tick at the given UTC hours of each day (where 09:00/08:00 local falls in each zone)."""
    for _ in range(days):
        day = world.clock.now().replace(hour=0, minute=0)
        for hour in hours_utc:
            moment = day + timedelta(hours=hour)
            if moment > world.clock.now():
                world.clock.set(moment)  # type: ignore[attr-defined]
            await world.app.reminders.tick()
        world.clock.set(day + timedelta(days=1))  # type: ignore[attr-defined]


async def test_a_school_year_in_three_time_zones(world: World) -> None:
    ekb = await _school(world, "МАОУ «СОШ № 21 г. Челябинска»", "Asia/Yekaterinburg")
    msk = await _school(world, "ГБОУ «Школа № 7 г. Ломоносова»", "Europe/Moscow")
    krs = await _school(world, "МБОУ «Богучанская СОШ № 1»", "Asia/Krasnoyarsk")
    alice = await _curator(world, "Алиса", ekb)
    boris = await _curator(world, "Борис", msk)
    vera = await _curator(world, "Вера", krs)
    await _import(world, "001", "Asia/Yekaterinburg")
    await _import(world, "004", "Asia/Krasnoyarsk", year=2020, attach=[msk, krs])
    async with world.app.session_factory() as session, session.begin():  # Борис: reminders at 22:00
        await session.execute(
            update(User)
            .where(User.id == await user_id_of(session, boris.id))
            .values(settings={"reminders": {"hour": 22}})
        )
    # Simulated time runs far faster than real time: lift real-time flood limits on both sides.
    world.app.pacer.configure(
        PaceLimits(
            global_per_second=1e6, global_burst=10**6, private_per_second=1e6, private_burst=10**6
        )
    )
    await world.client.set_limits(off=True)
    hours = (2, 4, 5, 6)  # 09:00 Krasnoyarsk, Yekaterinburg; 08:00 and 09:00 Moscow
    await _tick_days(world, 68, hours)  # Sep 1 -> Nov 8
    async with world.app.session_factory() as session, session.begin():  # the order is handed in
        first = await session.scalar(
            select(Activity.id).where(Activity.title.startswith("Издание приказа"))
        )
        await session.execute(
            update(Assignment)
            .where(Assignment.activity_id == first)
            .values(status=AssignmentStatus.SUBMITTED)
        )
    await _tick_days(world, 297, hours)  # -> Sep 1, 2021

    a, b, v = (
        await _messages(world, alice),
        await _messages(world, boris),
        await _messages(world, vera),
    )
    order = "Издание приказа"
    # Weekends and holidays move reminders to a working day: Saturday 7 Nov -> Friday 6 Nov.
    assert _about(a, order, "Напоминание") == [
        datetime(2020, 11, d, 4, 0, tzinfo=UTC) for d in (3, 6)
    ]
    assert _about(a, order, "Срок прошёл") == []  # handed in before the deadline: nothing after
    round_table = "Проведение круглого стола"  # due October 2020 (plan 004, "ОУ")
    # Due Saturday 31 October: the last reminder on Friday the 30th.
    assert _about(v, round_table, "Напоминание")[-1] == datetime(2020, 10, 30, 2, 0, tzinfo=UTC)
    # Overdue nudges are bounded: 1, 3 and 7 days after the deadline, then the digest only,
    # each on a working day (Sun 1 Nov -> Mon 2 Nov; Sat 7 Nov -> Mon 9 Nov).
    assert _about(v, round_table, "Срок прошёл") == [
        datetime(2020, 11, d, 2, 0, tzinfo=UTC) for d in (2, 3, 9)
    ]
    assert _about(b, round_table, "Срок прошёл") == [  # 22:00 is quiet: 08:00 the next day
        datetime(2020, 11, d, 5, 0, tzinfo=UTC) for d in (3, 4, 10)
    ]
    for messages, zone_hour in ((a, 4), (v, 2), (b, 5)):
        later = [when for when, _ in messages if when >= START + timedelta(days=1)]
        assert len(later) > 50
        assert {when.hour for when in later} == {zone_hour}  # 09:00 local; Борис's 22:00 -> 08:00
        assert all(when.minute == 0 for when in later)
    digests = [
        when.date()
        for when, text in a
        if "Доброе утро" in text and when >= START + timedelta(days=1)
    ]
    # Monday digests; a Monday off (New Year, 22 Feb, May days, 14 June) moves to the next
    # working day, and one moved onto the next Monday is not sent twice.
    mondays = [START.date() + timedelta(days=d) for d in range(1, 366)]
    expected = sorted({next_working_day(m) for m in mondays if m.weekday() == 0})
    assert digests == [d for d in expected if d <= digests[-1]] and len(digests) >= 50
    async with world.app.session_factory() as session:
        rows = (
            await session.execute(
                select(
                    OutboxMessage.chat_id,
                    OutboxMessage.telegram_message_id,
                    OutboxMessage.scheduled_at,
                ).where(OutboxMessage.status == OutboxStatus.SENT)
            )
        ).all()
    dates = {
        (p.id, e["message"]["message_id"]): e["message"]["date"]
        for p in (alice, boris, vera)
        for e in await world.client.log(p.id)
        if e["kind"] == "new"
    }
    on_time = [
        dates[(chat, mid)] == int(at.timestamp())
        for chat, mid, at in rows
        if at >= START + timedelta(days=1)
    ]
    assert on_time and all(on_time)  # every reminder went out at its scheduled minute
    greetings = 3
    assert len(a) + len(b) + len(v) - greetings == len(
        {(chat, mid) for chat, mid, _ in rows}
    )  # none twice


async def _burst_setup(world: World, people: int) -> list[FakeUser]:
    school = await _school(world, "МАОУ «СОШ № 21 г. Челябинска»", "Asia/Yekaterinburg")
    await world.client.set_limits(off=True)  # onboarding many people quickly is not the test
    curators = [await _curator(world, f"Куратор{i}", school) for i in range(people)]
    await world.client.set_limits(global_per_second=30, private_per_second=1, private_burst=3)
    await _import(world, "001", "Asia/Yekaterinburg")
    await world.app.reminders.tick()  # catch up with day one before the burst
    for person in curators:
        person.cursors.clear()
    return curators


async def _burst_at_nov_3(world: World, curators: list[FakeUser]) -> list[int]:
    """Reminders about the order (due Nov 10) each curator got since Nov 3, 09:00 local."""
    counts = []
    for person in curators:
        counts.append(
            len(
                [
                    w
                    for w, t in await _messages(world, person)
                    if w >= datetime(2020, 11, 3, 4, 0, tzinfo=UTC) and "Издание приказа" in t
                ]
            )
        )
    return counts


async def _until_quiet(
    world: World, step: timedelta = timedelta(minutes=1), limit: int = 120
) -> None:
    """Tick until nothing due is left pending (retries wait on the test clock)."""
    for _ in range(limit):
        await world.app.reminders.tick()
        async with world.app.session_factory() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.CLAIMED]),
                    OutboxMessage.scheduled_at <= world.clock.now(),
                )
            )
        if not waiting:
            return
        world.clock.advance(step)  # type: ignore[attr-defined]
    raise AssertionError("outbox did not drain")


@pytest.fixture
def settings(server, db_url):
    from bot.settings import Settings

    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=False,
        request_timeout=1.0,
        _env_file=None,
    )


# Seeds of the injected faults and of the sender's backoff jitter; FAULT_SEEDS=1,2,3 tries more.
FAULT_SEEDS = [int(seed) for seed in os.environ.get("FAULT_SEEDS", "11").split(",")]


@pytest.mark.parametrize("seed", FAULT_SEEDS)
async def test_twenty_percent_faults_deliver_everything_once_within_limits(
    world: World, seed: int
) -> None:
    curators = await _burst_setup(world, 40)
    world.app.reminders.sender.rng = random.Random(seed)
    world.clock.set(datetime(2020, 11, 3, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    # Nothing of a faulty request is delivered; a timeout is an unknown outcome all the same.
    await world.client.set_faults(
        0.2, ["429", "500", "timeout"], retry_after=1, hang_seconds=2.0, seed=seed
    )
    await _until_quiet(world)
    await world.client.set_faults(0.0)
    assert await _burst_at_nov_3(world, curators) == [1] * 40  # never lost, never doubled
    stats = await world.client.stats()
    assert stats["faults"] > 0
    assert stats["early_retries"] == 0  # after a 429 the bot waited as told
    async with world.app.session_factory() as session:
        retried = await session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.result == "retry")
        )
        failed = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED)
        )
    assert retried and not failed


@pytest.mark.parametrize("seed", FAULT_SEEDS)
async def test_twenty_percent_faults_with_slow_answers_repeat_a_reminder_at_most_once(
    world: World, seed: int
) -> None:
    curators = await _burst_setup(world, 20)
    world.app.reminders.sender.rng = random.Random(seed)
    world.clock.set(datetime(2020, 11, 3, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    # Some answers come only after the message was delivered, past the bot's 1 s timeout.
    await world.client.set_faults(
        0.2,
        ["429", "500", "timeout", "accepted_timeout"],
        retry_after=1,
        hang_seconds=2.0,
        seed=seed,
    )
    await _until_quiet(world)
    await world.client.set_faults(0.0)
    got = await _burst_at_nov_3(world, curators)
    # The send after a timeout waits out the slow answer: one extra copy at most, none lost.
    assert all(1 <= n <= 2 for n in got), got
    assert sum(got) - len(curators) <= await _attempts(world, "uncertain")
    assert not await _rows(world, OutboxStatus.FAILED)


class CrashAfter:
    """A bot whose process dies right after Telegram accepted the n-th message."""

    def __init__(self, bot, n: int) -> None:
        self.bot, self.n, self.sent = bot, n, 0
        self.session = bot.session  # its timeout: how long a patient send waits

    async def send_message(self, *args, **kwargs):
        result = await self.bot.send_message(*args, **kwargs)
        self.sent += 1
        if self.sent == self.n:
            raise asyncio.CancelledError("process killed")
        return result


async def test_a_crash_mid_burst_loses_nothing_and_repeats_at_most_one(world: World) -> None:
    curators = await _burst_setup(world, 30)
    world.clock.set(datetime(2020, 11, 3, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.plan()
    from bot.reminder_render import render

    crashing: Any = CrashAfter(world.app.bot, 10)
    dying = OutboxSender(world.app.session_factory, crashing, world.clock, render, worker="dies")
    with pytest.raises(asyncio.CancelledError):
        await dying.drain()
    assert crashing.sent == 10
    world.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]  # the dead worker's claims expire
    await _until_quiet(world)
    got = await _messages_since(world, curators, datetime(2020, 11, 3, 4, 0, tzinfo=UTC))
    assert all(n >= 1 for n in got)
    assert sum(got) - len(curators) <= 1  # the documented bound: one message per crash


async def _retry_round(world: World, sender: OutboxSender | None = None) -> None:
    """Move the clock to when every postponed row is due again, then send once more."""
    async with world.app.session_factory() as session:
        due = await session.scalar(
            select(func.max(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING
            )
        )
    if due is not None and due > world.clock.now():
        world.clock.set(due)  # type: ignore[attr-defined]
    if sender is None:
        await world.app.reminders.tick()
    else:
        await sender.drain()


async def _attempts(world: World, result: str) -> int:
    async with world.app.session_factory() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(DeliveryAttempt)
                .where(DeliveryAttempt.result == result)
            )
            or 0
        )


async def _rows(world: World, status: OutboxStatus) -> int:
    async with world.app.session_factory() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == status)
            )
            or 0
        )


@pytest.mark.parametrize(
    ("fault", "rounds"),
    [
        ("accepted_timeout", 4),  # every answer slow, four rounds: the patient send hears it
        ("accepted_disconnect", 1),  # one answer dropped after delivery
    ],
)
async def test_answers_lost_after_delivery_repeat_a_reminder_at_most_once(
    world: World, fault: str, rounds: int
) -> None:
    curators = await _burst_setup(world, 3)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    # Telegram delivers every message but its answer misses the bot's 1 s timeout (held 2 s),
    # or the connection drops; the send after one with no answer waits 4 s for its answer.
    await world.client.set_faults(1.0, [fault], methods=["sendMessage"], hang_seconds=2)
    for _ in range(rounds):
        await _retry_round(world)
    await world.client.set_faults(0.0)
    await _until_quiet(world)
    assert await _messages_since(world, curators, start) == [2] * 3  # one extra copy each
    assert await _attempts(world, "uncertain") == len(curators)
    async with world.app.session_factory() as session:
        left = await session.scalar(
            select(func.count()).where(
                OutboxMessage.status.not_in([OutboxStatus.SENT, OutboxStatus.CANCELLED]),
                OutboxMessage.scheduled_at <= world.clock.now(),
                OutboxMessage.kind == "deadline",
            )
        )
    assert left == 0


async def test_each_answer_dropped_after_delivery_costs_one_copy_and_nothing_is_given_up(
    world: World,
) -> None:
    curators = await _burst_setup(world, 3)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    # A network that delivers and drops every answer cannot be told from one that delivers
    # nothing: the sender must keep sending, and each dropped answer is one more copy.
    await world.client.set_faults(1.0, ["accepted_disconnect"], methods=["sendMessage"])
    for _ in range(3):
        await _retry_round(world)
    await world.client.set_faults(0.0)
    await _until_quiet(world)
    assert await _messages_since(world, curators, start) == [4] * 3
    assert await _attempts(world, "uncertain") == 3 * len(curators)
    assert await _rows(world, OutboxStatus.FAILED) == 0


async def test_timeouts_that_delivered_nothing_lose_nothing(world: World) -> None:
    curators = await _burst_setup(world, 2)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    world.app.bot.session.timeout = 0.5  # a patient send waits 2 s: the 3 s hang outlasts both
    # Telegram never gets the message and never answers, three sends in a row.
    await world.client.set_faults(1.0, ["timeout"], methods=["sendMessage"], hang_seconds=3)
    await _retry_round(world)
    began = time.monotonic()
    for _ in range(2):
        await _retry_round(world)
    # Each round's send waited 2 s (on PostgreSQL the two chats' sends overlap).
    assert time.monotonic() - began >= 2 * 2
    world.app.bot.session.timeout = 1.0
    await world.client.set_faults(0.0)
    await _until_quiet(world)
    got = await _messages_since(world, curators, start)
    assert all(1 <= n <= 2 for n in got), got  # never zero: no unknown outcome is given up
    assert got == [1] * len(curators)  # measured: these timeouts delivered nothing
    assert await _attempts(world, "uncertain") == 3 * len(curators)
    assert await _rows(world, OutboxStatus.FAILED) == 0


async def test_a_lost_answer_and_a_crash_each_cost_at_most_one_copy(world: World) -> None:
    curators = await _burst_setup(world, 3)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    await world.client.set_faults(1.0, ["accepted_disconnect"], methods=["sendMessage"])
    await _retry_round(world)  # one copy each, answers lost
    await world.client.set_faults(0.0)
    from bot.reminder_render import render

    crashing: Any = CrashAfter(world.app.bot, 1)
    dying = OutboxSender(world.app.session_factory, crashing, world.clock, render, worker="dies")
    with pytest.raises(asyncio.CancelledError):
        await _retry_round(world, dying)  # a second copy reaches the first curator, then death
    world.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]  # claims expire
    await _until_quiet(world)
    # The first curator's row had two sends of unknown outcome (the dropped answer and the
    # crash): two extra copies; the others one. None is given up.
    assert await _messages_since(world, curators, start) == [3, 2, 2]
    assert await _attempts(world, "uncertain") == len(curators)


def _refusing_bot() -> Any:
    """A bot whose every request finds nobody listening: surely nothing was sent."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = TelegramAPIServer.from_base(f"http://127.0.0.1:{port}")
    return Bot(TOKEN, session=AiohttpSession(api=api, timeout=1.0))


@contextmanager
def _hanging_address() -> Iterator[str]:
    """An address whose connections are never accepted: its backlog is full, so a new
    connection hangs in the handshake and no request is ever written."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    host, port = server.getsockname()
    queued = []
    try:
        for _ in range(8):
            queued.append(socket.socket())
            queued[-1].setblocking(False)
            queued[-1].connect_ex((host, port))
        yield f"http://{host}:{port}"
    finally:
        for sock in queued:
            sock.close()
        server.close()


async def _sure_failures_then_quiet(world: World, *, rounds: int) -> None:
    """Server errors and refused connections, `rounds` sends of each, then a connection that
    hangs (the app's own session: a connect timeout), then none."""
    from bot.app import build_bot
    from bot.reminder_render import render
    from bot.settings import Settings

    await world.client.set_faults(1.0, ["500", "502"], methods=["sendMessage"], seed=5)
    for _ in range(rounds):
        await _retry_round(world)
    await world.client.set_faults(0.0)
    refusing = _refusing_bot()
    sender = OutboxSender(world.app.session_factory, refusing, world.clock, render, worker="cut")
    try:
        for _ in range(rounds):
            await _retry_round(world, sender)
    finally:
        await refusing.session.close()
    with _hanging_address() as address:
        settings = Settings(
            bot_token=TOKEN, telegram_api_url=address, request_timeout=1.0, _env_file=None
        )
        hanging = build_bot(settings)
        sender = OutboxSender(world.app.session_factory, hanging, world.clock, render, worker="h")
        try:
            await _retry_round(world, sender)
        finally:
            await hanging.session.close()
    await _until_quiet(world)


async def test_sends_that_surely_failed_are_retried_until_delivered_once(world: World) -> None:
    curators = await _burst_setup(world, 3)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    await _sure_failures_then_quiet(world, rounds=4)  # nine in a row: eight used to fail it
    assert await _messages_since(world, curators, start) == [1] * 3
    assert await _attempts(world, "retry") == 9 * 3
    assert await _attempts(world, "uncertain") == 0


async def test_after_a_lost_answer_sure_failures_still_retry(world: World) -> None:
    curators = await _burst_setup(world, 3)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    await world.client.set_faults(1.0, ["accepted_disconnect"], methods=["sendMessage"])
    await _retry_round(world)  # delivered, answer lost
    await _sure_failures_then_quiet(world, rounds=3)
    # The copy whose answer was lost, and the one Telegram confirmed.
    assert await _messages_since(world, curators, start) == [2] * 3


async def test_sure_failures_are_retried_past_a_day_until_not_after(world: World) -> None:
    curators = await _burst_setup(world, 3)
    start = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    world.clock.set(start)  # type: ignore[attr-defined]
    await world.app.reminders.plan()
    sender = world.app.reminders.sender
    await world.client.set_faults(1.0, ["500"], methods=["sendMessage"])
    for _ in range(3):
        await _retry_round(world, sender)
    world.clock.advance(timedelta(hours=25))  # type: ignore[attr-defined]
    await _retry_round(world, sender)  # a day after the first try; not_after is Nov 10
    async with world.app.session_factory() as session:
        rows = list(await session.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 0)))
    assert rows and all(r.status == OutboxStatus.PENDING for r in rows)
    await world.client.set_faults(0.0)
    await _retry_round(world, sender)
    assert await _messages_since(world, curators, start) == [1] * 3
    assert await _rows(world, OutboxStatus.FAILED) == 0


class SlowBot:
    """A bot on a busy machine: every message takes a minute of the sender's clock."""

    def __init__(self, bot, clock, session_factory) -> None:
        self.bot, self.clock, self.session_factory = bot, clock, session_factory
        self.session = bot.session
        self.sent = self.expired_claims = 0

    async def send_message(self, *args, **kwargs):
        self.clock.advance(timedelta(minutes=1))
        async with self.session_factory() as session:
            # Rows this worker still holds although another worker could take them now.
            self.expired_claims += await session.scalar(
                select(func.count()).where(
                    OutboxMessage.status == OutboxStatus.CLAIMED,
                    OutboxMessage.claimed_until <= self.clock.now(),
                )
            )
        self.sent += 1
        return await self.bot.send_message(*args, **kwargs)


async def test_a_slow_sender_hands_back_rows_before_its_claim_runs_out(world: World) -> None:
    curators = await _burst_setup(world, 12)
    world.clock.set(datetime(2020, 11, 3, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.plan()
    from bot.reminder_render import render

    slow: Any = SlowBot(world.app.bot, world.clock, world.app.session_factory)
    sender = OutboxSender(world.app.session_factory, slow, world.clock, render, worker="slow")
    n = await sender.drain()
    # A 5-minute claim covers 3 messages here: the sender claims again and again.
    assert n == slow.sent and n > 3
    assert slow.expired_claims == 0
    async with world.app.session_factory() as session:
        claims = await session.scalar(
            select(func.count()).where(OutboxMessage.status == OutboxStatus.CLAIMED)
        )
    assert claims == 0
    got = await _messages_since(world, curators, datetime(2020, 11, 3, 4, 0, tzinfo=UTC))
    assert got == [1] * 12


async def _messages_since(world: World, curators: list[FakeUser], since: datetime) -> list[int]:
    """Reminders about the order each curator got since `since`."""
    return [
        len([w for w, t in await _messages(world, p) if w >= since and "Издание приказа" in t])
        for p in curators
    ]


async def test_downtime_sends_the_useful_and_skips_the_stale(world: World) -> None:
    school = await _school(world, "МАОУ «СОШ № 21 г. Челябинска»", "Asia/Yekaterinburg")
    alice = await _curator(world, "Алиса", school)
    await _import(world, "001", "Asia/Yekaterinburg")
    await world.app.reminders.tick()
    world.clock.set(datetime(2020, 11, 11, 7, 0, tzinfo=UTC))  # type: ignore[attr-defined]  # down since Nov 1
    await world.app.reminders.tick()
    after = [
        (w, t) for w, t in await _messages(world, alice) if w >= datetime(2020, 11, 11, tzinfo=UTC)
    ]
    about_order = [t for _, t in after if "Издание приказа" in t]
    assert len(about_order) == 1 and "Срок прошёл" in about_order[0]
    # Past its date: no "⏰ Напомнить завтра" under it, one button for the report.
    overdue = next(
        e["message"]
        for e in await world.client.log(alice.id)
        if e["kind"] == "new" and "Срок прошёл" in e["message"].get("text", "")
    )
    buttons = [b["text"] for row in overdue["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["✅ Выполнено", "❓ Нужна помощь"]
    async with world.app.session_factory() as session:
        skipped = list(
            await session.scalars(
                select(OutboxMessage.kind).where(OutboxMessage.status == OutboxStatus.SKIPPED)
            )
        )
    assert "deadline" in skipped


@ON_BOTH
async def test_a_blocked_user_is_marked_and_the_coordinator_told_once(world: World) -> None:
    school = await _school(world, "МАОУ «СОШ № 21 г. Челябинска»", "Asia/Yekaterinburg")
    alice = await world.member("Алиса", Role.CURATOR, school)
    olga = await world.member("Ольга", Role.COORDINATOR)
    await _import(world, "001", "Asia/Yekaterinburg")
    await alice.block(silent=True)
    await _run(world, hours=5 * 24)
    async with world.app.session_factory() as session:
        user = await session.get(User, await person_id(session, alice))
        assert user is not None and user.blocked_at is not None
        failures = (
            await session.execute(
                select(DeliveryAttempt.attempted_at, OutboxMessage.kind)
                .join(OutboxMessage)
                .where(
                    OutboxMessage.recipient_user_id == user.id, DeliveryAttempt.result == "failed"
                )
            )
        ).all()
    # One send refused with 403 (several rows may have been grouped in it), then no more tries.
    assert len({at for at, _ in failures}) == 1, failures
    notices = [t for _, t in await _messages(world, olga) if "заблокировал" in t]
    assert len(notices) == 1 and "Алиса" in notices[0]


@ON_BOTH
async def test_buttons_rsvp_upcoming_and_the_preview_cli(world: World) -> None:
    from db.models import Attendance, Seminar

    school = await _school(world, "МАОУ «СОШ № 21 г. Челябинска»", "Asia/Yekaterinburg")
    alice = await world.member("Алиса", Role.CURATOR, school)
    olga = await world.member("Ольга", Role.COORDINATOR)
    plan_id = await _import(world, "001", "Asia/Yekaterinburg")
    async with world.app.session_factory() as session, session.begin():
        session.add(
            Seminar(
                plan_id=plan_id,
                topic="Семинар по МСОКО",
                starts_on=datetime(2020, 11, 5).date(),
                created_at=world.clock.now(),
            )
        )
    world.clock.set(datetime(2020, 11, 3, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick()
    reminder = await alice.expect_reply()
    invitation = None
    while "Издание приказа" not in reminder.text:  # other items' reminders of the day come too
        if "Семинар" in reminder.text:
            invitation = reminder
        reminder = await alice.expect_reply()
    while invitation is None:
        invitation = await alice.expect_reply("Семинар")
    # The eve (4 November) is a public holiday: the seminar's reminder comes on the 3rd.
    assert invitation.text.startswith("📅 Семинар через 2 дня: 5 ноября"), invitation.text
    assert reminder.buttons == ["✅ Выполнено", "⏰ Напомнить завтра", "❓ Нужна помощь"]
    await alice.press("✅ Выполнено", reminder)
    await alice.expect_reply("Отмечаем выполнение")
    await alice.press("✖️ Отмена")
    await alice.expect_reply("пункт остаётся открытым")

    assert invitation.buttons == ["Буду", "Не смогу"]
    assert said(await alice.press("Буду", invitation)) == "Отметил: вы будете."
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Attendance)) == 1

    world.clock.set(datetime(2020, 11, 4, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await olga.send("/upcoming")
    week = await olga.expect_reply("Напоминания на 7 дней")
    assert "Издание приказа" in week.text and "10 ноября" in week.text

    result = await world.cli(
        "reminders", "plan", "--from", "2020-11-05", "--to", "2020-11-12", "--json"
    )
    import json

    rows = json.loads(result.stdout)
    order = [r for r in rows if r["item"].startswith("Издание приказа") and r["kind"] == "deadline"]
    assert [(r["local"], r["utc"]) for r in order] == [
        ("2020-11-06T09:00:00+05:00", "2020-11-06T04:00:00+00:00"),  # Saturday 7 -> Friday
        ("2020-11-09T09:00:00+05:00", "2020-11-09T04:00:00+00:00"),
        ("2020-11-10T09:00:00+05:00", "2020-11-10T04:00:00+00:00"),
    ]


async def test_a_coordinators_monday_digest_counts_the_week_of_their_schools(
    world: World,
) -> None:
    ekb = await _school(world, "МАОУ «СОШ № 21 г. Челябинска»", "Asia/Yekaterinburg")
    await _curator(world, "Алиса", ekb)
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    await _import(world, "001", "Asia/Yekaterinburg")
    async with world.app.session_factory() as session:
        due_this_week = await session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(
                Assignment.due_date >= date(2020, 11, 9), Assignment.due_date <= date(2020, 11, 15)
            )
        )
    assert due_this_week  # the seed plan has deadlines in the week of 9 November
    world.app.pacer.configure(PaceLimits(private_per_second=1e6, private_burst=10**6))
    await world.client.set_limits(off=True)
    world.clock.set(datetime(2020, 11, 9, 5, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick()
    world.clock.set(datetime(2020, 11, 9, 6, 30, tzinfo=UTC))  # type: ignore[attr-defined]  # 09:30 MSK
    await world.app.reminders.tick()
    digests = [t for _, t in await _messages(world, olga) if "Доброе утро" in t]
    assert len(digests) == 1, digests
    assert f"Сроки на этой неделе: {due_this_week}, выполнено 0" in digests[0]
    assert "ДОРОЖНАЯ КАРТА" in digests[0] and "сроков нет" not in digests[0]
