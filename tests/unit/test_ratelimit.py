"""Flood control buckets, driven by a fake monotonic clock."""

from __future__ import annotations

from emulator.ratelimit import FloodControl, RateLimits


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_private_chat_allows_a_burst_then_one_per_second() -> None:
    time = FakeTime()
    flood = FloodControl(RateLimits(private_burst=3), time)
    assert [flood.check(1, False) for _ in range(3)] == [0, 0, 0]
    assert flood.check(1, False) == 1
    time.now += 1.0
    assert flood.check(1, False) == 0
    assert flood.check(2, False) == 0  # other chats have their own bucket


def test_group_refills_one_message_per_three_seconds() -> None:
    time = FakeTime()
    flood = FloodControl(RateLimits(), time)
    assert all(flood.check(-5, True) == 0 for _ in range(20))
    assert flood.check(-5, True) == 3
    time.now += 3.0
    assert flood.check(-5, True) == 0


def test_global_limit_spans_chats_and_a_refusal_consumes_nothing() -> None:
    time = FakeTime()
    flood = FloodControl(RateLimits(private_per_second=None), time)
    assert all(flood.check(chat, False) == 0 for chat in range(30))
    assert flood.check(99, False) == 1
    time.now += 0.1  # 3 tokens back
    assert [flood.check(100 + i, False) for i in range(4)] == [0, 0, 0, 1]


def test_paced_sender_never_hits_the_limit() -> None:
    time = FakeTime()
    flood = FloodControl(RateLimits(), time)
    refused = 0
    for i in range(3000):
        refused += flood.check(i, False) != 0
        time.now += 1 / 30
    assert refused == 0


def test_limits_can_be_switched_off() -> None:
    flood = FloodControl(RateLimits.off(), FakeTime())
    assert all(flood.check(1, False) == 0 for _ in range(1000))
