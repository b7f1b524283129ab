"""Injected time: production reads the system clock, tests and the sandbox move a manual one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time, always timezone-aware UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """The wall clock moved by a fixed offset: real speed, another moment.

    Used only when tests or the sandbox ask for it (CLOCK_OFFSET_SECONDS), so that the bot
    processes they start all see the moment the test chose, not the day the suite runs on.
    """

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @classmethod
    def at(cls, moment: datetime) -> ShiftedClock:
        """A clock that reads `moment` now and runs on from there."""
        if moment.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        return cls(moment - datetime.now(UTC))


def clock_with_offset(offset_seconds: float) -> Clock:
    """The system clock, or a shifted one when an offset is configured."""
    if not offset_seconds:
        return SystemClock()
    return ShiftedClock(timedelta(seconds=offset_seconds))


def offset_of(clock: Clock) -> float:
    """Seconds to add to the system clock to read `clock` now (for a child process)."""
    return (clock.now() - datetime.now(UTC)).total_seconds()


class ManualClock:
    """A clock that only moves when told to; waiters are woken on every move."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (aware); time never goes backwards."""
        moment = moment.astimezone(UTC)
        if moment < self._now:
            raise ValueError("ManualClock cannot go backwards")
        self._now = moment
        self._moved.set()
        self._moved = asyncio.Event()

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`."""
        self.set(self._now + delta)
