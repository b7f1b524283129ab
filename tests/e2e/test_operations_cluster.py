"""Operators with two processes on PostgreSQL and Redis (webhook mode, real time).

Bot-b's scheduler never ticks (its interval is an hour): noticed within the threshold. The
emulator answers 429 and then 5xx for a while: both processes see it, the admins get one
alert and one all-clear (the board in Redis picks the teller). Bot-b is killed: bot-a
notices its silence. /health lists both processes; /metrics of each shows the errors; every
log line is JSON.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from core.notices import queue_notice
from core.people import Recipient
from core.roles import Role
from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from db.models import Account, Membership, User
from emulator import Emulator, EmulatorClient, EmulatorServer, FakeUser, RateLimits
from tests.cluster import TOKEN, BotProcess, Cluster, cluster, free_port, missing_servers
from tests.e2e.test_scale_out import Stage

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.skipif(missing_servers() is not None, reason=missing_servers() or ""),
]

ADMIN = 600_000_001
TICK_ALERT = 8  # seconds without a scheduler tick
WATCH = {
    "METRICS_ENABLED": "true",
    "WATCHDOG_SECONDS": "0.2",
    "ALERT_TICK_SECONDS": str(TICK_ALERT),
    "ALERT_API_SECONDS": "4",
    "ALERT_API_QUIET_SECONDS": "6",
    "ALERT_HEARTBEAT_SECONDS": "3",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
}


@pytest.fixture
async def stage() -> AsyncIterator[Stage]:
    emu = Emulator(RateLimits.off())
    emu.add_bot(TOKEN, "kurator_cluster_bot")
    async with EmulatorServer(emu) as server, cluster(server.url) as (running, postgres):
        engine = build_engine(running.database_url)
        await upgrade(engine)
        async with EmulatorClient(server.url, bot_token=TOKEN) as client:
            yield Stage(emu, server, client, running, postgres, build_session_factory(engine))
        await engine.dispose()


async def _admin(stage: Stage) -> FakeUser:
    now = stage.cluster.clock.now()
    stage.emu.add_user("Анна", user_id=ADMIN)
    stage.emu.bots[TOKEN].started_by.add(ADMIN)
    async with stage.session_factory() as session, session.begin():
        user_id = (
            await session.execute(
                insert(User)
                .values(
                    full_name="Анна",
                    settings={},
                    is_active=True,
                    started_at=now,
                    created_at=now,
                )
                .returning(User.id)
            )
        ).scalar_one()
        await session.execute(
            insert(Account).values(
                user_id=user_id, messenger="telegram", external_id=ADMIN, chat_id=ADMIN,
                created_at=now,
            )
        )  # fmt: skip
        await session.execute(
            insert(Membership).values(user_id=user_id, role=Role.ADMIN, created_at=now)
        )
    return FakeUser(stage.client, {"id": ADMIN, "first_name": "Анна"}, timeout=60)


async def _curators(stage: Stage, count: int) -> list[int]:
    """People with a notice each in the outbox, due now (sent at the next tick)."""
    now = stage.cluster.clock.now()
    ids = list(range(700_000_001, 700_000_001 + count))
    async with stage.session_factory() as session, session.begin():
        user_ids = (
            await session.execute(
                insert(User).returning(User.id),
                [
                    {
                        "full_name": "Куратор",
                        "settings": {},
                        "is_active": True,
                        "started_at": now,
                        "created_at": now,
                    }
                    for _ in ids
                ],
            )
        ).scalars()
        pairs = list(zip(user_ids, ids, strict=True))
        await session.execute(
            insert(Account),
            [
                {"user_id": u, "messenger": "telegram", "external_id": i, "chat_id": i,
                 "created_at": now}
                for u, i in pairs
            ],
        )  # fmt: skip
        recipients = [Recipient(user_id, chat_id) for user_id, chat_id in pairs]
        await queue_notice(
            session,
            stage.cluster.clock,
            "blocked_notice",
            "user",
            1,
            recipients,
            event="ops",
            payload={"name": "Коллега", "school": "Школа", "tz": "Europe/Moscow"},
        )
    for i in ids:
        stage.emu.add_user("Куратор", user_id=i)
        stage.emu.bots[TOKEN].started_by.add(i)
    return ids


async def _spawn(running: Cluster, name: str, **extra: str) -> tuple[BotProcess, int]:
    port = free_port()
    process = await running.spawn(name, **WATCH, METRICS_PORT=str(port), **extra)
    return process, port


async def _metrics(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as answer,
    ):
        body = await answer.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def _sum(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str):
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls)


async def _wait(stage: Stage, done: Callable[[], bool], what: str, limit: float = 60) -> None:
    await stage.until(done, what, limit)


def _texts(stage: Stage) -> list[str]:
    return stage.received(ADMIN)


async def test_two_processes_alert_once_and_notice_a_stopped_scheduler(stage: Stage) -> None:
    running = stage.cluster
    anna = await _admin(stage)
    loop = asyncio.get_running_loop()
    (_, port_a), (bot_b, port_b) = await asyncio.gather(
        _spawn(running, "bot-a"),
        _spawn(running, "bot-b", REMINDER_TICK_SECONDS="3600"),  # its scheduler never ticks
    )
    started = loop.time()

    # Bot-b's scheduler: noticed within the threshold (and told once, by one process).
    await _wait(stage, lambda: any("Планировщик процесса bot-b" in t for t in _texts(stage)), "b")
    assert loop.time() - started <= TICK_ALERT + 4
    assert not any("bot-a" in t for t in _texts(stage))  # bot-a ticks every 5 s

    # 429s and 5xx for a while: the notices to six curators fail in the senders' hands.
    curators = await _curators(stage, 6)
    await stage.client.set_faults(1.0, ["429", "500"], seconds=14, retry_after=1, seed=3)
    await _wait(stage, lambda: any("мессенджер отвечает ошибками" in t for t in _texts(stage)), "!")
    await _wait(stage, lambda: any(t.startswith("✅") for t in _texts(stage)), "all-clear")
    await _wait(stage, lambda: all(stage.received(i) for i in curators), "the notices went out")
    texts = _texts(stage)
    assert sum("⚠️ telegram: мессенджер отвечает ошибками" in t for t in texts) == 1, texts
    assert sum(t.startswith("✅") and "(telegram)" in t for t in texts) == 1, texts
    a, b = await _metrics(port_a), await _metrics(port_b)
    assert (
        _sum(a, "kurator_api_errors_total", code="429")
        + _sum(b, "kurator_api_errors_total", code="429")
        > 0
    )
    assert (
        _sum(a, "kurator_api_errors_total", code="5xx")
        + _sum(b, "kurator_api_errors_total", code="5xx")
        > 0
    )
    told = _sum(a, "kurator_alert_messages_total", event="raised") + _sum(
        b, "kurator_alert_messages_total", event="raised"
    )
    assert told == 2  # bot-b's scheduler, the outage: each told by one process only
    assert _sum(a, "kurator_update_handling_seconds_count") >= 0
    assert _sum(a, "kurator_peer_heartbeat_age_seconds", peer="bot-b") < 3

    # Bot-b dies without a word: bot-a notices its silence.
    await bot_b.kill()
    await _wait(stage, lambda: any("Процесс bot-b" in t for t in _texts(stage)), "b is silent")

    await anna.send("/health")
    health = await _reply(anna, "Состояние доставки")
    assert "bot-a" in health and "bot-b" in health
    assert "Redis: доступен" in health
    assert "process:bot-b" in health and "scheduler:bot-b" in health
    assert "Отправлено за час: 6" in health

    lines = (running.folder / "bot-a.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert len(records) > 10
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r.get("process") == "bot-a" for r in records)
    assert not any("Анна" in line or "Куратор" in line for line in lines)


async def _reply(person: FakeUser, contains: str) -> str:
    while True:
        message = await person.expect_reply()
        if contains in message.text:
            return message.text
