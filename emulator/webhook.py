"""Webhook delivery, as Telegram does it: POST updates over up to `max_connections` parallel
requests, one at a time per chat (so a conversation keeps its order), retry until a 2xx answer.

Updates leave the queue only when the bot's server accepted them, so a bot process that dies
mid-request gets the update posted again (to whichever process the proxy picks).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from emulator.state import BotAccount, Emulator

RETRY_SECONDS = (0.05, 0.2, 1.0, 2.0)
DEFAULT_MAX_CONNECTIONS = 40  # Telegram's default for setWebhook


def chat_of(update: dict[str, Any]) -> int | None:
    """The chat an update belongs to (its ordering key); None for chatless updates."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        message = payload.get("message") if kind == "callback_query" else payload
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return int(message["chat"]["id"])
        sender = payload.get("from") or payload.get("user")
        if isinstance(sender, dict):
            return int(sender["id"])
    return None


@dataclass
class _Flight:
    """What one bot's delivery loop has in the air and what waits for a retry."""

    tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    chats: set[int] = field(default_factory=set)
    failures: dict[int, int] = field(default_factory=dict)
    not_before: dict[int, float] = field(default_factory=dict)


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
        if self.http is None:
            connector = aiohttp.TCPConnector(limit=0)  # the per-bot cap below is the limit
            self.http = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=60)
            )
        flight = _Flight()
        try:
            while bot.webhook_url:
                wait = self._launch(bot, flight)
                async with self.emu.changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.emu.changed.wait(), wait)
        finally:
            for task in flight.tasks.values():
                task.cancel()

    def _launch(self, bot: BotAccount, flight: _Flight) -> float:
        """Start every update that may go now; returns how long to wait at most."""
        now = asyncio.get_running_loop().time()
        wait = 1.0
        waiting_chats: set[int] = set()  # an earlier update of the chat is still queued
        self.emu.pending_updates(bot, None, 0)  # drops the types the bot did not ask for
        for update in list(bot.updates):
            if len(flight.tasks) >= bot.webhook_max_connections:
                break
            update_id = update["update_id"]
            chat = chat_of(update)
            blocked = chat is not None and (chat in flight.chats or chat in waiting_chats)
            if update_id in flight.tasks or blocked:
                if chat is not None:
                    waiting_chats.add(chat)
                continue
            due = flight.not_before.get(update_id, 0.0)
            if due > now:
                wait = min(wait, due - now)
                if chat is not None:
                    waiting_chats.add(chat)
                continue
            if chat is not None:
                flight.chats.add(chat)
            flight.tasks[update_id] = asyncio.create_task(self._deliver(bot, flight, update))
        return max(wait, 0.001)

    async def _deliver(self, bot: BotAccount, flight: _Flight, update: dict[str, Any]) -> None:
        update_id, chat = update["update_id"], chat_of(update)
        try:
            if await self._post(bot, update):
                self.delivered += 1
                flight.failures.pop(update_id, None)
                flight.not_before.pop(update_id, None)
                bot.updates = [u for u in bot.updates if u["update_id"] != update_id]
                bot.confirmed_offset = max(bot.confirmed_offset, update_id + 1)
            else:
                self.refused += 1
                failures = flight.failures.get(update_id, 0)
                flight.failures[update_id] = failures + 1
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                flight.not_before[update_id] = asyncio.get_running_loop().time() + delay
        finally:
            flight.tasks.pop(update_id, None)
            if chat is not None:
                flight.chats.discard(chat)
            await self.emu.notify()

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
