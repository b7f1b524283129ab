"""Pacing shared over a real Redis: two pacers of one bot (two processes) together keep one
bot's limits, and a 429 one of them met holds the other back too."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.pacing import PaceLimits, RedisBudgets, RequestPacer
from tests.cluster import PrivateRedis

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (apt-get install redis-server)",
)

LIMITS = PaceLimits(global_per_second=20.0, global_burst=2, private_per_second=5.0,
                    private_burst=1, margin=1.0)  # fmt: skip
SLACK = 1e-5  # the script rounds moments to microseconds


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    server = PrivateRedis()
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()


async def test_two_pacers_on_one_redis_stay_within_one_bots_limit(redis_url: str) -> None:
    # Each with its own connection, as two processes; 40 requests, half from each, at once.
    pacers = [_pacer(redis_url, "telegram:42"), _pacer(redis_url, "telegram:42")]
    moments = await asyncio.gather(*(_booked(pacers[n % 2], None) for n in range(40)))
    await _close(pacers)
    assert _within(sorted(moments), per_second=20.0, burst=2)
    assert max(moments) - min(moments) >= (40 - 2) / 20 - SLACK


async def test_two_pacers_on_one_redis_keep_one_chats_limit(redis_url: str) -> None:
    limits = replace(LIMITS, global_per_second=30.0, global_burst=30)  # the chat is the limit
    pacers = [_pacer(redis_url, "max:7", limits), _pacer(redis_url, "max:7", limits)]
    moments = await asyncio.gather(*(_booked(pacers[n % 2], 5) for n in range(5)))
    other = await _booked(pacers[0], 6)
    await _close(pacers)
    assert _within(sorted(moments), per_second=5.0, burst=1)
    assert other <= min(moments) + 0.1  # another chat does not queue behind chat 5


async def test_a_429_one_pacer_met_holds_the_other_back(redis_url: str) -> None:
    first, second = _pacer(redis_url, "max:7"), _pacer(redis_url, "max:7")
    other_bot = _pacer(redis_url, "max:8")
    first.configure(replace(LIMITS, max_retries=0))

    async def limited() -> str:
        raise _Limited

    with pytest.raises(_Limited):  # one attempt, then a 429 for chat 9: blocked for 5 s
        await first.run(9, 1, limited, lambda e: 5.0)
    # The same bot's chat 9 from another process waits; another chat, another bot do not.
    blocked, booked, _ = await second.budgets.reserve(second.budgets_of(9), 1)
    free = (await second.budgets.reserve(second.budgets_of(10), 1))[:2]
    elsewhere = (await other_bot.budgets.reserve(other_bot.budgets_of(9), 1))[:2]
    await _close([first, second, other_bot])
    assert 4.5 <= blocked <= 5.0 and not booked  # to come back in 5 s (less a few round trips)
    assert free == (0.0, True) and elsewhere == (0.0, True)


class _Limited(Exception):
    pass


def _pacer(url: str, bot: str, limits: PaceLimits = LIMITS) -> RequestPacer:
    return RequestPacer(limits, budgets=RedisBudgets(url), bot=bot)


async def _booked(pacer: RequestPacer, chat: int | None) -> float:
    """The moment one request was booked for, on Redis's clock."""
    booking = await pacer.budgets.reserve(pacer.budgets_of(chat), 1)
    assert booking.booked
    return booking.at


def _within(moments: list[float], per_second: float, burst: int) -> bool:
    """No more than `burst` at once, then `per_second`: the n-th after any one comes at least
    (n - burst + 1) intervals later."""
    return all(
        later - first >= (n - burst + 1) / per_second - SLACK
        for i, first in enumerate(moments)
        for n, later in enumerate(moments[i + 1 :], start=1)
    )


async def _close(pacers: list[RequestPacer]) -> None:
    for pacer in pacers:
        await pacer.budgets.close()
