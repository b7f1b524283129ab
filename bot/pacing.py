"""Outgoing flood control: a client-session middleware that paces sends under Telegram's limits.

aiogram has no outgoing rate limiter, so every request that posts a message passes through
here: a global budget per bot (30 messages/s) and one per chat (about 1/s in private chats
with a small burst, 20/min in groups), scheduled with GCRA so concurrent senders queue fairly.
A 429 answer blocks that chat (or the whole bot) for retry_after and the request is retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

_NOT_MESSAGES = {"SendChatAction"}
_ALSO_MESSAGES = {"CopyMessage", "ForwardMessage", "CopyMessages", "ForwardMessages"}


@dataclass(frozen=True)
class PaceLimits:
    """Sending budget; defaults follow Telegram's published guidance with a 2% margin."""

    global_per_second: float = 30.0
    global_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20
    margin: float = 1.02
    max_retries: int = 5


class _Gcra:
    """Generic cell rate algorithm: when may the next message of one budget go."""

    def __init__(self, per_second: float, burst: int, margin: float) -> None:
        self.interval = margin / per_second
        self.burst = burst
        self.tolerance = (burst - 1) * self.interval
        self.tat = 0.0  # theoretical arrival time of the next message

    def earliest(self, now: float, count: int = 1) -> float:
        """When `count` messages may go at once: an album needs room for all of it, and one
        larger than the burst needs the whole bucket (Telegram then slows the chat down)."""
        room = min(count, self.burst) - 1
        return max(now, self.tat - self.tolerance + room * self.interval)

    def book(self, at: float, count: int) -> None:
        self.tat = max(self.tat, at) + self.interval * count


class RequestPacer(BaseRequestMiddleware):
    """Delays message-posting requests so the bot stays inside its limits; retries 429s."""

    def __init__(
        self,
        limits: PaceLimits | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._now = monotonic
        self._sleep = sleep
        self.configure(limits or PaceLimits())
        self.waited = 0.0  # seconds spent waiting, for benchmarks
        self.retries = 0

    def configure(self, limits: PaceLimits) -> None:
        """Use new limits from now on (simulations lift them; time there is not real)."""
        self.limits = limits
        self._global = _Gcra(limits.global_per_second, limits.global_burst, limits.margin)
        self._chats: dict[int | str, _Gcra] = {}

    def _chat(self, chat_id: int | str) -> _Gcra:
        gcra = self._chats.get(chat_id)
        if gcra is None:
            lim = self.limits
            is_group = isinstance(chat_id, str) or chat_id < 0
            gcra = (
                _Gcra(lim.group_per_minute / 60.0, lim.group_burst, lim.margin)
                if is_group
                else _Gcra(lim.private_per_second, lim.private_burst, lim.margin)
            )
            self._chats[chat_id] = gcra
        return gcra

    async def _reserve(self, chat_id: int | str, count: int) -> None:
        now = self._now()
        chat = self._chat(chat_id)
        at = max(self._global.earliest(now, count), chat.earliest(now, count))
        self._global.book(at, count)
        chat.book(at, count)
        if at > now:
            self.waited += at - now
            await self._sleep(at - now)

    def _block(self, chat_id: int | str, seconds: float) -> None:
        until = self._now() + seconds
        chat = self._chat(chat_id)
        chat.tat = max(chat.tat, until + chat.tolerance)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = type(method).__name__
        chat_id: int | str | None = getattr(method, "chat_id", None)
        counted = chat_id is not None and (
            name in _ALSO_MESSAGES or (name.startswith("Send") and name not in _NOT_MESSAGES)
        )
        if not counted or chat_id is None:
            return await make_request(bot, method)
        media = getattr(method, "media", None)
        count = len(media) if name == "SendMediaGroup" and isinstance(media, list) else 1
        for attempt in range(self.limits.max_retries + 1):
            await self._reserve(chat_id, count)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.limits.max_retries:
                    raise
                self.retries += 1
                log.info("429 for chat %s: waiting %s s", chat_id, exc.retry_after)
                self._block(chat_id, exc.retry_after)
        raise AssertionError("unreachable")
