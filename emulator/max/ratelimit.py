"""MAX's published limits: about 30 requests a second for every request of a bot, and about
two messages a second in one chat. Token buckets, configurable; None switches one off."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.ratelimit import TokenBucket


@dataclass(frozen=True)
class MaxRateLimits:
    """Limits the emulator enforces; None disables a limit."""

    requests_per_second: float | None = 30.0
    requests_burst: int = 30
    chat_messages_per_second: float | None = 2.0
    chat_burst: int = 2

    @classmethod
    def off(cls) -> MaxRateLimits:
        return cls(requests_per_second=None, chat_messages_per_second=None)


class MaxFlood:
    """All buckets of one bot; each check answers retry-after seconds, or 0 and consumes."""

    def __init__(self, limits: MaxRateLimits, now: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._now = now
        rate = limits.requests_per_second
        self._requests = TokenBucket(rate, limits.requests_burst, now) if rate else None
        self._chats: dict[int, TokenBucket] = {}

    def request(self) -> int:
        """One API request of any kind."""
        return _take(self._requests)

    def message(self, chat_id: int) -> int:
        """One new message in `chat_id`."""
        rate = self.limits.chat_messages_per_second
        if not rate:
            return 0
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = TokenBucket(rate, self.limits.chat_burst, self._now)
        return _take(bucket)


def _take(bucket: TokenBucket | None) -> int:
    if bucket is None:
        return 0
    wait = bucket.wait_for(1)
    if wait > 0:
        return max(1, math.ceil(wait))
    bucket.take(1)
    return 0
