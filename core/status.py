"""Status of plans from SQL aggregates: a constant number of queries whatever the region's size.

"Overdue" means open work whose due date has passed in the school's own time zone (the
department's work uses the plan's zone), so the numbers are right in every zone at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, and_, case, func, literal, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.dto import UserContext
from core.people import curator_names
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Direction, Plan, School, StatusCount

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


@dataclass(frozen=True)
class Scope:
    """Which work a person may see: every plan, some plans (and directions), or some schools."""

    all_plans: bool = False
    plan_ids: frozenset[int] = frozenset()
    direction_ids: frozenset[int] = frozenset()  # restricts the plans above when set
    school_ids: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.all_plans or self.plan_ids or self.school_ids)


def scope_of(user: UserContext) -> Scope:
    """Admins: everything; coordinators: their plans or directions; others: their schools."""
    plans: set[int] = set()
    directions: set[int] = set()
    schools: set[int] = set()
    for m in user.memberships:
        if m.role == Role.ADMIN or (m.role == Role.COORDINATOR and m.plan_id is None):
            return Scope(all_plans=True)
        if m.role == Role.COORDINATOR and m.plan_id is not None:
            plans.add(m.plan_id)
            if m.direction_id is not None:
                directions.add(m.direction_id)
        elif m.role in (Role.CURATOR, Role.OBSERVER) and m.school_id is not None:
            schools.add(m.school_id)
    return Scope(
        plan_ids=frozenset(plans),
        direction_ids=frozenset(directions),
        school_ids=frozenset(schools),
    )


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


def _visible(scope: Scope) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if scope.all_plans:
        return literal(True)
    if scope.plan_ids:
        by_plan: ColumnElement[bool] = Activity.plan_id.in_(scope.plan_ids)
        if scope.direction_ids:
            by_plan = and_(by_plan, Activity.direction_id.in_(scope.direction_ids))
        conditions.append(by_plan)
    if scope.school_ids:
        conditions.append(Assignment.school_id.in_(scope.school_ids))
    return or_(*conditions) if conditions else literal(False)


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


@dataclass(frozen=True)
class Cell:
    """Counts of one plan's work in one direction, section and school."""

    plan_id: int
    title: str
    direction_id: int | None
    section: str | None
    school_id: int | None
    school_name: str | None
    numbers: tuple[int, int, int, int, int]  # total, accepted, submitted, open, overdue


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
    by_plan: dict[int, list[Cell]] = defaultdict(list)
    for cell in cells:
        _add(direction_sums[(cell.plan_id, cell.title, cell.direction_id)], cell.numbers)
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
        total = [0] * 5
        for d in status.directions:
            _add(total, [d.counts.total, d.counts.accepted, d.counts.submitted, d.counts.open,
                         d.counts.overdue])  # fmt: skip
        status.counts = Counts(*total)
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
        await _add_sections(session, by_plan, undirected)
    return sorted(plans.values(), key=lambda p: (p.title, p.plan_id))


async def _add_sections(
    session: AsyncSession, by_plan: dict[int, list[Cell]], plans: list[PlanStatus]
) -> None:
    """Plans without directions are summed by the sections of the plan, in document order."""
    order = {
        (plan_id, section): position
        for plan_id, section, position in await session.execute(
            select(Activity.plan_id, Activity.section, func.min(Activity.position))
            .where(Activity.plan_id.in_([p.plan_id for p in plans]))
            .group_by(Activity.plan_id, Activity.section)
        )
    }
    for plan in plans:
        sums: dict[str | None, list[int]] = defaultdict(lambda: [0] * 5)
        for cell in by_plan[plan.plan_id]:
            _add(sums[cell.section], cell.numbers)
        if all(section is None for section in sums):
            continue  # a plan without any section keeps its one line
        for section in sorted(sums, key=lambda s: (order.get((plan.plan_id, s), 0), s or "")):
            plan.sections.append(SectionStatus(section or NO_SECTION, Counts(*sums[section])))


def _counts_visible(scope: Scope) -> ColumnElement[bool]:
    if scope.all_plans:
        return literal(True)
    conditions: list[ColumnElement[bool]] = []
    if scope.plan_ids:
        by_plan: ColumnElement[bool] = StatusCount.plan_id.in_(scope.plan_ids)
        if scope.direction_ids:
            by_plan = and_(by_plan, StatusCount.direction_id.in_(scope.direction_ids))
        conditions.append(by_plan)
    if scope.school_ids:
        conditions.append(StatusCount.school_id.in_(scope.school_ids))
    return or_(*conditions) if conditions else literal(False)


async def counted_cells(
    session: AsyncSession,
    scope: Scope,
    now: datetime,
    default_zone: str,
    plan_id: int | None = None,
    direction_id: int | None = None,
) -> list[Cell]:
    """Cells from the counts table; overdue recounted first where its day no longer holds."""
    query = (
        select(*_COUNT_COLUMNS, Plan.title, Plan.timezone, School.name, School.timezone)
        .join(Plan, Plan.id == StatusCount.plan_id)
        .outerjoin(School, School.id == StatusCount.school_id)
        .where(_counts_visible(scope), Plan.archived_at.is_(None))
    )
    if plan_id is not None:
        query = query.where(StatusCount.plan_id == plan_id)
    if direction_id is not None:
        query = query.where(StatusCount.direction_id == direction_id)
    width = len(_COUNT_COLUMNS)
    rows: list[tuple[_Row, str, str | None, str | None, str | None]] = [
        (_Row(*r[:width]), r[width], r[width + 1], r[width + 2], r[width + 3])  # type: ignore[arg-type, misc]
        for r in await session.execute(query)
    ]
    todays = _Todays(now, default_zone)
    stale: dict[date, list[_Row]] = defaultdict(list)
    for row, _title, plan_zone, _name, school_zone in rows:
        today = todays(school_zone or plan_zone)
        if (
            row.fresh_on is None
            or row.fresh_on > today
            or (row.stale_after is not None and today > row.stale_after)
        ):
            stale[today].append(row)
    for today, counts in stale.items():
        await _refresh_overdue(session, today, counts)
    return [
        Cell(
            row.plan_id,
            title,
            row.direction_id or None,
            row.section or None,
            row.school_id or None,
            name,
            (row.total, row.accepted, row.submitted, row.open, row.overdue),
        )
        for row, title, _plan_zone, name, _school_zone in rows
    ]


_COUNT_COLUMNS = (
    StatusCount.id,
    StatusCount.plan_id,
    StatusCount.direction_id,
    StatusCount.section,
    StatusCount.school_id,
    StatusCount.total,
    StatusCount.accepted,
    StatusCount.submitted,
    StatusCount.open,
    StatusCount.overdue,
    StatusCount.fresh_on,
    StatusCount.stale_after,
)


@dataclass
class _Row:
    """One status_counts row as read (not an ORM object: a recount may replace it)."""

    id: int
    plan_id: int
    direction_id: int
    section: str
    school_id: int
    total: int
    accepted: int
    submitted: int
    open: int
    overdue: int
    fresh_on: date | None
    stale_after: date | None


class _Todays:
    """Local dates by zone name, the default zone's for an unknown or invalid one."""

    def __init__(self, now: datetime, default_zone: str) -> None:
        self.now = now
        self.default = now.astimezone(ZoneInfo(default_zone)).date()
        self.known: dict[str | None, date] = {}

    def __call__(self, zone: str | None) -> date:
        if zone not in self.known:
            try:
                self.known[zone] = (
                    self.now.astimezone(ZoneInfo(zone)).date() if zone else self.default
                )
            except (KeyError, ValueError):
                self.known[zone] = self.default
        return self.known[zone]


async def _refresh_overdue(session: AsyncSession, today: date, rows: list[_Row]) -> None:
    """Count open work due before `today` for these rows and note until when that holds."""
    plans = {r.plan_id for r in rows}
    schools = {r.school_id for r in rows}
    match = [Assignment.school_id.in_(schools - {0})] if schools - {0} else []
    if 0 in schools:
        match.append(Assignment.school_id.is_(None))
    found = {
        (plan_id, direction_id or 0, section or "", school_id or 0): (int(late), first_due)
        for plan_id, direction_id, section, school_id, late, first_due in await session.execute(
            select(
                Activity.plan_id,
                Activity.direction_id,
                Activity.section,
                Assignment.school_id,
                func.coalesce(func.sum(case((Assignment.due_date < today, 1), else_=0)), 0),
                type_coerce(
                    func.min(case((Assignment.due_date >= today, Assignment.due_date))), Date
                ),
            )
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(
                Activity.plan_id.in_(plans),
                Activity.cancelled_at.is_(None),
                Assignment.status.in_(OPEN),
                or_(*match),
            )
            .group_by(
                Activity.plan_id, Activity.direction_id, Activity.section, Assignment.school_id
            )
        )
    }
    # Plans are locked in one order, as writers lock them, so a refresh cannot deadlock one.
    for plan_id in sorted(plans):
        await session.execute(select(Plan.id).where(Plan.id == plan_id).with_for_update())
    changes = []
    for row in rows:
        row.overdue, row.stale_after = found.get(
            (row.plan_id, row.direction_id, row.section, row.school_id), (0, None)
        )
        row.fresh_on = today
        changes.append(
            {"id": row.id, "overdue": row.overdue, "fresh_on": today,
             "stale_after": row.stale_after}
        )  # fmt: skip
    await session.execute(update(StatusCount), changes)


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
            (int(row[6]), int(row[7]), int(row[8]), int(row[9]), int(row[10])),
        )
        for row in rows
    ]


async def school_items(
    session: AsyncSession,
    scope: Scope,
    plan_id: int,
    direction_id: int | None,
    school_id: int | None,
    limit: int = 30,
) -> list[tuple[int, str, AssignmentStatus, date | None]]:
    """(assignment id, title, status, due) of one school's items in a direction."""
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
            _joined(Assignment.id, Activity.title, Assignment.status, Assignment.due_date)  # type: ignore[attr-defined]
            .where(*_base(scope), Activity.plan_id == plan_id, direction_match, school_match)
            .order_by(Assignment.due_date.is_(None), Assignment.due_date, Activity.position)
            .limit(limit)
        )
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


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
        names[school_id] = school or "Управление образования"
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
