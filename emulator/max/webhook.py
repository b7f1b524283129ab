"""Webhook delivery as MAX documents it: each Update POSTed to the subscription's URL with the
secret in X-Max-Bot-Api-Secret; only a 200 answer counts; a failed update is retried after
60 s, then 2.5 times longer each time, up to 10 times; after 8 hours of failures the bot is
unsubscribed (WebhookPolicy scales these for tests). Updates of one chat go one at a time,
in order; chats go in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from emulator.max.state import MaxBot, MaxEmulator, Subscription, chat_of_update

SECRET_HEADER = "X-Max-Bot-Api-Secret"


@dataclass
class _Flight:
    tasks: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    chats: set[int] = field(default_factory=set)
    failures: dict[int, int] = field(default_factory=dict)
    not_before: dict[int, float] = field(default_factory=dict)
    failing_since: float | None = None


class MaxWebhooks:
    """A delivery loop for every bot with a subscription."""

    def __init__(self, emu: MaxEmulator) -> None:
        self.emu = emu
        self.loops: dict[str, asyncio.Task[None]] = {}
        self.http: aiohttp.ClientSession | None = None

    def ensure(self, bot: MaxBot) -> None:
        """Start `bot`'s loop if it is subscribed and none runs."""
        task = self.loops.get(bot.token)
        if bot.subscription is not None and (task is None or task.done()):
            self.loops[bot.token] = asyncio.create_task(self._run(bot))

    def ensure_all(self) -> None:
        for bot in self.emu.bots.values():
            self.ensure(bot)

    async def close(self) -> None:
        for task in self.loops.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.http is not None:
            await self.http.close()

    async def _run(self, bot: MaxBot) -> None:
        if self.http is None:
            self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        flight = _Flight()
        try:
            while bot.subscription is not None:
                wait = self._launch(bot, bot.subscription, flight)
                async with self.emu.changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.emu.changed.wait(), wait)
        finally:
            for task in flight.tasks.values():
                task.cancel()

    def _launch(self, bot: MaxBot, sub: Subscription, flight: _Flight) -> float:
        """Start every update that may go now; how long to wait at most before looking again."""
        now = asyncio.get_running_loop().time()
        if sub.update_types is not None:  # types not subscribed to are never delivered
            bot.updates = [(n, u) for n, u in bot.updates if u["update_type"] in sub.update_types]
        wait, held = 1.0, set()  # held: chats with an earlier update not yet delivered
        for number, update in list(bot.updates):
            if len(flight.tasks) >= self.emu.webhook_policy.connections:
                break
            chat = chat_of_update(update)
            due = flight.not_before.get(number, 0.0)
            if number in flight.tasks or chat in flight.chats or chat in held or due > now:
                if due > now:
                    wait = min(wait, due - now)
                if chat is not None:
                    held.add(chat)
                continue
            if chat is not None:
                flight.chats.add(chat)
            flight.tasks[number] = asyncio.create_task(
                self._deliver(bot, sub, flight, number, update)
            )
        return max(wait, 0.001)

    async def _deliver(
        self, bot: MaxBot, sub: Subscription, flight: _Flight, number: int, update: Any
    ) -> None:
        policy, stats = self.emu.webhook_policy, self.emu.stats
        now = asyncio.get_running_loop().time
        try:
            if await self._post(sub, update):
                stats.webhook_delivered += 1
                flight.failing_since = None
                self._forget(bot, flight, number)
                return
            stats.webhook_failed += 1
            failures = flight.failures[number] = flight.failures.get(number, 0) + 1
            if flight.failing_since is None:
                flight.failing_since = now()
            if now() - flight.failing_since >= policy.give_up_after:
                if bot.subscription is sub:
                    bot.subscription = None  # "the bot is unsubscribed automatically"
            elif failures > policy.max_retries:
                self._forget(bot, flight, number)
            else:
                flight.not_before[number] = now() + policy.delay(failures)
        finally:
            flight.tasks.pop(number, None)
            flight.chats.discard(chat_of_update(update) or 0)
            await self.emu.notify()

    @staticmethod
    def _forget(bot: MaxBot, flight: _Flight, number: int) -> None:
        bot.updates = [(n, u) for n, u in bot.updates if n != number]
        flight.failures.pop(number, None)
        flight.not_before.pop(number, None)

    async def _post(self, sub: Subscription, update: Any) -> bool:
        assert self.http is not None
        headers = {SECRET_HEADER: sub.secret} if sub.secret else {}
        timeout = aiohttp.ClientTimeout(total=self.emu.webhook_policy.timeout)
        try:
            async with self.http.post(
                sub.url, json=update, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError, OSError):
            return False
