"""A MAX emulator for tests (one bot), and raw Bot API calls made as MAX clients make them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from core.clock import Clock, ManualClock
from emulator.max import MaxEmulator, MaxEmulatorServer, MaxRateLimits
from emulator.max.state import UploadPolicy, WebhookPolicy

MAX_TOKEN = "max-kurator-test-token-0123456789abcdef"
MAX_BOT_USERNAME = "kurator_test_bot"
# The emulator's own tests do not depend on the suite's moment: a fixed one.
EMULATOR_MOMENT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def fixed_clock() -> ManualClock:
    return ManualClock(EMULATOR_MOMENT)


@contextlib.asynccontextmanager
async def max_server(
    limits: MaxRateLimits | None = None,
    *,
    clock: Clock | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    uploads: UploadPolicy | None = None,
    webhooks: WebhookPolicy | None = None,
) -> AsyncIterator[MaxEmulatorServer]:
    """A MAX emulator on a loopback port with the test bot (MAX_TOKEN)."""
    emu = MaxEmulator(
        limits,
        clock=clock or fixed_clock(),
        monotonic=monotonic,
        uploads=uploads,
        webhooks=webhooks,
    )
    emu.add_bot(MAX_TOKEN, MAX_BOT_USERNAME)
    async with MaxEmulatorServer(emu) as server:
        yield server


class MaxApi:
    """Bot API requests with the token in `Authorization`, answers as (status, JSON)."""

    def __init__(self, base_url: str, token: str = MAX_TOKEN) -> None:
        self.base_url = base_url
        self.token = token
        self.http = aiohttp.ClientSession()

    async def close(self) -> None:
        await self.http.close()

    async def call(
        self,
        verb: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = {"Authorization": self.token} if headers is None else headers
        params = {k: _text(v) for k, v in (query or {}).items()}
        kwargs: dict[str, Any] = {"params": params, "headers": sent}
        if json is not None:
            kwargs["json"] = json
        async with self.http.request(verb, self.base_url + path, **kwargs) as response:
            body = await response.json(content_type=None)
            return response.status, body

    async def ok(self, verb: str, path: str, **kwargs: Any) -> Any:
        status, body = await self.call(verb, path, **kwargs)
        assert status == 200, (verb, path, status, body)
        return body

    async def updates(self, marker: int | None = None, **query: Any) -> dict[str, Any]:
        """One long poll (timeout 0 unless given)."""
        query.setdefault("timeout", 0)
        if marker is not None:
            query["marker"] = marker
        found: dict[str, Any] = await self.ok("GET", "/updates", query=query)
        return found

    async def send(self, text: str | None = None, **target: Any) -> dict[str, Any]:
        """POST /messages with a text (and `body` extras); returns the Message."""
        body = dict(target.pop("body", {}))
        if text is not None:
            body["text"] = text
        found = await self.ok("POST", "/messages", query=target, json=body)
        message: dict[str, Any] = found["message"]
        return message

    async def upload(self, kind: str, name: str, data: bytes) -> Any:
        """POST /uploads, then the file to the URL; returns what the upload URL answered."""
        endpoint = await self.ok("POST", "/uploads", query={"type": kind})
        form = aiohttp.FormData()
        form.add_field("data", data, filename=name)
        async with self.http.post(endpoint["url"], data=form) as response:
            assert response.status == 200, await response.text()
            if response.content_type == "application/json":
                return await response.json()
            return {"retval": await response.text(), **endpoint}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    + b"\x00" * 40
)
