"""MAX by webhook: the emulator posts updates to the bot's own web server; only with the
secret; a body that is no MAX update is a clear 400; a repeated post is handled once; nothing
polls MAX meanwhile. Alone (MAX only) and beside Telegram's webhook in one process."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import Application
from bot.settings import Settings
from core.clock import ManualClock
from core.invitations import create_invitation
from core.roles import Role
from emulator import EmulatorClient, EmulatorServer
from emulator.max import MaxEmulatorClient, MaxRateLimits
from emulator.max.state import WebhookPolicy
from tests.harness import TOKEN
from tests.max_harness import MAX_BOT_USERNAME, MAX_TOKEN, max_server

QUICK = WebhookPolicy(first_retry=0.05, factor=1.0, max_retries=10, give_up_after=60.0)
HOOK = "/kurator/max"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _running(app: Application, run: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
    task = asyncio.create_task(run())
    started = asyncio.create_task(app.started.wait())
    done, _ = await asyncio.wait({task, started}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    assert started in done, task.exception() if task.done() else "the bot did not start"
    return task


@pytest.fixture
async def max_client(clock: ManualClock) -> AsyncIterator[MaxEmulatorClient]:
    async with (
        max_server(MaxRateLimits.off(), clock=clock, webhooks=QUICK) as server,
        MaxEmulatorClient(server.url, bot_token=MAX_TOKEN) as client,
    ):
        yield client


def _max_settings(client: MaxEmulatorClient, db_url: str, port: int, **more: object) -> Settings:
    return Settings(
        max_token=SecretStr(MAX_TOKEN),
        max_api_url=client.base_url,
        max_bot_username=MAX_BOT_USERNAME,
        max_webhook_url=f"http://127.0.0.1:{port}{HOOK}",
        database_url=db_url,
        scheduler_enabled=False,
        webhook_port=port,
        _env_file=None,
        **more,  # type: ignore[arg-type]
    )


async def _coordinator_code(app: Application, clock: ManualClock) -> str:
    async with app.session_factory() as session, session.begin():
        invitation = await create_invitation(session, clock, role=Role.COORDINATOR, school_id=None)
        return invitation.code


async def test_max_alone_by_webhook_with_its_secret_once_per_update(
    max_client: MaxEmulatorClient, db_url: str, clock: ManualClock
) -> None:
    port = _free_port()
    settings = _max_settings(max_client, db_url, port)
    app = Application(settings, clock)
    task = await _running(app, app.run_polling)  # the default run: nothing to poll
    try:
        subscription = await max_client.subscription()
        assert subscription is not None and subscription["url"].endswith(HOOK)
        olga = await max_client.add_user("Ольга", "Методистова")
        await olga.start(await _coordinator_code(app, clock))
        await olga.expect_reply("координатор")
        await olga.send("/help")
        await olga.expect_reply("Команды")

        base = f"http://127.0.0.1:{port}{HOOK}"
        real = {
            "update_type": "message_created",
            "timestamp": 1_764_669_600_000,
            "message": {
                "sender": {"user_id": olga.id, "first_name": "Ольга", "is_bot": False},
                "recipient": {"chat_id": olga.dialog_id, "chat_type": "dialog"},
                "timestamp": 1_764_669_600_000,
                "body": {"mid": "mid.forged.1", "seq": 1, "text": "/help"},
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Max-Bot-Api-Secret": "guess"}):
                async with http.post(base, json=real, headers=headers) as answer:
                    assert answer.status == 401
            await olga.expect_silence(wait=0.3)  # the unsigned posts were ignored
            right = {"X-Max-Bot-Api-Secret": settings.max_webhook_secret_token()}
            for body in (b"{not json", b"[1, 2]", b'{"update_type": 5}'):
                async with http.post(base, data=body, headers=right) as answer:
                    assert answer.status == 400, (body, answer.status)
            # MAX posts again what it thinks was not taken: the same update is handled once.
            for _ in range(2):
                async with http.post(base, json=real, headers=right) as answer:
                    assert answer.status == 200
        await olga.expect_reply("Команды")
        await olga.expect_silence(wait=0.5)
        assert not await max_client.requests("GET /updates")
    finally:
        await app.stop()
        await asyncio.wait_for(task, 30)


async def test_telegram_and_max_both_by_webhook_in_one_process(
    max_client: MaxEmulatorClient,
    server: EmulatorServer,
    client: EmulatorClient,
    db_url: str,
    clock: ManualClock,
) -> None:
    port = _free_port()
    settings = _max_settings(
        max_client,
        db_url,
        port,
        bot_token=TOKEN,
        telegram_api_url=server.url,
        webhook_url=f"http://127.0.0.1:{port}/kurator/telegram",
    )
    app = Application(settings, clock)
    stop = asyncio.Event()
    task = await _running(app, lambda: app.run_webhook(stop))
    try:
        anna = await max_client.add_user("Анна")
        await anna.start(await _coordinator_code(app, clock))
        await anna.expect_reply("координатор")
        ivan = await client.add_user("Иван")
        await ivan.send(f"/start {await _coordinator_code(app, clock)}")
        await ivan.expect_reply("координатор")
        assert not await max_client.requests("GET /updates")
        assert not any(k.lower() == "getupdates" for k in server.emulator.stats.requests)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
