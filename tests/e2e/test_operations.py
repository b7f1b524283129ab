"""Operators end to end: Telegram answers 429 and 5xx for a while, the scheduler stops.

The real bot polls the emulator; time is the test's ManualClock, read by the bot, the
emulator (its fault window) and the watchdog. The watchdog looks on its own timer (every
50 ms here); the test moves the clock and waits for the watchdog's looks and for messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.pacing import PaceLimits
from bot.settings import Settings
from core.clock import ManualClock
from core.notices import queue_notice
from core.people import Recipient
from core.roles import Role
from emulator import FakeUser
from messengers import MAX
from ops.watchdog import Watchdog
from tests.harness import TOKEN, World
from tests.people import user_id_of


@pytest.fixture
def settings(server, db_url) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=False,
        callback_answer_seconds=10,
        metrics_enabled=True,
        metrics_port=0,
        watchdog_seconds=0.05,
        alert_api_seconds=100,
        alert_api_quiet_seconds=60,
        _env_file=None,
    )


async def _join(world: World, name: str, role: Role, school_id: int | None = None) -> FakeUser:
    person = await world.person(name)
    await person.send(f"/start {await world.invite(role, school_id)}")
    await person.expect_reply()
    return person


async def _user_id(world: World, person: FakeUser) -> int:
    async with world.app.session_factory() as session:
        return await user_id_of(session, person.id)


def _watchdog(world: World) -> Watchdog:
    watchdog = world.app.ops.watchdog
    assert watchdog is not None
    return watchdog


async def _looked(world: World, times: int = 2) -> None:
    """Wait until the watchdog has looked `times` more times (at the clock as it is now)."""
    for _ in range(times):
        await asyncio.wait_for(_watchdog(world).looked.wait(), 10)


async def _until(world: World, done: Callable[[], bool], what: str) -> None:
    for _ in range(200):
        if done():
            return
        await _looked(world, 1)
    raise AssertionError(f"never: {what}")


async def scrape(world: World) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    server = world.app.ops.server
    assert server is not None
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}/metrics") as answer,
    ):
        assert answer.status == 200
        body = await answer.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def total(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str):
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


async def _news(world: World, person: FakeUser) -> list[str]:
    return [
        e["message"].get("text", "")
        for e in await world.client.log(person.id)
        if e["kind"] == "new"
    ]


async def test_telegram_429_and_5xx_for_a_while(world: World) -> None:
    clock = world.clock
    assert isinstance(clock, ManualClock)
    # Real-time pacing is not the test: 429s reach the sender at once, as Telegram's do.
    world.app.pacer.configure(
        PaceLimits(
            global_per_second=1e6,
            global_burst=10**6,
            private_per_second=1e6,
            private_burst=10**6,
            max_retries=0,
        )
    )
    await world.client.set_limits(off=True)
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    anna = await _join(world, "Анна", Role.ADMIN)
    vera = await _join(world, "Вера", Role.CURATOR, school)
    vera_id = await _user_id(world, vera)
    await world.invite(Role.CURATOR, school)  # not used yet: /health names the school
    assert "health" in await anna.menu() and "health" not in await vera.menu()
    async with world.app.session_factory() as session, session.begin():
        for n in range(3):
            await queue_notice(
                session,
                clock,
                "blocked_notice",
                "user",
                n,
                [Recipient(vera_id, vera.id)],
                event="ops",
                payload={"name": f"Коллега {n}", "school": "Школа", "tz": "Europe/Moscow"},
            )
    await _looked(world)
    before = len(await _news(world, vera))

    t0 = clock.now()
    await world.client.set_faults(1.0, ["429"], seconds=60, retry_after=1)
    for step in (0, 30):  # two ticks of 429s
        clock.set(t0 + timedelta(seconds=step))
        assert await world.app.reminders.deliver() == 0
    clock.set(t0 + timedelta(seconds=60))
    await world.client.set_faults(1.0, ["500"], seconds=120)  # until t0 + 180 s
    assert await world.app.reminders.deliver() == 0

    clock.set(t0 + timedelta(seconds=120))  # errors for 120 s > 100: alert, but it cannot go
    assert await world.app.reminders.deliver() == 0  # 5xx again (after the rows' backoff)
    watchdog = _watchdog(world)
    await _until(world, lambda: "api:telegram" in watchdog.raised, "the alert raised")
    await _until(world, lambda: bool(watchdog.owed), "the alert owed")
    metrics = await scrape(world)
    assert total(metrics, "kurator_api_errors_total", code="429", messenger="telegram") >= 6
    assert total(metrics, "kurator_api_errors_total", code="5xx") >= 6
    assert total(metrics, "kurator_retry_after_seconds_total") >= 6
    assert total(metrics, "kurator_delivery_retries_total", reason="rate_limited") == 6
    assert total(metrics, "kurator_delivery_retries_total", reason="server") == 6
    assert total(metrics, "kurator_alerts_firing", alert="api:telegram") == 1
    assert total(metrics, "kurator_outbox_pending", due="true") == 3
    assert total(metrics, "kurator_outbox_oldest_due_seconds") >= 110

    clock.set(t0 + timedelta(seconds=170))  # still failing: the watchdog tries again
    await _looked(world, 2)
    await anna.expect_silence(wait=0.05)
    clock.set(t0 + timedelta(seconds=200))  # the emulator answers again
    alert = await anna.expect_reply("⚠️")
    assert "429/5xx" in alert.text and "telegram" in alert.text

    clock.set(t0 + timedelta(seconds=300))  # no error for two minutes: over
    assert await world.app.reminders.deliver() == 3  # the rows' backoff has passed
    assert len(await _news(world, vera)) == before + 3
    cleared = await anna.expect_reply("✅")
    assert "мессенджер отвечает ошибками" in cleared.text
    await _looked(world, 3)
    await anna.expect_silence()  # one alert, one all-clear: nothing more
    metrics = await scrape(world)
    assert total(metrics, "kurator_alert_messages_total", event="raised") == 1
    assert total(metrics, "kurator_alert_messages_total", event="cleared") == 1
    assert total(metrics, "kurator_alert_messages_total", event="failed") >= 1
    assert total(metrics, "kurator_messages_sent_total") >= 5
    assert total(metrics, "kurator_update_handling_seconds_count", type="message") >= 2
    assert total(metrics, "kurator_outbox_oldest_due_seconds") == 0

    server = world.app.ops.server
    assert server is not None
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}/healthz") as answer,
    ):
        assert answer.status == 200 and (await answer.json()) == {"ok": True}

    await anna.send("/health")
    health = (await anna.expect_reply("Состояние доставки")).text
    assert "Отправлено за час: 3" in health
    assert "Повторы за сутки: лимит запросов (429) — 6, ошибка сервера (5xx) — 6" in health
    assert "telegram: ошибки 429/5xx" in health
    assert "Redis: не используется" in health
    assert "Тревоги" not in health
    assert "МАОУ «СОШ № 21 г. Челябинска»: 0 / 0 / 1" in health
    await vera.send("/health")  # admins only
    assert "Состояние доставки" not in (await vera.expect_reply()).text


@pytest.fixture
def scheduled(server, db_url) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=True,
        reminder_tick_seconds=3600,  # the test makes the scheduler tick when it wants
        callback_answer_seconds=10,
        watchdog_seconds=0.05,
        alert_tick_seconds=300,
        _env_file=None,
    )


async def _tick_now(world: World) -> None:
    before = _watchdog(world).signals.last_tick_at
    job = world.app.scheduler.get_job("reminders.tick")
    job.modify(next_run_time=datetime.now(UTC))
    await _until(world, lambda: _watchdog(world).signals.last_tick_at != before, "a tick")


async def test_a_stopped_scheduler_is_noticed_within_the_threshold(
    server, client, scheduled, clock
) -> None:
    from tests.harness import running_bot

    async with running_bot(scheduled, clock) as app:
        world = World(server=server, client=client, app=app, settings=scheduled, clock=clock)
        anna = await _join(world, "Анна", Role.ADMIN)
        await _tick_now(world)
        t0 = clock.now()
        app.scheduler.pause()  # the scheduler stops; the watchdog does not depend on it
        clock.set(t0 + timedelta(seconds=240))
        await _looked(world, 3)
        await anna.expect_silence(wait=0.1)
        clock.set(t0 + timedelta(seconds=301))  # past the threshold: the next look tells
        alert = await anna.expect_reply("⚠️ Планировщик")
        assert "5 минут" in alert.text
        assert clock.now() == t0 + timedelta(seconds=301)
        app.scheduler.resume()
        await _tick_now(world)
        assert "планировщик не срабатывает" in (await anna.expect_reply("✅")).text
        await _looked(world, 3)
        await anna.expect_silence(wait=0.1)


async def test_a_reminder_waiting_too_long_is_told_once_and_cleared(world: World) -> None:
    clock = world.clock
    assert isinstance(clock, ManualClock)
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    anna = await _join(world, "Анна", Role.ADMIN)
    vera = await _join(world, "Вера", Role.CURATOR, school)
    async with world.app.session_factory() as session, session.begin():
        await queue_notice(
            session,
            clock,
            "blocked_notice",
            "user",
            1,
            [Recipient(await _user_id(world, vera), vera.id)],
            event="ops",
            payload={"name": "Коллега", "school": "Школа", "tz": "Europe/Moscow"},
        )
    t0 = clock.now()
    clock.set(t0 + timedelta(minutes=9))  # nobody delivers (the scheduler is off here)
    await _looked(world, 3)
    await anna.expect_silence(wait=0.05)
    clock.set(t0 + timedelta(minutes=11))
    alert = await anna.expect_reply("⚠️ Напоминания задерживаются")
    assert "11 минут" in alert.text
    assert await world.app.reminders.deliver() == 1
    assert "напоминания задерживаются — больше нет" in (await anna.expect_reply("✅")).text
    await _looked(world, 3)
    await anna.expect_silence(wait=0.05)


@pytest.mark.parametrize("messenger", [MAX])
async def test_admins_are_told_in_the_messenger_they_chose(world: World) -> None:
    clock = world.clock
    assert isinstance(clock, ManualClock)
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    anna = await _join(world, "Анна", Role.ADMIN)  # Telegram
    boris = await world.participant("Борис")  # MAX
    await boris.join(await world.invite(Role.ADMIN))
    await boris.expect_reply("администратор")
    irina = await _join(world, "Ирина", Role.ADMIN)  # Telegram, then MAX, where she chose
    irina_max = await world.linked_in_max(irina)
    await irina_max.press("🔔 Напоминания в MAX")
    await irina_max.expect_edit()
    vera = await _join(world, "Вера", Role.CURATOR, school)
    async with world.app.session_factory() as session, session.begin():
        await queue_notice(
            session,
            clock,
            "blocked_notice",
            "user",
            1,
            [Recipient(await _user_id(world, vera), vera.id)],
            event="ops",
            payload={"name": "Коллега", "school": "Школа", "tz": "Europe/Moscow"},
        )
    clock.set(clock.now() + timedelta(minutes=11))  # nobody delivers (the scheduler is off)
    for admin in (anna, boris, irina_max):
        await admin.expect_reply("⚠️ Напоминания задерживаются")
    await irina.expect_silence(wait=0.05)  # once, where she chose
