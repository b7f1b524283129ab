"""Benchmark: /status and the XLSX report on a region-sized database (SQLite by default).

1,000 schools, 200 activities in four directions, 200,000 assignments in every state. Prints
the time of `plan_status` and of one plan's report, the SQL queries per /status (goal:
constant, <= 10) and, as the baseline measured in the same run, the time of a plain
`SELECT count(*)` over the assignments.

    python bench/status_region.py [--schools 1000] [--activities 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, insert, select

from core.report_data import plan_report
from core.states import AssignmentStatus
from core.status import Scope, plan_status
from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from db.models import Activity, Assignment, Direction, DirectionSchool, Plan, PlanSchool, School
from reports.xlsx import build_xlsx

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


async def main(schools: int, activities: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = build_engine(f"sqlite+aiosqlite:///{Path(folder) / 'region.sqlite3'}")
        await upgrade(engine)
        factory = build_session_factory(engine)
        started = time.perf_counter()
        plan_id = await populate(factory, schools, activities)
        print(
            f"populated {schools * activities} assignments in {time.perf_counter() - started:.1f} s"
        )
        queries = 0

        def count(*_: object) -> None:
            nonlocal queries
            queries += 1

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        async with factory() as session:
            started = time.perf_counter()
            await session.scalar(select(func.count()).select_from(Assignment))
            baseline = time.perf_counter() - started
            queries = 0
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                await plan_status(session, Scope(all_plans=True), NOW, "Europe/Moscow")
                timings.append(time.perf_counter() - started)
            per_status = queries // 3
            started = time.perf_counter()
            report = await plan_report(session, plan_id, NOW, "Europe/Moscow")
            data = build_xlsx(report)
            report_time = time.perf_counter() - started
        await engine.dispose()
    best = min(timings)
    print(f"/status: {best * 1000:.0f} ms (goal < 300 ms), {per_status} SQL queries (goal <= 10)")
    print(
        f"/status / count(*) baseline: {best / baseline:.2f}  (baseline {baseline * 1000:.0f} ms)"
    )
    print(
        f"XLSX report of the plan: {report_time:.1f} s, {len(data) // 1024} KiB, "
        f"{report_time / baseline:.0f}x the baseline"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.schools, args.activities))
