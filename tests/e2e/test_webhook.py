"""Webhook mode: the emulator posts updates; a wrong secret is refused; health is reported."""

from __future__ import annotations

import asyncio
import socket

import aiohttp

from bot.app import Application
from bot.settings import Settings
from core.clock import Clock
from core.invitations import create_invitation
from core.roles import Role
from emulator import EmulatorClient, EmulatorServer
from tests.harness import TOKEN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_updates_arrive_by_webhook_and_only_with_the_secret(
    server: EmulatorServer, client: EmulatorClient, db_url: str, clock: Clock
) -> None:
    port = _free_port()
    settings = Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        scheduler_enabled=False,
        webhook_url=f"http://127.0.0.1:{port}/kurator/hook",
        webhook_port=port,
        _env_file=None,
    )
    app = Application(settings, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(app.run_webhook(stop))
    started = asyncio.create_task(app.started.wait())
    done, _ = await asyncio.wait({task, started}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    assert started in done, task.exception() if task.done() else "webhook server did not start"
    try:
        async with app.session_factory() as session, session.begin():
            code = (
                await create_invitation(session, clock, role=Role.COORDINATOR, school_id=None)
            ).code
        olga = await client.add_user("Ольга")
        await olga.send(f"/start {code}")
        await olga.expect_reply("координатор")
        await olga.send("/help")
        await olga.expect_reply("Команды")

        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{port}"
            forged = {
                "update_id": 999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": olga.id, "type": "private"},
                    "from": {"id": olga.id, "is_bot": False, "first_name": "X"},
                    "text": "/help",
                },
            }
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with http.post(
                    f"{base}/kurator/hook", json=forged, headers=headers
                ) as response:
                    assert response.status == 401
            await olga.expect_silence(wait=0.3)  # the forged update was ignored
            # The right secret with a body that is no update: a clear 400, never a 500.
            right = {"X-Telegram-Bot-Api-Secret-Token": settings.webhook_secret_token()}
            for body in (b"{not json", b'{"update_id": "x"}', b"[1, 2]"):
                async with http.post(f"{base}/kurator/hook", data=body, headers=right) as answer:
                    assert answer.status == 400, (body, answer.status)
            assert server.emulator.webhooks.delivered >= 1
            assert not any(k.lower() == "getupdates" for k in server.emulator.stats.requests)
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200 and (await response.json()) == {"ok": True}
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
