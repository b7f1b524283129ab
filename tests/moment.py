"""The moment the suite pretends it is: never the day the suite happens to run on.

`KURATOR_TEST_NOW` (ISO 8601 with an offset, e.g. `2026-11-30T09:00+03:00`) chooses it.
`KURATOR_TEST_MOMENTS` (several, comma-separated) runs each time-sensitive test once at each,
in one session (.ci/moments.sh): the test's parameter sets the moment while it runs. Without
either, a fixed ordinary weekday afternoon. In-process tests start their ManualClock here;
bot and CLI processes the tests start get the same moment through CLOCK_OFFSET_SECONDS.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from core.clock import Clock, ShiftedClock, offset_of

DEFAULT_MOMENT = "2026-11-25T14:00:00+03:00"  # a Wednesday afternoon in Moscow, no holiday

# The moment of the test running now, when KURATOR_TEST_MOMENTS gave it one (a worker runs
# one test at a time, so a module global is enough).
_current: str | None = None


def listed_moments() -> list[str]:
    """The moments of KURATOR_TEST_MOMENTS, in order (none when it is not set)."""
    raw = os.environ.get("KURATOR_TEST_MOMENTS", "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def set_current(raw: str | None) -> None:
    """The moment the running test pretends it is (None: back to KURATOR_TEST_NOW)."""
    global _current
    _current = raw


def test_moment() -> datetime:
    """The chosen moment, aware, in UTC, whole seconds."""
    raw = _current or os.environ.get("KURATOR_TEST_NOW") or DEFAULT_MOMENT
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
