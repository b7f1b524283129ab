"""Benchmark: /status and the XLSX report on a region-sized database (SQLite by default).

1,000 schools, 200 activities in four directions, 200,000 assignments in every state. Prints
the time of /status from the counts table (and, for comparison, of the first /status of a
day and of the old full scan), its SQL queries, the XLSX report as `python -m bot report`
runs it (seconds, peak RSS) and how long building it held the event loop; the baseline
measured in the same run is a plain `SELECT count(*)` over the assignments.

    python bench/status_region.py [--schools 1000] [--activities 200] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, insert, select

from core.states import AssignmentStatus
from core.status import Scope, assemble, plan_status, scan_cells
from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from db.models import Activity, Assignment, Direction, DirectionSchool, Plan, PlanSchool, School
from db.status_counts import rebuild
from reports.build import write_xlsx

NOW = datetime(2020, 12, 1, 6, 0, tzinfo=UTC)
ZONES = ["Asia/Yekaterinburg", "Europe/Moscow", "Asia/Krasnoyarsk"]


async def populate(factory, schools: int, activities: int) -> int:  # type: ignore[no-untyped-def]
    rng = random.Random(1)
    async with factory() as session, session.begin():
        plan = Plan(
            title="Региональный план",
            timezone="Asia/Yekaterinburg",
            settings={},
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(plan)
        await session.flush()
        directions = []
        for index, code in enumerate(("I", "II", "III", "IV")):
            direction = Direction(
                plan_id=plan.id, code=code, title=f"Направление {code}", position=index
            )
            session.add(direction)
            directions.append(direction)
        await session.flush()
        school_ids = list(
            (
                await session.execute(
                    insert(School).returning(School.id),
                    [
                        {"name": f"ОО № {i}", "timezone": ZONES[i % 3], "created_at": NOW}
                        for i in range(schools)
                    ],
                )
            ).scalars()
        )
        await session.execute(
            insert(PlanSchool), [{"plan_id": plan.id, "school_id": s} for s in school_ids]
        )
        await session.execute(
            insert(DirectionSchool),
            [
                {"direction_id": directions[i % 4].id, "school_id": s}
                for i, s in enumerate(school_ids)
            ],
        )
        activity_rows = [
            {
                "plan_id": plan.id,
                "direction_id": directions[i % 4].id,
                "source_key": f"a{i}",
                "title": f"Мероприятие {i}",
                "due_date": date(2020, 9, 1) + timedelta(days=i),
                "period_flags": [],
                "position": i,
            }
            for i in range(activities)
        ]
        activity_ids = list(
            (
                await session.execute(insert(Activity).returning(Activity.id), activity_rows)
            ).scalars()
        )
        states = (
            [AssignmentStatus.OPEN] * 5
            + [AssignmentStatus.ACCEPTED] * 3
            + [AssignmentStatus.SUBMITTED, AssignmentStatus.RETURNED]
        )
        batch = []
        for activity_id, row in zip(activity_ids, activity_rows, strict=True):
            for school_id in school_ids:
                batch.append(
                    {
                        "activity_id": activity_id,
                        "school_id": school_id,
                        "status": rng.choice(states),
                        "due_date": row["due_date"],
                        "version": 1,
                        "updated_at": NOW,
                    }
                )
                if len(batch) == 20_000:
                    await session.execute(insert(Assignment), batch)
                    batch = []
        if batch:
            await session.execute(insert(Assignment), batch)
        return plan.id


async def region(url: str, schools: int, activities: int) -> tuple[Any, Any, int]:
    """A migrated database at `url` holding the region, its counts rebuilt: engine, session
    factory, plan id (for the other region benchmarks)."""
    engine = build_engine(url)
    await upgrade(engine)
    factory = build_session_factory(engine)
    plan_id = await populate(factory, schools, activities)
    async with factory() as session, session.begin():
        await session.run_sync(rebuild)  # the bulk insert bypassed the session
    return engine, factory, plan_id


def _report_in_child(url: str, plan_id: int, out: Path, *extra: str) -> tuple[float, float]:
    """`python -m bot report` as a coordinator would run it: seconds and peak RSS in MB."""
    env = {**os.environ, "DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot", "report", str(plan_id), "--out", str(out), *extra],
        check=True,
        env=env,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before) / 1024


async def _loop_stall(work: Any) -> tuple[Any, float]:
    """Run `work` and return its result and the longest the event loop was held meanwhile."""
    worst = 0.0
    running = True

    async def beat() -> None:
        nonlocal worst
        while running:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            worst = max(worst, time.perf_counter() - started - 0.005)

    ticker = asyncio.create_task(beat())
    try:
        result = await work
    finally:
        running = False
        await ticker
    return result, worst


async def main(schools: int, activities: int, as_json: bool) -> None:
    figures: dict[str, float | int] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'region.sqlite3'}"
        engine = build_engine(url)
        await upgrade(engine)
        factory = build_session_factory(engine)
        started = time.perf_counter()
        plan_id = await populate(factory, schools, activities)
        figures["populate_s"] = time.perf_counter() - started
        async with factory() as session, session.begin():
            started = time.perf_counter()
            await session.run_sync(rebuild)  # the bulk insert above bypassed the session
            figures["counts_rebuild_s"] = time.perf_counter() - started
        queries = 0

        def count(*_: object) -> None:
            nonlocal queries
            queries += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        everything = Scope(all_plans=True)
        async with factory() as session:
            started = time.perf_counter()
            await session.scalar(select(func.count()).select_from(Assignment))
            baseline = time.perf_counter() - started
            figures["baseline_count_ms"] = baseline * 1000
            # The old way, for comparison: one scan of every assignment.
            started = time.perf_counter()
            await assemble(session, await scan_cells(session, everything, NOW, "Europe/Moscow"))
            figures["status_scan_ms"] = (time.perf_counter() - started) * 1000
        async with factory() as session, session.begin():
            # The first /status of a day recounts overdue (then it holds until a due date passes).
            started = time.perf_counter()
            await plan_status(session, everything, NOW, "Europe/Moscow")
            figures["status_first_of_day_ms"] = (time.perf_counter() - started) * 1000
        async with factory() as session:
            queries = 0
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                await plan_status(session, everything, NOW, "Europe/Moscow")
                timings.append(time.perf_counter() - started)
            figures["status_queries"] = queries // 5
            figures["status_ms"] = min(timings) * 1000
            figures["status_vs_count"] = min(timings) / baseline
            out = Path(folder) / "report.xlsx"
            started = time.perf_counter()
            _, stall = await _loop_stall(write_xlsx(session, plan_id, NOW, "Europe/Moscow", out))
            figures["report_in_bot_s"] = time.perf_counter() - started
            figures["report_loop_stall_ms"] = stall * 1000
        await engine.dispose()
        seconds, peak = _report_in_child(url, plan_id, Path(folder) / "cli.xlsx")
        figures["report_s"] = seconds
        figures["report_peak_rss_mb"] = peak
        figures["report_kib"] = (Path(folder) / "cli.xlsx").stat().st_size // 1024
    figures["assignments"] = schools * activities
    if as_json:
        print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
        return
    print(f"{figures['assignments']} assignments, populated in {figures['populate_s']:.1f} s")
    print(f"counts table rebuilt in {figures['counts_rebuild_s']:.1f} s (once, after a bulk load)")
    print(
        f"/status: {figures['status_ms']:.0f} ms (must <= 300, goal <= 100), "
        f"{figures['status_queries']} SQL queries; {figures['status_vs_count']:.2f}x a plain "
        f"count(*) ({figures['baseline_count_ms']:.0f} ms)"
    )
    print(
        f"/status, first of the day (overdue recounted): "
        f"{figures['status_first_of_day_ms']:.0f} ms; the old full scan: "
        f"{figures['status_scan_ms']:.0f} ms"
    )
    print(
        f"XLSX report (python -m bot report): {figures['report_s']:.1f} s, peak RSS "
        f"{figures['report_peak_rss_mb']:.0f} MB, {figures['report_kib']} KiB; the event loop "
        f"was held at most {figures['report_loop_stall_ms']:.0f} ms while it was built; "
        f"in the bot (/report, no start-up) {figures['report_in_bot_s']:.1f} s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    args = parser.parse_args()
    asyncio.run(main(args.schools, args.activities, args.json))
