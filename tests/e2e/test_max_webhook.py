"""The MAX emulator's webhook: the secret header, retries, order per chat, no polling meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from emulator.max import MaxEmulatorClient, MaxEmulatorServer, MaxFakeUser, MaxRateLimits
from emulator.max.state import WebhookPolicy
from tests.max_harness import MAX_TOKEN, MaxApi, max_server

QUICK = WebhookPolicy(first_retry=0.05, factor=1.0, max_retries=10, give_up_after=60.0)


@dataclass
class Receiver:
    """A bot's web server: records every POST and answers with the next scripted status."""

    statuses: list[int] = field(default_factory=list)
    got: asyncio.Queue[tuple[dict[str, Any], str | None, int]] = field(
        default_factory=asyncio.Queue
    )
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        status = self.statuses.pop(0) if self.statuses else 200
        secret = request.headers.get("X-Max-Bot-Api-Secret")
        await self.got.put((await request.json(), secret, status))
        return web.Response(status=status)

    async def next(self) -> tuple[dict[str, Any], str | None, int]:
        return await asyncio.wait_for(self.got.get(), 10)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield found
    await runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[MaxEmulatorServer]:
    async with max_server(MaxRateLimits.off(), webhooks=QUICK) as srv:
        yield srv


@pytest.fixture
async def api(server: MaxEmulatorServer) -> AsyncIterator[MaxApi]:
    client = MaxApi(server.url)
    yield client
    await client.close()


@pytest.fixture
async def control(server: MaxEmulatorServer) -> AsyncIterator[MaxEmulatorClient]:
    async with MaxEmulatorClient(server.url, bot_token=MAX_TOKEN) as client:
        yield client


async def subscribe(api: MaxApi, url: str, **extra: Any) -> None:
    assert await api.ok("POST", "/subscriptions", json={"url": url, **extra}) == {"success": True}


async def test_updates_come_with_the_secret_and_polling_stops(
    api: MaxApi, control: MaxEmulatorClient, receiver: Receiver
) -> None:
    await subscribe(api, receiver.url, secret="s3cret-Value_1")
    listed = await api.ok("GET", "/subscriptions")
    assert [s["url"] for s in listed["subscriptions"]] == [receiver.url]
    person: MaxFakeUser = await control.add_user("Алиса")
    await person.start("code")
    update, secret, _ = await receiver.next()
    assert (update["update_type"], update["payload"], secret) == (
        "bot_started",
        "code",
        "s3cret-Value_1",
    )
    status, body = await api.call("GET", "/updates", query={"timeout": 0})
    assert (status, body["code"]) == (405, "method.not.allowed")
    missing = await api.ok("DELETE", "/subscriptions", query={"url": "https://other.example"})
    assert missing["success"] is False and missing["code"] == "not.found"
    await api.ok("DELETE", "/subscriptions", query={"url": receiver.url})
    await person.send("снова опрос")
    batch = await api.updates()
    assert batch["updates"][0]["message"]["body"]["text"] == "снова опрос"


async def test_a_failed_delivery_is_retried_and_a_chat_keeps_its_order(
    api: MaxApi, control: MaxEmulatorClient, receiver: Receiver
) -> None:
    receiver.statuses = [500, 204]  # anything but 200 is a failure
    await subscribe(api, receiver.url, update_types=["message_created"])
    person = await control.add_user("Борис")
    await person.start()  # bot_started: not subscribed to, never delivered
    await person.send("первое")
    await person.send("второе")
    texts = []
    for _ in range(4):
        update, secret, status = await receiver.next()
        texts.append((update["message"]["body"]["text"], status))
    assert secret is None
    assert texts == [("первое", 500), ("первое", 204), ("первое", 200), ("второе", 200)]
    stats = await control.stats()
    assert (stats["webhook_failed"], stats["webhook_delivered"]) == (2, 2)


async def test_a_webhook_failing_too_long_is_unsubscribed(
    api: MaxApi, control: MaxEmulatorClient, receiver: Receiver
) -> None:
    await control.set_webhook_policy(first_retry=0.05, give_up_after=0.0)
    receiver.statuses = [503]
    await subscribe(api, receiver.url)
    person = await control.add_user("Вера")
    await person.start()
    await receiver.next()
    assert await control.subscription(gone_within=10) is None
    assert (await api.ok("GET", "/subscriptions"))["subscriptions"] == []
    assert (await api.updates())["updates"][0]["update_type"] == "bot_started"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"url": "http://example.org/hook"}, "https"),
        ({"url": "https://example.org/hook", "update_types": ["message_sent"]}, "message_sent"),
        ({"url": "https://example.org/hook", "secret": "no spaces!"}, "secret"),
        ({"secret": "abcdef"}, "url"),
    ],
)
async def test_bad_subscriptions_are_refused(api: MaxApi, body: Any, fragment: str) -> None:
    status, answer = await api.call("POST", "/subscriptions", json=body)
    assert status == 400 and fragment in answer["message"], answer
