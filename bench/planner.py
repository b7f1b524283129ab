"""Benchmark: the pure reminder planner over a region's open items for one planning window.

Prints the time to plan `--items` open items (3 curators each) for the scheduler's window
(now - 3 days .. now + 26 hours) and for a whole school year, with and without time off (school
holidays, a pause, an absence with a deputy). The baseline measured in the same run is the bare
cost of the local-hour arithmetic the planner cannot avoid (one `at_hour` per candidate
reminder), so the ratios compare across machines and across versions of the planner:

    python bench/planner.py [--items 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import planner
from core.planner import Person, WorkItem, plan_work
from core.reminder_policy import ReminderPolicy, at_hour

ZONES = [ZoneInfo(z) for z in ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Krasnoyarsk")]
NOW = datetime(2024, 10, 24, 6, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=3), NOW + timedelta(hours=26))
YEAR = (datetime(2024, 9, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))
HAS_TIME_OFF = "breaks" in {f.name for f in fields(WorkItem)}


def _items(count: int, time_off: bool) -> list[WorkItem]:
    policy = ReminderPolicy()
    extra: dict[str, Any] = {}
    away: tuple[Any, ...] = ()
    if time_off and HAS_TIME_OFF:
        from core.daysoff import HOLIDAYS, PAUSE, Break

        extra["breaks"] = (
            Break(HOLIDAYS, date(2024, 10, 26), date(2024, 11, 4), "осенние", 1),
            Break(PAUSE, date(2024, 11, 11), date(2024, 11, 15), "карантин", 2),
        )
        deputy = Person(99, 99, ZONES[0], policy, "Заместитель")
        away = (planner.Away(1, date(2024, 10, 21), date(2024, 10, 25), deputy),)
    items = []
    for n in range(count):
        zone = ZONES[n % len(ZONES)]
        curators = tuple(
            Person(n * 3 + k, n * 3 + k, zone, policy, *(("Куратор", away) if away else ()))
            for k in range(3)
        )
        due = date(2024, 9, 15) + timedelta(days=n % 250)
        items.append(
            WorkItem(
                assignment_id=n,
                activity_id=n % 200,
                plan_id=1,
                title=f"Пункт {n}",
                start=due - timedelta(days=30) if n % 4 == 0 else None,
                due=due,
                period_kind="deadline",
                recurrence=None,
                curators=curators,
                coordinators=(),
                **extra,
            )
        )
    return items


def _plan(items: list[WorkItem], window: tuple[datetime, datetime]) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(1 for item in items for _ in plan_work(item, *window))
    return time.perf_counter() - started, count


def _baseline(items: list[WorkItem]) -> float:
    """One at_hour per candidate (4 lead days + 3 overdue per curator): the floor."""
    started = time.perf_counter()
    for item in items:
        for person in item.curators:
            for lead in (7, 3, 1, 0, -1, -3, -7):
                at_hour(item.due - timedelta(days=lead), person.zone, person.policy)  # type: ignore[operator, arg-type]
    return time.perf_counter() - started


def main(count: int, as_json: bool) -> None:
    plain, off = _items(count, False), _items(count, True)
    _plan(plain[:500], WINDOW)  # warm the calendar caches
    base = min(_baseline(plain) for _ in range(3))
    window_plain = min(_plan(plain, WINDOW)[0] for _ in range(3))
    window_off = min(_plan(off, WINDOW)[0] for _ in range(3))
    year_plain, planned = _plan(plain, YEAR)
    year_off, planned_off = _plan(off, YEAR)
    figures = {
        "items": count,
        "time_off_supported": HAS_TIME_OFF,
        "baseline_s": round(base, 4),
        "window_s": round(window_plain, 4),
        "window_with_time_off_s": round(window_off, 4),
        "window_ratio": round(window_plain / base, 3),
        "window_with_time_off_ratio": round(window_off / base, 3),
        "year_s": round(year_plain, 3),
        "year_with_time_off_s": round(year_off, 3),
        "year_reminders": planned,
        "year_reminders_with_time_off": planned_off,
        "year_ratio": round(year_plain / base, 3),
    }
    if as_json:
        print(json.dumps(figures))
        return
    print(f"{count} open items x 3 curators; baseline (bare local-hour arithmetic): {base:.3f} s")
    print(f"  planning window: {window_plain:.3f} s = {figures['window_ratio']} x baseline")
    print(
        f"  planning window with holidays, a pause and an absence: {window_off:.3f} s = "
        f"{figures['window_with_time_off_ratio']} x baseline"
    )
    print(
        f"  whole school year: {year_plain:.2f} s ({planned} reminders) = "
        f"{figures['year_ratio']} x baseline; with time off {year_off:.2f} s ({planned_off})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    main(args.items, args.json)
