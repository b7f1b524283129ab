"""The coordinator's dashboard: plans, the school × activity matrix, a cell's card, a file.

Use cases for the Mini App's JSON API (web/). Who sees what is the same rule as /status
(`core.scope`), cards and decisions go through `core.work` (the same permission functions
as in chat), so the page can show or change nothing the chat would not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from core import audit, matrix
from core.dto import UserContext
from core.permissions import may_see_submission
from core.scope import Scope, school_visible, scope_of, visible
from core.states import AssignmentStatus, SubmissionStatus
from core.status import DEPARTMENT, OPEN
from core.status_counts import LocalDates
from core.work import ItemCard, WorkError, item_card, item_history
from db.models import (
    Activity,
    Assignment,
    Direction,
    EvidenceFile,
    Plan,
    PlanSchool,
    School,
    StatusCount,
    Submission,
    User,
)

PAGE_ROWS = 60  # schools per page of the matrix; the page asks for more as it scrolls
MAX_PAGE_ROWS = 500
DEPARTMENT_ID = 0  # the row of the department's own items (no school)


@dataclass(frozen=True)
class DirectionChoice:
    id: int
    code: str
    title: str


@dataclass(frozen=True)
class PlanChoice:
    id: int
    title: str
    directions: list[DirectionChoice]


@dataclass(frozen=True)
class Column:
    activity_id: int
    number: str | None
    title: str
    group: str  # the direction ("II. …") or the section the activity sits under
    due: date | None
    direction_id: int | None = None


@dataclass(frozen=True)
class MatrixFilters:
    plan_id: int
    direction_id: int | None = None
    status: str | None = None  # one of matrix.STATUS_FILTERS
    search: str = ""
    offset: int = 0
    limit: int = PAGE_ROWS


@dataclass
class MatrixPage:
    plan: PlanChoice
    view: str  # "plan" (coordinators, admins) or "school" (curators, observers)
    columns: list[Column]
    rows: list[matrix.Row]
    column_totals: list[dict[str, int]]
    totals: dict[str, int]
    schools: int  # schools matching the filters (rows on all pages)
    offset: int
    today: date


@dataclass(frozen=True)
class EvidenceLink:
    evidence_id: int
    name: str
    size: int | None
    missing: bool


@dataclass
class CellCard:
    card: ItemCard
    school_id: int
    activity_id: int
    history: list[audit.AuditLine]
    files: list[EvidenceLink] = field(default_factory=list)
    submitted_by: str | None = None
    submitted_at: datetime | None = None


def _plan_level(scope: Scope, plan_id: int) -> bool:
    return scope.all_plans or plan_id in scope.plan_ids


async def plans(session: AsyncSession, user: UserContext) -> list[PlanChoice]:
    """The plans the person may see, with the directions they may see in each."""
    scope = scope_of(user)
    if scope.empty:
        return []
    query = select(Plan.id, Plan.title).where(Plan.archived_at.is_(None)).order_by(Plan.id)
    if not scope.all_plans:
        by_school = select(PlanSchool.plan_id).where(
            school_visible(scope, PlanSchool.plan_id, None, PlanSchool.school_id)
        )
        query = query.where(or_(Plan.id.in_(scope.plan_ids), Plan.id.in_(by_school)))
    found = (await session.execute(query)).all()
    directions = (
        await session.execute(
            select(Direction.id, Direction.plan_id, Direction.code, Direction.title)
            .where(Direction.plan_id.in_([p[0] for p in found]))
            .order_by(Direction.plan_id, Direction.position, Direction.id)
        )
    ).all()
    result = []
    for plan_id, title in found:
        mine = [
            DirectionChoice(d[0], d[2], d[3])
            for d in directions
            if d[1] == plan_id and (not _plan_level(scope, plan_id) or scope.covers(plan_id, d[0]))
        ]
        result.append(PlanChoice(plan_id, title, mine))
    return result


async def plan_matrix(
    session: AsyncSession,
    user: UserContext,
    now: datetime,
    default_zone: str,
    filters: MatrixFilters,
) -> MatrixPage:
    """One page of the matrix: columns, the schools' rows, totals over every matching school.

    Region-sized plans (1,000 schools × 200 activities) stay fast: candidate schools come from
    the counts table, totals from an index holding (activity, status, due, school), and only
    the page's rows are read item by item."""
    scope = scope_of(user)
    choice = next((p for p in await plans(session, user) if p.id == filters.plan_id), None)
    if choice is None:
        raise WorkError("forbidden")
    plan = await session.get(Plan, filters.plan_id)
    assert plan is not None
    columns = await _columns(session, scope, filters)
    activity_ids = [c.activity_id for c in columns]
    schools = await _candidates(session, scope, filters)
    todays = LocalDates(now, plan.timezone or default_zone)
    allowed = _allowed(scope, filters.plan_id, columns)
    needle = filters.search.strip().casefold()
    chosen = sorted(
        (i for i, (name, _) in schools.items() if needle in name.casefold()),
        key=lambda i: _natural(schools[i][0]),
    )
    if filters.status in matrix.STATUS_FILTERS and chosen and activity_ids:
        having = await _schools_with(
            session, activity_ids, allowed, filters.status, lambda i: todays(schools[i][1])
        )
        chosen = [i for i in chosen if i in having]
    limit = min(max(filters.limit, 1), MAX_PAGE_ROWS)
    offset = max(filters.offset, 0)
    page = chosen[offset : offset + limit]
    items = await _items(session, activity_ids, allowed, page)
    position = {a: index for index, a in enumerate(activity_ids)}
    rows = [
        matrix.build_row(
            school_id,
            schools[school_id][0],
            matrix.abbreviate(schools[school_id][0]),
            len(columns),
            (matrix.Item(position[a], i, st, d) for a, i, st, d in items.get(school_id, [])),
            todays(schools[school_id][1]),
        )
        for school_id in page
    ]
    every = len(chosen) == len(schools)
    column_totals = await _column_totals(
        session,
        activity_ids,
        allowed,
        None if every else chosen,
        {i: todays(zone) for i, (_, zone) in schools.items()},
    )
    totals = matrix.Totals()
    for counts in column_totals:
        for code, number in counts.items():
            if code != "total":
                totals.add(code, number)
    return MatrixPage(
        plan=choice,
        view="plan" if _plan_level(scope, plan.id) else "school",
        columns=columns,
        rows=rows,
        column_totals=column_totals,
        totals=totals.as_dict(),
        schools=len(chosen),
        offset=offset,
        today=todays(None),
    )


async def _columns(session: AsyncSession, scope: Scope, filters: MatrixFilters) -> list[Column]:
    """The plan's activities the person sees, in the plan's order, grouped by direction."""
    query = (
        select(
            Activity.id,
            Activity.number,
            Activity.title,
            Activity.section,
            Activity.due_date,
            Activity.direction_id,
            Direction.code,
            Direction.title,
        )
        .outerjoin(Direction, Direction.id == Activity.direction_id)
        .where(Activity.plan_id == filters.plan_id, Activity.cancelled_at.is_(None))
        .order_by(func.coalesce(Direction.position, -1), Activity.position, Activity.id)
    )
    if filters.direction_id is not None:
        query = query.where(Activity.direction_id == filters.direction_id)
    allowed: list[ColumnElement[bool]] = []
    if _plan_level(scope, filters.plan_id):
        directions = scope.directions(filters.plan_id)
        allowed.append(
            Activity.id.is_not(None)
            if directions is None
            else Activity.direction_id.in_(directions)
        )
    inner = aliased(Activity)
    by_school = school_visible(scope, inner.plan_id, inner.direction_id, Assignment.school_id)
    allowed.append(
        Activity.id.in_(
            select(Assignment.activity_id)
            .join(inner, inner.id == Assignment.activity_id)
            .where(inner.plan_id == filters.plan_id, by_school)
        )
    )
    query = query.where(or_(*allowed))
    return [
        Column(r[0], r[1], r[2], f"{r[6]}. {r[7]}" if r[6] else (r[3] or ""), r[4], r[5])
        for r in await session.execute(query)
    ]


def _allowed(scope: Scope, plan_id: int, columns: list[Column]) -> ColumnElement[bool] | None:
    """Which of the columns' items the person may see (None: all of them). The same rule as
    `core.scope.visible`, written over the chosen columns so no join is needed."""
    if scope.all_plans:
        return None
    whole = [c.activity_id for c in columns if scope.covers(plan_id, c.direction_id)]
    if len(whole) == len(columns):
        return None
    allowed: list[ColumnElement[bool]] = [Assignment.activity_id.in_(whole)]
    inside = scope.within_plan(plan_id)
    for school_id, _, direction_id in sorted(
        inside.works | inside.watches, key=lambda g: (g[0], g[2] or 0)
    ):
        ids = [c.activity_id for c in columns if direction_id in (None, c.direction_id)]
        allowed.append(and_(Assignment.school_id == school_id, Assignment.activity_id.in_(ids)))
    return or_(*allowed)


async def _candidates(
    session: AsyncSession, scope: Scope, filters: MatrixFilters
) -> dict[int, tuple[str, str | None]]:
    """Schools with visible work in the plan (and direction): id → (name, time zone)."""
    query = (
        select(StatusCount.school_id, School.name, School.timezone)
        .outerjoin(School, School.id == StatusCount.school_id)
        .where(
            StatusCount.plan_id == filters.plan_id,
            StatusCount.total > 0,
            visible(scope, StatusCount.plan_id, StatusCount.direction_id, StatusCount.school_id),
        )
        .distinct()
    )
    if filters.direction_id is not None:
        query = query.where(StatusCount.direction_id == filters.direction_id)
    return {
        school_id or DEPARTMENT_ID: (name or DEPARTMENT, zone)
        for school_id, name, zone in await session.execute(query)
    }


def _school_match(school_ids: list[int]) -> ColumnElement[bool]:
    real = [i for i in school_ids if i != DEPARTMENT_ID]
    match = Assignment.school_id.in_(real)
    return or_(match, Assignment.school_id.is_(None)) if DEPARTMENT_ID in school_ids else match


def _where(
    activity_ids: list[int], allowed: ColumnElement[bool] | None
) -> list[ColumnElement[bool]]:
    conditions = [
        Assignment.activity_id.in_(activity_ids),
        Assignment.status != AssignmentStatus.CANCELLED,
    ]
    return conditions if allowed is None else [*conditions, allowed]


async def _schools_with(
    session: AsyncSession,
    activity_ids: list[int],
    allowed: ColumnElement[bool] | None,
    code: str,
    today_of: Callable[[int], date],
) -> set[int]:
    """The schools with at least one cell of `code` (overdue: by each school's own date)."""
    status = {
        matrix.ACCEPTED: [AssignmentStatus.ACCEPTED],
        matrix.SUBMITTED: [AssignmentStatus.SUBMITTED],
        matrix.RETURNED: [AssignmentStatus.RETURNED],
        matrix.NOT_STARTED: [AssignmentStatus.OPEN],
        matrix.OVERDUE: list(OPEN),
    }[code]
    rows = await session.execute(
        select(
            Assignment.school_id,
            func.min(Assignment.due_date),
            func.max(Assignment.due_date),
            func.count(),
            func.count(Assignment.due_date),
        )
        .where(*_where(activity_ids, allowed), Assignment.status.in_(status))
        .group_by(Assignment.school_id)
    )
    found: set[int] = set()
    for school_id, earliest, latest, items, dated in rows:
        key = school_id or DEPARTMENT_ID
        today = today_of(key)
        if code == matrix.OVERDUE:
            hit = earliest is not None and earliest < today
        elif code in (matrix.NOT_STARTED, matrix.RETURNED):
            hit = items > dated or (latest is not None and latest >= today)  # not yet late
        else:
            hit = True
        if hit:
            found.add(key)
    return found


async def _items(
    session: AsyncSession,
    activity_ids: list[int],
    allowed: ColumnElement[bool] | None,
    school_ids: list[int],
) -> dict[int, list[tuple[int, int, AssignmentStatus, date | None]]]:
    """(activity, assignment, status, due) of the page's schools, by school."""
    if not school_ids or not activity_ids:
        return {}
    rows = await session.execute(
        select(
            Assignment.activity_id,
            Assignment.id,
            Assignment.status,
            Assignment.due_date,
            Assignment.school_id,
        ).where(*_where(activity_ids, allowed), _school_match(school_ids))
    )
    found: dict[int, list[tuple[int, int, AssignmentStatus, date | None]]] = {}
    for activity_id, assignment_id, status, due, school_id in rows:
        found.setdefault(school_id or DEPARTMENT_ID, []).append(
            (activity_id, assignment_id, status, due)
        )
    return found


async def _column_totals(
    session: AsyncSession,
    activity_ids: list[int],
    allowed: ColumnElement[bool] | None,
    school_ids: list[int] | None,
    todays: dict[int, date],
) -> list[dict[str, int]]:
    """Per column, how many cells of each letter among the matching schools (all pages).

    Counted by (status, due date) from the index; only open work due on a day that is
    "today" in some zones and already past in others is counted school by school."""
    totals = {a: matrix.Totals() for a in activity_ids}
    if not activity_ids or school_ids == []:
        return [totals[a].as_dict() for a in activity_ids]
    where = _where(activity_ids, allowed)
    if school_ids is not None:
        where.append(_school_match(school_ids))
    days = set(todays.values()) or {date.min}
    first, last = min(days), max(days)
    mixed: set[date] = set()
    for activity_id, status, due, number in await session.execute(
        select(Assignment.activity_id, Assignment.status, Assignment.due_date, func.count())
        .where(*where)
        .group_by(Assignment.activity_id, Assignment.status, Assignment.due_date)
    ):
        if status in OPEN and due is not None and first <= due < last:
            mixed.add(due)  # late in some schools' zones, not yet in others
            continue
        totals[activity_id].add(matrix.cell_code(status, due, first), int(number))
    if mixed:
        for activity_id, status, due, school_id in await session.execute(
            select(
                Assignment.activity_id, Assignment.status, Assignment.due_date, Assignment.school_id
            ).where(*where, Assignment.status.in_(OPEN), Assignment.due_date.in_(mixed))
        ):
            today = todays.get(school_id or DEPARTMENT_ID, first)
            totals[activity_id].add(matrix.cell_code(status, due, today))
    return [totals[a].as_dict() for a in activity_ids]


def _natural(name: str) -> tuple[object, ...]:
    """ "ОО № 2" before "ОО № 10"; the department's row last."""
    parts = re.split(r"(\d+)", name.casefold())
    return (name == DEPARTMENT, *((0, int(p)) if p.isdigit() else (1, p) for p in parts))


async def cell_card(
    session: AsyncSession, user: UserContext, activity_id: int, school_id: int
) -> CellCard:
    """The card of one school's item with its history and evidence, for someone who may see it."""
    assignment_id = await session.scalar(
        select(Assignment.id).where(
            Assignment.activity_id == activity_id,
            Assignment.school_id.is_(None)
            if school_id == DEPARTMENT_ID
            else Assignment.school_id == school_id,
        )
    )
    if assignment_id is None:
        raise WorkError("not_found")
    card = await item_card(session, user, assignment_id)  # raises unless they may see it
    result = CellCard(
        card, school_id, activity_id, await item_history(session, user, assignment_id)
    )
    activity = await session.get(Activity, activity_id)
    assert activity is not None
    if not may_see_submission(user, activity.plan_id, activity.direction_id, school_id or None):
        return result  # observers see the status, not the evidence
    last = (
        await session.execute(
            select(Submission, User.full_name, User.forgotten_at)
            .outerjoin(User, User.id == Submission.user_id)
            .where(Submission.assignment_id == assignment_id)
            .order_by(Submission.id.desc())
            .limit(1)
        )
    ).first()
    if last is None or last[0].status == SubmissionStatus.WITHDRAWN:
        return result
    result.submitted_by = last[1] if last[2] is None else None
    result.submitted_at = last[0].created_at
    for f in await session.scalars(
        select(EvidenceFile)
        .where(EvidenceFile.submission_id == last[0].id)
        .order_by(EvidenceFile.id)
    ):
        result.files.append(
            EvidenceLink(f.id, f.file_name or f.kind, f.size, f.copy_missing_at is not None)
        )
    return result


@dataclass(frozen=True)
class EvidenceCopy:
    name: str
    mime_type: str | None
    stored_path: str | None
    telegram_file_id: str


async def evidence_file(session: AsyncSession, user: UserContext, evidence_id: int) -> EvidenceCopy:
    """A file of a submission, for someone who may see that submission."""
    row = (
        await session.execute(
            select(EvidenceFile, Activity.plan_id, Activity.direction_id, Assignment.school_id)
            .join(Submission, Submission.id == EvidenceFile.submission_id)
            .join(Assignment, Assignment.id == Submission.assignment_id)
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(EvidenceFile.id == evidence_id)
        )
    ).first()
    if row is None:
        raise WorkError("not_found")
    f, plan_id, direction_id, school_id = row
    if not may_see_submission(user, plan_id, direction_id, school_id):
        raise WorkError("forbidden")
    return EvidenceCopy(
        f.file_name or f"{f.kind}_{f.id}", f.mime_type, f.stored_path, f.telegram_file_id
    )


__all__ = ["DEPARTMENT_ID", "OPEN", "cell_card", "evidence_file", "plan_matrix", "plans"]
