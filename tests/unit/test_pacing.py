"""The outgoing pacer: bursts then steady rates per chat and globally; 429 blocks and retries;
MAX's budgets count every request; with Redis, two pacers of one bot share the budgets."""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetMe, SendMediaGroup, SendMessage
from aiogram.types import InputMediaPhoto

from bot.pacing import MAX_PACE, PaceLimits, RedisBudgets, RequestPacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _pacer(**limits: Any) -> tuple[RequestPacer, FakeTime, list[tuple[float, str]]]:
    time = FakeTime()
    pacer = RequestPacer(PaceLimits(margin=1.0, **limits), monotonic=time, sleep=time.sleep)
    sent: list[tuple[float, str]] = []
    return pacer, time, sent


async def test_private_chat_gets_a_burst_then_one_per_second() -> None:
    pacer, time, sent = _pacer()

    async def request(bot: Any, method: Any) -> Any:
        sent.append((time.now, method.text))
        return "ok"

    for index in range(5):
        await pacer(request, None, SendMessage(chat_id=1, text=str(index)))  # type: ignore[arg-type]
    assert [t for t, _ in sent] == [0.0, 0.0, 0.0, 1.0, 2.0]


async def test_groups_are_paced_at_20_per_minute_and_other_methods_are_free() -> None:
    pacer, time, sent = _pacer()

    async def request(bot: Any, method: Any) -> Any:
        sent.append((time.now, type(method).__name__))
        return "ok"

    for _ in range(22):
        await pacer(request, None, SendMessage(chat_id=-100, text="x"))  # type: ignore[arg-type]
    await pacer(request, None, GetMe())  # type: ignore[arg-type]
    times = [t for t, name in sent if name == "SendMessage"]
    assert times[19] == 0.0 and times[20] == pytest.approx(3.0) and times[21] == pytest.approx(6.0)
    assert sent[-1][1] == "GetMe" and sent[-1][0] == pytest.approx(6.0)


async def test_an_album_counts_as_several_messages() -> None:
    pacer, time, sent = _pacer()

    async def request(bot: Any, method: Any) -> Any:
        sent.append((time.now, type(method).__name__))
        return "ok"

    media = [InputMediaPhoto(media=f"id{i}") for i in range(3)]
    await pacer(request, None, SendMediaGroup(chat_id=1, media=media))  # type: ignore[arg-type]
    await pacer(request, None, SendMessage(chat_id=1, text="after"))  # type: ignore[arg-type]
    assert [t for t, _ in sent] == [0.0, 1.0]


async def test_429_blocks_the_chat_for_retry_after_then_retries() -> None:
    pacer, time, sent = _pacer()
    failures = [True]

    async def request(bot: Any, method: Any) -> Any:
        sent.append((time.now, method.text))
        if failures and failures.pop():
            raise TelegramRetryAfter(method=method, message="flood", retry_after=7)
        return "ok"

    result: Any = await pacer(request, None, SendMessage(chat_id=1, text="a"))  # type: ignore[arg-type]
    assert result == "ok"
    assert [t for t, _ in sent] == [0.0, 7.0]
    assert pacer.retries == 1


async def test_a_chat_that_keeps_answering_429_gives_up_after_the_retry_budget() -> None:
    pacer, _, _ = _pacer(max_retries=2)

    async def request(bot: Any, method: Any) -> Any:
        raise TelegramRetryAfter(method=method, message="flood", retry_after=1)

    with pytest.raises(TelegramRetryAfter):
        await pacer(request, None, SendMessage(chat_id=1, text="a"))  # type: ignore[arg-type]
    assert pacer.retries == 2


async def test_max_counts_every_request_in_the_global_budget_and_two_messages_a_chat() -> None:
    time = FakeTime()
    pacer = RequestPacer(
        replace(MAX_PACE, margin=1.0, global_per_second=10.0, global_burst=2),
        monotonic=time,
        sleep=time.sleep,
    )
    sent: list[tuple[float, int | None]] = []

    async def request(chat: int | None) -> str:
        sent.append((time.now, chat))
        return "ok"

    # A poll, a message, an answer, three more messages to one chat: all share 10/s (burst 2).
    for chat in (None, 7, None, 7, 7, 7):
        await pacer.run(chat, 1, lambda chat=chat: request(chat), lambda e: None)  # type: ignore[misc]
    assert [t for t, _ in sent] == pytest.approx([0.0, 0.0, 0.1, 0.2, 0.5, 1.0])


async def test_a_429_to_no_chat_blocks_the_whole_bot() -> None:
    time = FakeTime()
    pacer = RequestPacer(replace(MAX_PACE, margin=1.0), monotonic=time, sleep=time.sleep)
    failures = [4.0]
    sent: list[float] = []

    async def request() -> str:
        sent.append(time.now)
        if failures:
            raise _Limited(failures.pop())
        return "ok"

    def retry_after(error: BaseException) -> float | None:
        return error.seconds if isinstance(error, _Limited) else None

    assert await pacer.run(None, 1, request, retry_after) == "ok"
    await pacer.run(5, 1, request, retry_after)  # another chat waits for the bot too
    assert sent == pytest.approx([0.0, 4.0, 4.0 + 1 / 30])


class _Limited(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


async def test_a_blocked_chat_books_nothing_and_holds_no_other_chat_back() -> None:
    time = FakeTime()
    pacer = RequestPacer(PaceLimits(margin=1.0), monotonic=time, sleep=time.sleep)
    await pacer.budgets.block(pacer.budgets_of(1)[-1], 30.0)
    assert (await pacer.budgets.reserve(pacer.budgets_of(1), 1))[:2] == (30.0, False)
    assert (await pacer.budgets.reserve(pacer.budgets_of(2), 1))[:2] == (0.0, True)


async def test_while_redis_cannot_be_reached_a_process_paces_itself() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pacer = RequestPacer(PaceLimits(margin=1.0), budgets=RedisBudgets(f"redis://127.0.0.1:{port}"))
    for _ in range(3):  # a private chat's burst of three goes at once, as in memory
        assert (await pacer.budgets.reserve(pacer.budgets_of(1), 1))[:2] == (0.0, True)
    delay, booked, _ = await pacer.budgets.reserve(pacer.budgets_of(1), 1)
    await pacer.budgets.close()
    assert 0.9 < delay <= 1.0 and not booked  # the fourth: a second later, as in memory
