"""Outgoing flood control per messenger: when each request of a bot may go.

aiogram has no outgoing rate limiter. Each bot has a global budget and one per chat, scheduled
with GCRA so concurrent senders queue fairly (a sender books the earliest moment every budget
allows and sleeps until then; nobody polls). Telegram's global budget counts messages (30/s);
MAX's counts every request (about 30/s: sends, edits, answers, uploads, polling), so MAX's
client waits before each HTTP request (messengers/max/client.py); Telegram's message methods
wait in this client-session middleware, which also retries what met a 429 in both.
The budgets live in process memory, or in Redis with `REDIS_URL`, shared by every process of
the bot (keys per messenger and bot), so N processes together stay within one bot's limits.
A 429 answer blocks that chat (or the whole bot) for retry_after, for every process too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

T = TypeVar("T")

_KEEP = 10_000  # chats' budgets kept in memory before the spent ones are dropped
_NOT_MESSAGES = {"SendChatAction"}
_ALSO_MESSAGES = {"CopyMessage", "ForwardMessage", "CopyMessages", "ForwardMessages"}


@dataclass(frozen=True)
class PaceLimits:
    """Budgets of one bot; defaults follow Telegram's published guidance with a 2% margin."""

    global_per_second: float = 30.0
    global_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20
    margin: float = 1.02
    max_retries: int = 5


# MAX: about 2 messages a second in any chat, about 30 requests a second per bot (docs/max.md).
MAX_PACE = PaceLimits(
    private_per_second=2.0, private_burst=2, group_per_minute=120.0, group_burst=2
)


@dataclass(frozen=True)
class Budget:
    """One GCRA budget: a cell every `interval` seconds, `burst` cells at once."""

    key: str
    interval: float
    burst: int


class Booking(NamedTuple):
    """A reservation's answer: seconds to wait, whether it was booked (else: come back then),
    and that moment on the store's clock (Redis's TIME: comparable across processes)."""

    wait: float
    booked: bool
    at: float


class Budgets(Protocol):
    """Where budgets are kept: this process's memory or Redis (shared)."""

    async def reserve(self, budgets: Sequence[Budget], count: int) -> Booking:
        """Book `count` cells in every budget at the earliest moment all allow: the seconds
        to it and True. The first budget is the bot's: when a chat's budget alone makes the
        wait longer than the bot's burst lasts, nothing is booked (a far booking would hold
        every other chat back): the seconds to come back and False."""
        ...

    async def block(self, budget: Budget, seconds: float) -> None:
        """Nothing in `budget` for `seconds` from now (a 429's retry_after)."""
        ...

    async def close(self) -> None: ...


class MemoryBudgets:
    """Budgets of this process only (no REDIS_URL); `monotonic` is injected by tests."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._tats: dict[str, float] = {}  # theoretical arrival time of each budget's next cell

    async def reserve(self, budgets: Sequence[Budget], count: int) -> Booking:
        now = self._now()
        # Room for all `count` at once (an album); more than the burst needs it whole.
        earliest = [
            self._tats.get(b.key, 0.0) - (b.burst - min(count, b.burst)) * b.interval
            for b in budgets
        ]
        lead, at = max(now, earliest[0]), max([now, *earliest])
        if at > lead + (budgets[0].burst - 1) * budgets[0].interval:
            return Booking(at - now, False, at)
        if len(self._tats) > _KEEP:  # a budget whose time has passed is as good as none
            self._tats = {k: t for k, t in self._tats.items() if t > now}
        for b in budgets:
            self._tats[b.key] = max(self._tats.get(b.key, 0.0), at) + b.interval * count
        return Booking(at - now, True, at)

    async def block(self, budget: Budget, seconds: float) -> None:
        until = self._now() + seconds + (budget.burst - 1) * budget.interval
        self._tats[budget.key] = max(self._tats.get(budget.key, 0.0), until)

    async def close(self) -> None:
        return None


# The same GCRA as MemoryBudgets in one atomic script, on Redis's clock (TIME) so processes on
# several hosts agree. ARGV: mode (reserve|block), count (cells, or seconds to block), then
# interval and burst of each key. Answers {booked, seconds to wait, the moment}, numbers as
# strings (Lua numbers would be truncated to integers on the way out).
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mode, count = ARGV[1], tonumber(ARGV[2])
local at, lead, tats = now, now, {}
for i, key in ipairs(KEYS) do
  local interval, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  tats[i] = tonumber(redis.call('GET', key) or '0')
  local earliest = tats[i] - (burst - math.min(count, burst)) * interval
  at = math.max(at, earliest)
  if i == 1 then lead = math.max(now, earliest) end
end
if mode == 'reserve' and at > lead + (tonumber(ARGV[4]) - 1) * tonumber(ARGV[3]) then
  return {0, string.format('%.6f', at - now), string.format('%.6f', at)}
end
for i, key in ipairs(KEYS) do
  local interval, burst = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local tat
  if mode == 'reserve' then
    tat = math.max(tats[i], at) + interval * count
  else
    tat = math.max(tats[i], now + count + (burst - 1) * interval)
  end
  redis.call('SET', key, string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
end
return {1, string.format('%.6f', at - now), string.format('%.6f', at)}
"""


class RedisBudgets:
    """Budgets in Redis, shared by every process of a bot (REDIS_URL). While Redis cannot be
    reached each process paces itself (reminders keep going; a 429 is retried)."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._script = self._redis.register_script(_GCRA)
        self._fallback = MemoryBudgets()
        self._down = False

    async def _run(self, budgets: Sequence[Budget], mode: str, count: float) -> Booking:
        from redis.exceptions import RedisError

        args: list[Any] = [mode, count]
        for b in budgets:
            args += [b.interval, b.burst]
        try:
            booked, seconds, at = await self._script(keys=[b.key for b in budgets], args=args)
        except (RedisError, OSError) as error:
            if not self._down:
                log.warning("pacing without Redis for now: %s", type(error).__name__)
            self._down = True
            if mode == "block":
                await self._fallback.block(budgets[0], count)
                return Booking(0.0, True, 0.0)
            return await self._fallback.reserve(budgets, int(count))
        self._down = False
        return Booking(float(seconds), bool(booked), float(at))

    async def reserve(self, budgets: Sequence[Budget], count: int) -> Booking:
        return await self._run(budgets, "reserve", count)

    async def block(self, budget: Budget, seconds: float) -> None:
        await self._run([budget], "block", seconds)

    async def close(self) -> None:
        await self._redis.aclose()


def build_budgets(redis_url: str | None) -> Budgets:
    """Shared budgets with Redis, this process's own without."""
    return RedisBudgets(redis_url) if redis_url else MemoryBudgets()


class RequestPacer(BaseRequestMiddleware):
    """The budgets of one bot. As a session middleware (Telegram) it delays message-posting
    requests; `run` paces any request (MAX's client calls it for each one)."""

    def __init__(
        self,
        limits: PaceLimits | None = None,
        *,
        budgets: Budgets | None = None,
        bot: str = "bot",
        every_request: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.budgets = budgets or MemoryBudgets(monotonic)
        self.prefix = f"kurator:pace:{bot}"  # one bot's keys; every process of it shares them
        self._sleep = sleep
        # MAX: the client waits before each HTTP request and blocks on a 429 (one method may
        # make several requests); here a method that met a 429 is only tried again.
        self.every_request = every_request
        self.configure(limits or PaceLimits())
        self.waited = 0.0  # seconds spent waiting, for benchmarks
        self.retries = 0

    def configure(self, limits: PaceLimits) -> None:
        """Use new limits from now on (simulations lift them; time there is not real)."""
        self.limits = limits
        self._global = Budget(
            f"{self.prefix}:all", limits.margin / limits.global_per_second, limits.global_burst
        )

    def lift(self) -> None:
        """No limits at all (tests and benchmarks measuring the work, not the waiting)."""
        self.configure(
            replace(
                self.limits,
                global_per_second=1e6,
                global_burst=10**6,
                private_per_second=1e6,
                private_burst=10**6,
                group_per_minute=1e8,
                group_burst=10**6,
            )
        )

    def _chat(self, chat_id: int | str) -> Budget:
        lim = self.limits
        key = f"{self.prefix}:chat:{chat_id}"
        if isinstance(chat_id, str) or chat_id < 0:  # a group
            return Budget(key, lim.margin * 60.0 / lim.group_per_minute, lim.group_burst)
        return Budget(key, lim.margin / lim.private_per_second, lim.private_burst)

    def budgets_of(self, chat_id: int | str | None) -> list[Budget]:
        """The bot's budget, and the chat's for a message to `chat_id`."""
        return [self._global] if chat_id is None else [self._global, self._chat(chat_id)]

    async def wait(self, chat_id: int | str | None, count: int = 1) -> None:
        """Until `count` requests (to `chat_id`, if it is a message) may go."""
        booked = False
        while not booked:  # at most twice unless others keep booking the same chat
            delay, booked, _ = await self.budgets.reserve(self.budgets_of(chat_id), count)
            if delay > 0:
                self.waited += delay
                await self._sleep(delay)

    async def blocked(self, chat_id: int | str | None, seconds: float) -> None:
        """A 429: nothing to the chat, or from the bot for a request to no chat, for a while."""
        await self.budgets.block(self.budgets_of(chat_id)[-1], seconds)

    async def run(
        self,
        chat_id: int | str | None,
        count: int,
        request: Callable[[], Awaitable[T]],
        retry_after: Callable[[BaseException], float | None],
        *,
        pace: bool = True,
    ) -> T:
        """`request` when the budgets allow; a 429 (`retry_after` of an error is not None)
        blocks the chat, or the whole bot for a request to no chat, and the request is retried.
        `pace=False`: the request paces itself (MAX's client); only the retries are here."""
        for attempt in range(self.limits.max_retries + 1):
            if pace:
                await self.wait(chat_id, count)
            try:
                return await request()
            except Exception as error:
                seconds = retry_after(error)
                if seconds is None:
                    raise
                if pace:  # blocked even when giving up: a later attempt (the outbox's) waits
                    await self.blocked(chat_id, seconds)
                if attempt == self.limits.max_retries:
                    raise
                self.retries += 1
                log.info("429 for chat %s: waiting %s s", chat_id, seconds)
        raise AssertionError("unreachable")

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        send = partial(make_request, bot, method)
        if self.every_request:
            return await self.run(None, 1, send, _telegram_429, pace=False)
        name = type(method).__name__
        chat_id: int | str | None = getattr(method, "chat_id", None)
        counted = chat_id is not None and (
            name in _ALSO_MESSAGES or (name.startswith("Send") and name not in _NOT_MESSAGES)
        )
        if not counted or chat_id is None:
            return await make_request(bot, method)
        media = getattr(method, "media", None)
        count = len(media) if name == "SendMediaGroup" and isinstance(media, list) else 1
        return await self.run(chat_id, count, send, _telegram_429)


def _telegram_429(error: BaseException) -> float | None:
    return float(error.retry_after) if isinstance(error, TelegramRetryAfter) else None
