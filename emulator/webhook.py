"""Webhook delivery, as Telegram does it: POST each update in order, retry until a 2xx answer.

One delivery loop per bot with a webhook; updates leave the queue only when the bot's server
accepted them, so a bot process that dies mid-request gets the update again.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from emulator.state import BotAccount, Emulator

RETRY_SECONDS = (0.05, 0.2, 1.0, 2.0)


class WebhookDelivery:
    """Runs a delivery loop for every bot whose webhook is set."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.http: aiohttp.ClientSession | None = None
        self.delivered = 0
        self.refused = 0

    def ensure(self, bot: BotAccount) -> None:
        """Start the loop of `bot` if its webhook is set and no loop runs."""
        task = self.tasks.get(bot.token)
        if bot.webhook_url and (task is None or task.done()):
            self.tasks[bot.token] = asyncio.create_task(self._run(bot))

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.http is not None:
            await self.http.close()

    async def _run(self, bot: BotAccount) -> None:
        self.http = self.http or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        failures = 0
        while bot.webhook_url:
            update = await self._next(bot)
            if update is None:
                continue
            if await self._post(bot, update):
                failures = 0
                self.delivered += 1
                bot.updates = [u for u in bot.updates if u["update_id"] != update["update_id"]]
                bot.confirmed_offset = max(bot.confirmed_offset, update["update_id"] + 1)
            else:
                self.refused += 1
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1

    async def _next(self, bot: BotAccount) -> dict[str, Any] | None:
        async with self.emu.changed:
            if not bot.updates and bot.webhook_url:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.emu.changed.wait(), 1.0)
        return bot.updates[0] if bot.updates else None

    async def _post(self, bot: BotAccount, update: dict[str, Any]) -> bool:
        assert self.http is not None
        headers = {"Content-Type": "application/json"}
        if bot.webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = bot.webhook_secret
        try:
            async with self.http.post(bot.webhook_url, json=update, headers=headers) as response:
                await response.read()
                return 200 <= response.status < 300
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False
