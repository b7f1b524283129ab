"""Status of plans: counts per plan, direction, section and school, assembled for /status,
the report and digests; item lists for drill-down and /overdue.

"Overdue" means open work whose due date has passed in the school's own time zone (the
department's work uses the plan's zone), so the numbers are right in every zone at once.
/status reads the counts table (core/status_counts.py); `scan_cells` counts the same from
every assignment, the reference the table is checked against.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.item_state import ItemState, item_state, local_date
from core.people import curator_names
from core.reminder_policy import resolve_zone
from core.scope import Scope as Scope
from core.scope import scope_of as scope_of
from core.scope import visible
from core.states import AssignmentStatus
from core.status_counts import Cell, counted_cells
from db.models import Activity, Assignment, Direction, Plan, School, Stage

OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)


@dataclass(frozen=True)
class Counts:
    total: int = 0
    accepted: int = 0
    submitted: int = 0
    open: int = 0
    overdue: int = 0

    def share(self, part: int) -> int:
        """Whole percent of the total."""
        return round(100 * part / self.total) if self.total else 0


@dataclass
class DirectionStatus:
    direction_id: int | None
    code: str
    title: str
    counts: Counts


@dataclass
class SchoolStatus:
    school_id: int | None
    name: str
    counts: Counts


NO_SECTION = "Без раздела"
NO_STAGE = "Вне этапов"  # a road map's rows before its first stage
SECTION, STAGE = "Раздел", "Этап"  # what a plan without directions is summed by


@dataclass
class SectionStatus:
    title: str
    counts: Counts


@dataclass
class PlanStatus:
    plan_id: int
    title: str
    counts: Counts
    directions: list[DirectionStatus] = field(default_factory=list)
    behind: list[SchoolStatus] = field(default_factory=list)
    sections: list[SectionStatus] = field(default_factory=list)  # plans without directions
    group_kind: str = SECTION  # what `sections` are: the plan's sections, else its stages


def _visible(scope: Scope) -> ColumnElement[bool]:
    return visible(scope, Activity.plan_id, Activity.direction_id, Assignment.school_id)


async def _overdue_condition(
    session: AsyncSession, now: datetime, default_zone: str
) -> ColumnElement[bool]:
    """due < today, where today is the school's (or the plan's) local date."""
    zones = set(await session.scalars(select(School.timezone).distinct())) | set(
        await session.scalars(select(Plan.timezone).distinct())
    )
    zone_of = func.coalesce(School.timezone, Plan.timezone, default_zone)
    whens = []
    for name in sorted(z for z in zones if z):
        try:
            today = now.astimezone(ZoneInfo(name)).date()
        except (KeyError, ValueError):
            continue
        whens.append((zone_of == name, Assignment.due_date < today))
    fallback = Assignment.due_date < now.astimezone(ZoneInfo(default_zone)).date()
    return and_(Assignment.status.in_(OPEN), case(*whens, else_=fallback) if whens else fallback)


def _sums(overdue: ColumnElement[bool]) -> list[ColumnElement[int]]:
    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)

    return [
        func.count(Assignment.id),
        count_if(Assignment.status == AssignmentStatus.ACCEPTED),
        count_if(Assignment.status == AssignmentStatus.SUBMITTED),
        count_if(Assignment.status.in_(OPEN)),
        count_if(overdue),
    ]


def _base(scope: Scope) -> list[ColumnElement[bool]]:
    return [
        _visible(scope),
        Activity.cancelled_at.is_(None),
        Plan.archived_at.is_(None),
        Assignment.status != AssignmentStatus.CANCELLED,
    ]


def _joined(*columns: object) -> object:
    return (
        select(*columns)  # type: ignore[call-overload]
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .outerjoin(School, School.id == Assignment.school_id)
    )


async def plan_status(
    session: AsyncSession, scope: Scope, now: datetime, default_zone: str, behind: int = 3
) -> list[PlanStatus]:
    """Per plan and direction: accepted / submitted / open / overdue; the schools most behind.

    Read from the status counts table (a few thousand rows for a region), not the assignments.
    """
    if scope.empty:
        return []
    cells = await counted_cells(session, scope, now, default_zone)
    return await assemble(session, cells, behind)


async def direction_schools(
    session: AsyncSession,
    scope: Scope,
    plan_id: int,
    direction_id: int | None,
    now: datetime,
    default_zone: str,
) -> list[SchoolStatus]:
    """Schools of one direction with their counts, most behind first."""
    cells = await counted_cells(
        session, scope, now, default_zone, plan_id=plan_id, direction_id=direction_id or 0
    )
    return schools_of(cells)


def schools_of(cells: list[Cell]) -> list[SchoolStatus]:
    """Cells summed per school, most behind first."""
    sums: dict[tuple[int | None, str | None], list[int]] = defaultdict(lambda: [0] * 5)
    for cell in cells:
        _add(sums[(cell.school_id, cell.school_name)], cell.numbers)
    result = [
        SchoolStatus(school_id, name or DEPARTMENT, Counts(*numbers))
        for (school_id, name), numbers in sums.items()
    ]
    return sorted(result, key=lambda s: (-s.counts.overdue, -s.counts.open, s.name))


DEPARTMENT = "Управление образования"


def _add(target: list[int], numbers: tuple[int, ...] | list[int]) -> None:
    for index, value in enumerate(numbers):
        target[index] += int(value)


async def assemble(session: AsyncSession, cells: list[Cell], behind: int = 3) -> list[PlanStatus]:
    """Plans with their directions (or sections) and the schools most behind, from cells."""
    direction_sums: dict[tuple[int, str, int | None], list[int]] = defaultdict(lambda: [0] * 5)
    totals: dict[int, list[int]] = defaultdict(lambda: [0] * 5)
    by_plan: dict[int, list[Cell]] = defaultdict(list)
    for cell in cells:
        _add(direction_sums[(cell.plan_id, cell.title, cell.direction_id)], cell.numbers)
        _add(totals[cell.plan_id], cell.numbers)
        by_plan[cell.plan_id].append(cell)
    directions = {
        d.id: d
        for d in await session.scalars(select(Direction).where(Direction.plan_id.in_(by_plan)))
    }
    plans: dict[int, PlanStatus] = {}
    for (plan_id, title, direction_id), numbers in direction_sums.items():
        status = plans.setdefault(plan_id, PlanStatus(plan_id, title, Counts()))
        direction = directions.get(direction_id) if direction_id else None
        status.directions.append(
            DirectionStatus(
                direction_id,
                direction.code if direction else "",  # no placeholder punctuation
                direction.title if direction else "Без направления",
                Counts(*numbers),
            )
        )
    for plan_id, status in plans.items():
        status.counts = Counts(*totals[plan_id])
        status.directions.sort(
            key=lambda d: (
                directions[d.direction_id].position if d.direction_id in directions else 99,
                d.code,
            )
        )
        rows = schools_of(by_plan[plan_id])
        status.behind = [s for s in rows if s.counts.overdue or s.counts.open][:behind]
    undirected = [p for p in plans.values() if all(d.direction_id is None for d in p.directions)]
    if undirected:
        await _add_groups(session, by_plan, undirected)
    return sorted(plans.values(), key=lambda p: (p.title, p.plan_id))


async def _add_groups(
    session: AsyncSession, by_plan: dict[int, list[Cell]], plans: list[PlanStatus]
) -> None:
    """Plans without directions are summed by their sections in document order, else by their
    stages (a road map's "I этап …") in theirs: the rule of the reports' summaries."""
    ids = [p.plan_id for p in plans]
    order = {
        (plan_id, section): position
        for plan_id, section, position in await session.execute(
            select(Activity.plan_id, Activity.section, func.min(Activity.position))
            .where(Activity.plan_id.in_(ids))
            .group_by(Activity.plan_id, Activity.section)
        )
    }
    stages = {
        stage.id: stage
        for stage in await session.scalars(select(Stage).where(Stage.plan_id.in_(ids)))
    }
    for plan in plans:
        cells = by_plan[plan.plan_id]
        if any(cell.section for cell in cells):
            sections: dict[str | None, list[int]] = defaultdict(lambda: [0] * 5)
            for cell in cells:
                _add(sections[cell.section], cell.numbers)
            for section in sorted(
                sections, key=lambda s: (order.get((plan.plan_id, s), 0), s or "")
            ):
                plan.sections.append(
                    SectionStatus(section or NO_SECTION, Counts(*sections[section]))
                )
        elif any(cell.stage_id for cell in cells):
            plan.group_kind = STAGE
            by_stage: dict[int | None, list[int]] = defaultdict(lambda: [0] * 5)
            for cell in cells:
                _add(by_stage[cell.stage_id], cell.numbers)
            for stage_id in sorted(
                by_stage, key=lambda i: stages[i].position if i in stages else 1 << 30
            ):
                title = stages[stage_id].title if stage_id in stages else NO_STAGE
                plan.sections.append(SectionStatus(title, Counts(*by_stage[stage_id])))
        # A plan with neither keeps its one line.


async def scan_cells(
    session: AsyncSession, scope: Scope, now: datetime, default_zone: str
) -> list[Cell]:
    """The same cells counted from every assignment: the reference the counts table must equal."""
    overdue = await _overdue_condition(session, now, default_zone)
    rows = await session.execute(
        _joined(  # type: ignore[attr-defined]
            Plan.id,
            Plan.title,
            Activity.direction_id,
            Activity.section,
            Assignment.school_id,
            School.name,
            Activity.stage_id,
            *_sums(overdue),
        )
        .where(*_base(scope))
        .group_by(
            Plan.id,
            Plan.title,
            Activity.direction_id,
            Activity.section,
            Assignment.school_id,
            School.name,
            Activity.stage_id,
        )
    )
    return [
        Cell(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            (int(row[7]), int(row[8]), int(row[9]), int(row[10]), int(row[11])),
            row[6],
        )
        for row in rows
    ]


async def school_items(
    session: AsyncSession,
    scope: Scope,
    plan_id: int,
    direction_id: int | None,
    school_id: int | None,
    now: datetime,
    default_zone: str,
    limit: int = 30,
) -> list[tuple[int, str, ItemState]]:
    """(assignment id, title, state) of one school's items in a direction, each judged on
    the school's (else the plan's) local dates."""
    direction_match = (
        Activity.direction_id.is_(None)
        if direction_id is None
        else Activity.direction_id == direction_id
    )
    school_match = (
        Assignment.school_id.is_(None) if school_id is None else Assignment.school_id == school_id
    )
    rows = (
        await session.execute(
            _joined(  # type: ignore[attr-defined]
                Assignment.id,
                Activity.title,
                Assignment.status,
                Assignment.due_date,
                Assignment.submitted_at,
                School.timezone,
                Plan.timezone,
            )
            .where(*_base(scope), Activity.plan_id == plan_id, direction_match, school_match)
            .order_by(Assignment.due_date.is_(None), Assignment.due_date, Activity.position)
            .limit(limit)
        )
    ).all()
    found = []
    for assignment_id, title, status, due, submitted_at, school_zone, plan_zone in rows:
        zone = resolve_zone(school_zone, plan_zone, default_zone)
        state = item_state(status, due, local_date(submitted_at, zone), now.astimezone(zone).date())
        found.append((assignment_id, title, state))
    return found


@dataclass(frozen=True)
class SchoolOverdue:
    """One school's overdue items for /overdue, with who answers for them."""

    school_id: int | None
    name: str
    titles: list[str]
    curators: list[str]


async def overdue_by_school(
    session: AsyncSession, scope: Scope, now: datetime, default_zone: str
) -> list[SchoolOverdue]:
    """Overdue items grouped by school, schools with most first, their curators named."""
    if scope.empty:
        return []
    overdue = await _overdue_condition(session, now, default_zone)
    rows = (
        await session.execute(
            _joined(Assignment.school_id, School.name, Activity.title)  # type: ignore[attr-defined]
            .where(*_base(scope), overdue)
            .order_by(School.name, Assignment.due_date)
        )
    ).all()
    grouped: dict[int | None, list[str]] = defaultdict(list)
    names: dict[int | None, str] = {}
    for school_id, school, title in rows:
        grouped[school_id].append(title)
        names[school_id] = school or DEPARTMENT
    curators = await curator_names(session, {i for i in grouped if i is not None})
    found = [
        SchoolOverdue(i, names[i], titles, curators.get(i, []) if i is not None else [])
        for i, titles in grouped.items()
    ]
    return sorted(found, key=lambda s: (-len(s.titles), s.name))


async def school_overdue(
    session: AsyncSession, scope: Scope, school_id: int, now: datetime, default_zone: str
) -> list[tuple[str, date | None]]:
    """(title, due) of one school's overdue items that `scope` may see, oldest first."""
    if scope.empty:
        return []
    overdue = await _overdue_condition(session, now, default_zone)
    rows = await session.execute(
        _joined(Activity.title, Assignment.due_date)  # type: ignore[attr-defined]
        .where(*_base(scope), overdue, Assignment.school_id == school_id)
        .order_by(Assignment.due_date, Activity.position)
    )
    return [(title, due) for title, due in rows]


@dataclass(frozen=True)
class PlanWeek:
    """One plan's week for a coordinator's digest."""

    title: str
    due: int  # items due this week across the coordinator's schools
    done: int  # of those, submitted or accepted
    overdue: int
    behind: list[str]  # schools with the most overdue items


async def coordinator_week(
    session: AsyncSession,
    scope: Scope,
    today: date,
    week_end: date,
    now: datetime,
    default_zone: str,
) -> list[PlanWeek]:
    """Per plan in scope: what is due this week, how much of it is done, who is overdue."""
    if scope.empty:
        return []
    done_states = (AssignmentStatus.SUBMITTED, AssignmentStatus.ACCEPTED)
    rows = await session.execute(
        select(
            Activity.plan_id,
            func.count(),
            func.sum(case((Assignment.status.in_(done_states), 1), else_=0)),
        )
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
        .join(Plan, Plan.id == Activity.plan_id)
        .where(
            _visible(scope),
            Activity.cancelled_at.is_(None),
            Plan.archived_at.is_(None),
            Assignment.status != AssignmentStatus.CANCELLED,
            Assignment.due_date >= today,
            Assignment.due_date <= week_end,
        )
        .group_by(Activity.plan_id)
    )
    week = {plan_id: (int(due), int(done or 0)) for plan_id, due, done in rows}
    result = []
    for plan in await plan_status(session, scope, now, default_zone):
        due, done = week.get(plan.plan_id, (0, 0))
        if not due and not plan.counts.overdue:
            continue
        result.append(
            PlanWeek(
                plan.title,
                due,
                done,
                plan.counts.overdue,
                [s.name for s in plan.behind if s.counts.overdue],
            )
        )
    return result


async def plans_with_stages(session: AsyncSession, plan_ids: list[int]) -> set[int]:
    """Which of the plans are split into stages ("I этап …", a road map's)."""
    if not plan_ids:
        return set()
    found = await session.scalars(
        select(Stage.plan_id).where(Stage.plan_id.in_(plan_ids)).distinct()
    )
    return set(found)


@dataclass(frozen=True)
class ChartParts:
    """What the progress chart draws: the plan, and one labelled count per bar."""

    title: str
    counts: Counts
    parts: list[tuple[str, Counts]]


async def chart_parts(
    session: AsyncSession, scope: Scope, plan_id: int, now: datetime, default_zone: str
) -> ChartParts | None:
    """The plan's directions, or its schools when it has one direction or none; None when the
    plan is not in `scope`."""
    plans = [
        p for p in await plan_status(session, scope, now, default_zone) if p.plan_id == plan_id
    ]
    if not plans:
        return None
    plan = plans[0]
    if len(plan.directions) > 1:
        parts = [(f"{d.code}. {d.title}", d.counts) for d in plan.directions]
    else:
        direction_id = plan.directions[0].direction_id if plan.directions else None
        schools = await direction_schools(
            session, scope, plan.plan_id, direction_id, now, default_zone
        )
        parts = [(s.name, s.counts) for s in schools]
    return ChartParts(plan.title, plan.counts, parts)
