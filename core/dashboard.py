"""The coordinator's dashboard: plans, the school × activity matrix, a cell's card, a file.

Use cases for the Mini App's JSON API (web/). Who sees what is the same rule as /status
(`core.scope`), cards and decisions go through `core.work` (the same permission functions
as in chat), so the page can show or change nothing the chat would not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import audit, matrix
from core.dto import UserContext
from core.permissions import may_see_submission
from core.scope import Scope, scope_of, visible
from core.states import AssignmentStatus, SubmissionStatus
from core.status import DEPARTMENT, OPEN, base_conditions, joined, overdue_condition
from core.status_counts import counted_cells
from core.work import ItemCard, WorkError, item_card
from db.models import (
    Activity,
    Assignment,
    Direction,
    EvidenceFile,
    Plan,
    PlanSchool,
    School,
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
        by_school = select(PlanSchool.plan_id).where(PlanSchool.school_id.in_(scope.school_ids))
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
            if d[1] == plan_id
            and (
                not _plan_level(scope, plan_id)
                or not scope.direction_ids
                or d[0] in scope.direction_ids
            )
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
    """One page of the matrix: columns, the schools' rows, totals over every matching school."""
    scope = scope_of(user)
    choice = next((p for p in await plans(session, user) if p.id == filters.plan_id), None)
    if choice is None:
        raise WorkError("forbidden")
    plan = await session.get(Plan, filters.plan_id)
    assert plan is not None
    columns = await _columns(session, scope, filters)
    # Candidate rows from the counts table (small: one row per direction, section and school).
    cells = await counted_cells(
        session,
        scope,
        now,
        default_zone,
        plan_id=filters.plan_id,
        direction_id=filters.direction_id,
    )
    names: dict[int, str] = {}
    for cell in cells:
        if cell.numbers[0] > 0:
            names[cell.school_id or DEPARTMENT_ID] = cell.school_name or DEPARTMENT
    needle = filters.search.strip().casefold()
    chosen = sorted(
        (i for i, name in names.items() if needle in name.casefold()),
        key=lambda i: _natural(names[i]),
    )
    overdue = await overdue_condition(session, now, default_zone)
    activity_ids = [c.activity_id for c in columns]
    if filters.status in matrix.STATUS_FILTERS and chosen:
        chosen_set = set(
            await _schools_with(session, scope, activity_ids, chosen, filters.status, overdue)
        )
        chosen = [i for i in chosen if i in chosen_set]
    limit = min(max(filters.limit, 1), MAX_PAGE_ROWS)
    offset = max(filters.offset, 0)
    page = chosen[offset : offset + limit]
    zones = await _zones(session, page)
    todays = _Today(now, plan.timezone or default_zone)
    items = await _items(session, scope, activity_ids, page)
    position = {a: index for index, a in enumerate(activity_ids)}
    rows = [
        matrix.build_row(
            school_id,
            names[school_id],
            matrix.abbreviate(names[school_id]),
            len(columns),
            (
                matrix.Item(position[a], i, s, d)
                for a, i, s, d in items.get(school_id, [])
                if a in position
            ),
            todays(zones.get(school_id)),
        )
        for school_id in page
    ]
    filtered = chosen if len(chosen) != len(names) else None
    column_totals = await _column_totals(session, scope, activity_ids, filtered, overdue)
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
        allowed.append(
            Activity.direction_id.in_(scope.direction_ids)
            if scope.direction_ids and not scope.all_plans
            else Activity.id.is_not(None)
        )
    if scope.school_ids:
        allowed.append(
            Activity.id.in_(
                select(Assignment.activity_id).where(Assignment.school_id.in_(scope.school_ids))
            )
        )
    query = query.where(or_(*allowed))
    return [
        Column(
            r[0],
            r[1],
            r[2],
            f"{r[5]}. {r[6]}" if r[5] else (r[3] or ""),
            r[4],
        )
        for r in await session.execute(query)
    ]


def _school_match(school_ids: list[int]) -> ColumnElement[bool]:
    real = [i for i in school_ids if i != DEPARTMENT_ID]
    match = Assignment.school_id.in_(real)
    return or_(match, Assignment.school_id.is_(None)) if DEPARTMENT_ID in school_ids else match


def _code_condition(code: str, overdue: ColumnElement[bool]) -> ColumnElement[bool]:
    if code == matrix.ACCEPTED:
        return Assignment.status == AssignmentStatus.ACCEPTED
    if code == matrix.SUBMITTED:
        return Assignment.status == AssignmentStatus.SUBMITTED
    if code == matrix.OVERDUE:
        return overdue
    status = AssignmentStatus.RETURNED if code == matrix.RETURNED else AssignmentStatus.OPEN
    return and_(Assignment.status == status, ~overdue)


async def _schools_with(
    session: AsyncSession,
    scope: Scope,
    activity_ids: list[int],
    school_ids: list[int],
    code: str,
    overdue: ColumnElement[bool],
) -> list[int]:
    """The schools among `school_ids` with at least one cell of `code`."""
    rows = await session.execute(
        joined(Assignment.school_id)  # type: ignore[attr-defined]
        .where(
            *base_conditions(scope),
            Assignment.activity_id.in_(activity_ids),
            _school_match(school_ids),
            _code_condition(code, overdue),
        )
        .distinct()
    )
    return [r[0] or DEPARTMENT_ID for r in rows]


async def _items(
    session: AsyncSession, scope: Scope, activity_ids: list[int], school_ids: list[int]
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
        )
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(
            visible(scope, Activity.plan_id, Activity.direction_id, Assignment.school_id),
            Assignment.activity_id.in_(activity_ids),
            _school_match(school_ids),
        )
    )
    found: dict[int, list[tuple[int, int, AssignmentStatus, date | None]]] = {}
    for activity_id, assignment_id, status, due, school_id in rows:
        found.setdefault(school_id or DEPARTMENT_ID, []).append(
            (activity_id, assignment_id, status, due)
        )
    return found


async def _column_totals(
    session: AsyncSession,
    scope: Scope,
    activity_ids: list[int],
    school_ids: list[int] | None,
    overdue: ColumnElement[bool],
) -> list[dict[str, int]]:
    """Per column, how many cells of each letter among the matching schools (all pages)."""
    if not activity_ids:
        return []
    codes = matrix.CODES[:-1]
    sums = [
        func.coalesce(func.sum(case((_code_condition(code, overdue), 1), else_=0)), 0).cast(Integer)
        for code in codes
    ]
    query = (
        joined(Assignment.activity_id, *sums)  # type: ignore[attr-defined]
        .where(*base_conditions(scope), Assignment.activity_id.in_(activity_ids))
        .group_by(Assignment.activity_id)
    )
    if school_ids is not None:
        if not school_ids:
            return [matrix.Totals().as_dict() for _ in activity_ids]
        query = query.where(_school_match(school_ids))
    found = {r[0]: r[1:] for r in await session.execute(query)}
    result = []
    for activity_id in activity_ids:
        totals = matrix.Totals()
        for code, number in zip(codes, found.get(activity_id, (0,) * len(codes)), strict=True):
            totals.add(code, int(number))
        result.append(totals.as_dict())
    return result


async def _zones(session: AsyncSession, school_ids: list[int]) -> dict[int, str | None]:
    rows = await session.execute(
        select(School.id, School.timezone).where(School.id.in_([i for i in school_ids if i]))
    )
    return {r[0]: r[1] for r in rows}


class _Today:
    """A school's local date (its zone, else the plan's)."""

    def __init__(self, now: datetime, plan_zone: str) -> None:
        self.now = now
        self.plan_zone = plan_zone
        self.known: dict[str | None, date] = {}

    def __call__(self, zone: str | None) -> date:
        if zone not in self.known:
            try:
                self.known[zone] = self.now.astimezone(ZoneInfo(zone or self.plan_zone)).date()
            except (KeyError, ValueError):
                self.known[zone] = self.now.astimezone(ZoneInfo(self.plan_zone)).date()
        return self.known[zone]


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
        card, school_id, activity_id, await audit.item_history(session, assignment_id)
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
