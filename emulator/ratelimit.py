"""Token buckets modelling Telegram's flood limits (global per bot, per private chat, per group)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimits:
    """Limits enforced by the emulator; None disables a limit."""

    global_per_second: float | None = 30.0
    global_burst: int = 30
    private_per_second: float | None = 1.0
    private_burst: int = 3
    group_per_minute: float | None = 20.0
    group_burst: int = 20

    @classmethod
    def off(cls) -> RateLimits:
        return cls(global_per_second=None, private_per_second=None, group_per_minute=None)


class TokenBucket:
    """Classic token bucket; `take` answers how long to wait when empty."""

    def __init__(self, rate: float, burst: int, now: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self._now = now
        self.stamp = now()

    def _refill(self) -> None:
        now = self._now()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_for(self, count: int = 1) -> float:
        """Seconds until `count` tokens are available (0 if now).

        A batch larger than the bucket (a 10-item album in a private chat, whose bucket holds
        3) goes once the bucket is full, and its surplus becomes debt that later messages
        wait out: Telegram delivers such albums and then slows the chat down.
        """
        self._refill()
        missing = min(count, self.capacity) - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self, count: int = 1) -> None:
        self._refill()
        self.tokens -= count


class FloodControl:
    """All buckets of one bot; `check` returns retry_after seconds or 0 and consumes on success."""

    def __init__(self, limits: RateLimits, now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._now = now
        self._global = (
            TokenBucket(limits.global_per_second, limits.global_burst, now)
            if limits.global_per_second
            else None
        )
        self._chats: dict[int, TokenBucket] = {}

    def _chat_bucket(self, chat_id: int, is_group: bool) -> TokenBucket | None:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            lim = self.limits
            if is_group and lim.group_per_minute:
                bucket = TokenBucket(lim.group_per_minute / 60.0, lim.group_burst, self._now)
            elif not is_group and lim.private_per_second:
                bucket = TokenBucket(lim.private_per_second, lim.private_burst, self._now)
            else:
                return None
            self._chats[chat_id] = bucket
        return bucket

    def check(self, chat_id: int, is_group: bool, count: int = 1) -> int:
        """0 if `count` messages may go now (and they are counted), else retry_after seconds."""
        buckets = [b for b in (self._global, self._chat_bucket(chat_id, is_group)) if b]
        wait = max((b.wait_for(count) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take(count)
        return 0
