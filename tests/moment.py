"""The moment the suite pretends it is: never the day the suite happens to run on.

`KURATOR_TEST_NOW` (ISO 8601 with an offset, e.g. `2026-11-30T09:00+03:00`) chooses it; CI
runs the time-sensitive tests at several such moments (.ci/moments.sh). Without it, a fixed
ordinary weekday afternoon. In-process tests start their ManualClock here; bot and CLI
processes the tests start get the same moment through CLOCK_OFFSET_SECONDS.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from core.clock import Clock, ShiftedClock, offset_of

DEFAULT_MOMENT = "2026-11-25T14:00:00+03:00"  # a Wednesday afternoon in Moscow, no holiday


def test_moment() -> datetime:
    """The chosen moment, aware, in UTC, whole seconds."""
    raw = os.environ.get("KURATOR_TEST_NOW") or DEFAULT_MOMENT
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError(f"KURATOR_TEST_NOW needs an offset or zone: {raw!r}")
    return moment.astimezone(UTC).replace(microsecond=0)


test_moment.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def running_clock() -> ShiftedClock:
    """A clock that reads the test moment now and runs at real speed (for bot processes)."""
    return ShiftedClock.at(test_moment())


def clock_env(clock: Clock) -> dict[str, str]:
    """Environment that makes a child process read `clock`'s time."""
    return {"CLOCK_OFFSET_SECONDS": f"{offset_of(clock):.3f}"}
