"""The dashboard's matrix equals a plain recount, whatever the statuses, due dates, zones,
hour, filters, scope and paging (SQLite and PostgreSQL).

Schools sit in zones from UTC+2 to UTC+10, so at most hours "today" differs between them and
an item due on that day is late in some schools and not yet in others: the totals read from
the index must split exactly those per school."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import dashboard, matrix
from core.dto import MembershipInfo, UserContext
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Direction, Plan, PlanSchool, School

ZONES = ["Europe/Kaliningrad", "Asia/Yekaterinburg", "Asia/Vladivostok", None]
DAY = date(2020, 11, 2)
STATUSES = [s for s in AssignmentStatus]


def _admin() -> UserContext:
    admin = MembershipInfo(Role.ADMIN, None, None, None, None, None, None)
    return UserContext(1, "Админ", True, (admin,))


def _curator(school_id: int) -> UserContext:
    role = MembershipInfo(Role.CURATOR, school_id, None, None, None, None, None)
    return UserContext(2, "Куратор", True, (role,))


def _coordinator(plan_id: int, direction_id: int) -> UserContext:
    role = MembershipInfo(Role.COORDINATOR, None, None, plan_id, None, direction_id, None)
    return UserContext(3, "Координатор", True, (role,))


cells = st.lists(
    st.tuples(
        st.integers(0, 5),  # school
        st.integers(0, 5),  # activity
        st.sampled_from(STATUSES),
        st.none() | st.integers(-2, 2),  # due, days from DAY
    ),
    max_size=36,
    unique_by=lambda c: (c[0], c[1]),
)


async def _world(
    session: AsyncSession, found: list[tuple[int, int, Any, int | None]]
) -> dict[str, Any]:
    for old in await session.scalars(select(Assignment)):  # through the ORM: counts follow
        await session.delete(old)
    await session.flush()
    now = datetime(2020, 11, 1, tzinfo=UTC)
    plan = await session.scalar(select(Plan))
    if plan is None:
        plan = Plan(
            title="План", timezone="Asia/Yekaterinburg", settings={}, created_at=now, updated_at=now
        )
        session.add(plan)
        await session.flush()
        directions = [
            Direction(plan_id=plan.id, code=c, title=f"Направление {c}", position=i)
            for i, c in enumerate(("I", "II"))
        ]
        session.add_all(directions)
        await session.flush()
        for i in range(6):
            session.add(School(name=f"ОО № {i + 1}", timezone=ZONES[i % 4], created_at=now))
            session.add(
                Activity(
                    plan_id=plan.id,
                    direction_id=directions[i % 2].id,
                    source_key=f"a{i}",
                    title=f"Мероприятие {i}",
                    due_date=DAY,
                    period_flags=[],
                    position=i,
                )
            )
        await session.flush()
        for school in await session.scalars(select(School)):
            session.add(PlanSchool(plan_id=plan.id, school_id=school.id))
    schools = list(await session.scalars(select(School).order_by(School.id)))
    activities = list(await session.scalars(select(Activity).order_by(Activity.position)))
    for s, a, status, days in found:
        session.add(
            Assignment(
                activity_id=activities[a].id,
                school_id=schools[s].id,
                status=status,
                due_date=None if days is None else DAY + timedelta(days=days),
                updated_at=now,
            )
        )
    await session.flush()
    return {"plan": plan, "schools": schools, "activities": activities}


def _reference(
    world: dict[str, Any], found: list[tuple[int, int, Any, int | None]], now: datetime, user: str
) -> dict[int, str]:
    """Each visible school's letters, straight from the generated items."""
    plan, schools, activities = world["plan"], world["schools"], world["activities"]
    lines: dict[int, list[str]] = {}
    for s, a, status, days in found:
        school = schools[s]
        if user == "curator" and s != 0:
            continue
        if user == "direction" and activities[a].direction_id != world["direction"]:
            continue
        today = now.astimezone(ZoneInfo(school.timezone or plan.timezone)).date()
        due = None if days is None else DAY + timedelta(days=days)
        line = lines.setdefault(school.id, [matrix.NOT_APPLICABLE] * len(activities))
        line[a] = matrix.cell_code(status, due, today)
    return {k: "".join(v) for k, v in lines.items()}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    found=cells,
    hour=st.integers(0, 23),
    who=st.sampled_from(["admin", "curator", "direction"]),
    wanted=st.none() | st.sampled_from(sorted(matrix.STATUS_FILTERS)),
    limit=st.integers(1, 7),
)
async def test_matrix_equals_a_recount(
    session_factory: async_sessionmaker[AsyncSession],
    found: list[tuple[int, int, Any, int | None]],
    hour: int,
    who: str,
    wanted: str | None,
    limit: int,
) -> None:
    now = datetime(2020, 11, 2, hour, 30, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        world = await _world(session, found)
    plan, schools, activities = world["plan"], world["schools"], world["activities"]
    world["direction"] = activities[1].direction_id
    user = {
        "admin": _admin(),
        "curator": _curator(schools[0].id),
        "direction": _coordinator(plan.id, world["direction"]),
    }[who]
    # Hidden columns are those the person cannot see at all (another direction).
    columns = [a for a in activities if who != "direction" or a.direction_id == world["direction"]]
    if who == "curator":
        columns = [
            a
            for a in activities
            if any(s == 0 and x == activities.index(a) for s, x, _, _ in found)
        ]
    columns.sort(key=lambda a: (a.direction_id, a.position))  # grouped by direction
    index = [activities.index(a) for a in columns]
    expected = {
        school_id: "".join(line[i] for i in index)
        for school_id, line in _reference(world, found, now, who).items()
    }
    # The matrix lists schools with any visible (non-cancelled) work.
    visible = {
        schools[s].id
        for s, a, status, _ in found
        if status != AssignmentStatus.CANCELLED
        and (who != "curator" or s == 0)
        and (who != "direction" or activities[a].direction_id == world["direction"])
    }
    expected = {k: v for k, v in expected.items() if k in visible}
    if wanted is not None:
        expected = {k: v for k, v in expected.items() if wanted in v}
    got_rows: dict[int, str] = {}
    offset = 0
    async with session_factory() as session, session.begin():
        while True:
            page = await dashboard.plan_matrix(
                session,
                user,
                now,
                "Europe/Moscow",
                dashboard.MatrixFilters(plan.id, status=wanted, offset=offset, limit=limit),
            )
            got_rows.update({r.school_id: r.line for r in page.rows})
            offset += limit
            if offset >= page.schools:
                break
    assert [c.activity_id for c in page.columns] == [a.id for a in columns]
    assert got_rows == expected
    assert page.schools == len(expected)
    for i, totals in enumerate(page.column_totals):
        letters = [line[i] for line in expected.values()]
        for code in "nsaro":
            assert totals[code] == letters.count(code), (code, i)
        assert totals["total"] == len(letters) - letters.count("-")
