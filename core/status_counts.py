"""Status cells read from the counts table (db/status_counts.py keeps it), with overdue
recounted for the rows whose day has moved on in their school's zone."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, case, func, or_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.scope import Scope, visible
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, School, StatusCount

OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)


@dataclass(frozen=True)
class Cell:
    """Counts of one plan's work in one direction, section, stage and school."""

    plan_id: int
    title: str
    direction_id: int | None
    section: str | None
    school_id: int | None
    school_name: str | None
    numbers: tuple[int, int, int, int, int]  # total, accepted, submitted, open, overdue
    stage_id: int | None = None


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
        .where(
            visible(scope, StatusCount.plan_id, StatusCount.direction_id, StatusCount.school_id),
            Plan.archived_at.is_(None),
        )
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
    todays = LocalDates(now, default_zone)
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
            row.stage_id or None,
        )
        for row, title, _plan_zone, name, _school_zone in rows
    ]


_COUNT_COLUMNS = (
    StatusCount.id,
    StatusCount.plan_id,
    StatusCount.direction_id,
    StatusCount.section,
    StatusCount.stage_id,
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
    stage_id: int
    school_id: int
    total: int
    accepted: int
    submitted: int
    open: int
    overdue: int
    fresh_on: date | None
    stale_after: date | None


class LocalDates:
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
        (plan_id, direction_id or 0, section or "", stage_id or 0, school_id or 0): (
            int(late),
            first_due,
        )
        for plan_id, direction_id, section, stage_id, school_id, late, first_due in (
            await session.execute(
                select(
                    Activity.plan_id,
                    Activity.direction_id,
                    Activity.section,
                    Activity.stage_id,
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
                    Activity.plan_id,
                    Activity.direction_id,
                    Activity.section,
                    Activity.stage_id,
                    Assignment.school_id,
                )
            )
        )
    }
    # Plans are locked in one order, as writers lock them, so a refresh cannot deadlock one.
    for plan_id in sorted(plans):
        await session.execute(select(Plan.id).where(Plan.id == plan_id).with_for_update())
    changes = []
    for row in rows:
        row.overdue, row.stale_after = found.get(
            (row.plan_id, row.direction_id, row.section, row.stage_id, row.school_id), (0, None)
        )
        row.fresh_on = today
        changes.append(
            {"id": row.id, "overdue": row.overdue, "fresh_on": today,
             "stale_after": row.stale_after}
        )  # fmt: skip
    await session.execute(update(StatusCount), changes)
