"""Everything a plan report shows: its head at once, its rows streamed a few schools at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from itertools import chain
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.dto import UserContext
from core.errors import NotFound
from core.filenames import evidence_name
from core.item_state import ItemState, item_state, local_date
from core.permissions import may_report
from core.reminder_policy import resolve_zone
from core.scope import Scope, scope_of, visible
from core.states import AssignmentStatus
from core.status import DEPARTMENT, NO_SECTION, NO_STAGE, PlanStatus, plan_status
from core.when import local_moment
from db.models import (
    Activity,
    Assignment,
    Direction,
    EvidenceFile,
    Plan,
    PlanSchool,
    School,
    Stage,
    Submission,
)

NO_DIRECTION = "Без направления"  # the /status wording for work outside any direction

HANDED_IN = (AssignmentStatus.SUBMITTED, AssignmentStatus.ACCEPTED)
REMOVED_MARK = "(исключено из плана)"  # after the title of an activity a re-import removed
MISSING_MARK = " ⚠"  # after a file name: Telegram no longer gives the file, no copy was kept


# Not frozen: a region's report makes 200,000 of them, and a frozen one costs four times as much
# to make. Nothing changes a row once made.
@dataclass(slots=True)
class ReportRow:
    school: str
    activity_id: int
    number: str | None
    title: str
    status: AssignmentStatus
    due: date | None
    submitted: datetime | None
    comment: str | None
    files: tuple[str, ...]
    state: ItemState  # where it stands, on the school's (else the plan's) dates
    plan_due: date | None = None  # the plan's own date, only when the school's was moved
    handed_in: date | None = None  # the day it was handed in, on the school's dates

    @property
    def overdue(self) -> bool:
        return self.state.overdue

    def __reduce__(self) -> tuple[type[ReportRow], tuple[Any, ...]]:
        # Pickled as its fields in order, made again by __init__: a region's 200,000 rows reach
        # a report's writer process (reports/worker.py) in 0.6 × the time slots' state takes.
        return (ReportRow, _ROW_FIELDS(self))


_ROW_FIELDS = attrgetter(*(f.name for f in fields(ReportRow)))


@dataclass(frozen=True)
class ActivityDetails:
    """What the plan's own table says of an activity, and the summary group it counts in."""

    period: str
    responsible: str
    group: str
    due: date | None = None  # the date the plan runs on (the period as understood)


@dataclass
class PlanReport:
    """A report's head: the plan, its summary, activities and schools; rows come in chunks."""

    plan_id: int
    title: str
    generated: datetime
    status: PlanStatus | None
    activities: list[tuple[int, str | None, str]] = field(default_factory=list)  # id, number, title
    zone: str = "UTC"  # the plan's: every time in the report is shown in it, labelled
    # (school id or None for the department, label) in the report's order, by label.
    schools: list[tuple[int | None, str]] = field(default_factory=list)
    details: dict[int, ActivityDetails] = field(default_factory=dict)
    period: str | None = None  # "2020/2021 учебный год"
    group_kind: str = "Направление"  # what the summary is split by: directions, stages, sections
    group_order: list[str] = field(default_factory=list)
    scope: Scope | None = None  # what of the plan the reader may see (None: all of it)

    def local(self, moment: datetime) -> datetime:
        """`moment` in the plan's zone, without tzinfo (as a spreadsheet cell holds it)."""
        return local_moment(moment, self.zone)

    @property
    def total(self) -> int:
        return self.status.counts.total if self.status else 0


def document_zone(plan_zone: str | None, default_zone: str) -> str:
    """The zone a plan's documents and dashboard show times in: the plan's, else the default."""
    return resolve_zone(plan_zone, default_zone).key


async def plan_zone(session: AsyncSession, plan_id: int, default_zone: str) -> str:
    """`document_zone` of the plan `plan_id`."""
    plan = await session.get(Plan, plan_id)
    return document_zone(plan.timezone if plan else None, default_zone)


async def find_plan(session: AsyncSession, ref: str) -> Plan:
    """A plan by id or by (part of) its title."""
    if ref.isdigit():
        plan = await session.get(Plan, int(ref))
        if plan is not None:
            return plan
    key = ref.casefold()
    matches = [p for p in await session.scalars(select(Plan)) if key in p.title.casefold()]
    if len(matches) != 1:
        why = "plan_ambiguous" if matches else "plan_no_match"
        raise NotFound(
            f"{len(matches)} plans match {ref!r}; use the plan id", why, ref=ref, count=len(matches)
        )
    return matches[0]


async def report_scope(
    session: AsyncSession, user: UserContext | None, plan_id: int, school_id: int | None = None
) -> Scope:
    """What of the plan a person's report (or evidence archive) holds; NotFound unless they may
    have it. `user` None: the command line, the whole plan (or the school's part)."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", "plan_not_found", id=plan_id)
    in_plan = school_id is None or bool(await schools_in_plan(session, plan_id, {school_id}))
    if user is None:
        if not in_plan:
            raise NotFound(
                f"school {school_id} is not in plan {plan_id}",
                "school_not_in_plan",
                school=school_id,
                plan=plan_id,
            )
        return Scope.of_plan(plan_id)
    if not may_report(user, plan_id, school_id, in_plan):
        raise NotFound("not in scope")
    return scope_of(user).within_plan(plan_id)


async def schools_in_plan(session: AsyncSession, plan_id: int, school_ids: set[int]) -> set[int]:
    """Which of `school_ids` take part in the plan."""
    if not school_ids:
        return set()
    found = await session.scalars(
        select(PlanSchool.school_id).where(
            PlanSchool.plan_id == plan_id, PlanSchool.school_id.in_(school_ids)
        )
    )
    return set(found)


def _counted(plan_id: int, scope: Scope | None = None) -> list[ColumnElement[bool]]:
    conditions = [
        Activity.plan_id == plan_id,
        or_(Activity.cancelled_at.is_(None), Assignment.status.in_(HANDED_IN)),
        Assignment.status != AssignmentStatus.CANCELLED,
    ]
    if scope is not None:
        seen = visible(scope, Activity.plan_id, Activity.direction_id, Assignment.school_id)
        conditions.append(seen)
    return conditions


async def report_head(
    session: AsyncSession,
    plan_id: int,
    now: datetime,
    default_zone: str,
    school_id: int | None = None,
    scope: Scope | None = None,
) -> PlanReport:
    """The summary, the activities in plan order and the schools in name order (only
    `school_id`'s, for a school's own report), all within `scope` (`report_scope`: what the
    reader may see; None: the whole plan)."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", "plan_not_found", id=plan_id)
    scope = scope or Scope.of_plan(plan_id)
    if school_id is not None:
        scope = _one_school(scope, plan_id, school_id)
    summary = await plan_status(session, scope, now, default_zone)
    report = PlanReport(plan.id, plan.title, now, summary[0] if summary else None, scope=scope)
    report.zone = document_zone(plan.timezone, default_zone)
    query = select(Activity.id, Activity.number, Activity.title, Activity.cancelled_at).where(
        Activity.plan_id == plan_id, _in_report()
    )
    if not scope.whole_plan(plan_id):  # a direction's coordinator, a school: only theirs
        query = query.where(
            Activity.id.in_(
                select(Assignment.activity_id)
                .join(Activity, Activity.id == Assignment.activity_id)
                .where(*_counted(plan_id, scope))
            )
        )
    report.activities = [
        (a_id, number, removed_title(title, cancelled))
        for a_id, number, title, cancelled in await session.execute(
            query.order_by(Activity.position, Activity.id)
        )
    ]
    schools = await session.execute(
        select(Assignment.school_id, School.name)
        .join(Activity, Activity.id == Assignment.activity_id)
        .outerjoin(School, School.id == Assignment.school_id)
        .where(*_counted(plan_id, scope))
        .distinct()
    )
    report.schools = sorted(((i, name or DEPARTMENT) for i, name in schools), key=lambda s: s[1])
    if school_id is not None:
        report.schools = [s for s in report.schools if s[0] == school_id]
    report.period = _period(plan)
    await _details(session, report)
    return report


async def report_size(
    session: AsyncSession, plan_id: int, scope: Scope | None = None, school_id: int | None = None
) -> int:
    """How many rows `report_head`'s report would have: one query, to choose where to make it."""
    scope = scope or Scope.of_plan(plan_id)
    if school_id is not None:
        scope = _one_school(scope, plan_id, school_id)
    found = await session.scalar(
        select(func.count())
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(*_counted(plan_id, scope))
    )
    return found or 0


def _in_report() -> ColumnElement[bool]:
    """Activities a report lists: the plan's, and those removed from it that hold work handed
    in (archived, marked as removed, never dropped with the work)."""
    with_work = select(Assignment.activity_id).where(Assignment.status.in_(HANDED_IN))
    return or_(Activity.cancelled_at.is_(None), Activity.id.in_(with_work))


def removed_title(title: str, cancelled: datetime | None) -> str:
    """An activity's title, marked when a later version of the plan no longer has it."""
    return f"{title} {REMOVED_MARK}" if cancelled is not None else title


def _one_school(scope: Scope, plan_id: int, school_id: int) -> Scope:
    """The scope narrowed to one school's items (a school's own report): a reviewer's grants
    become that school's, so its evidence shows; an observer's stay statuses only."""
    inside = scope.within_plan(plan_id)
    directions = inside.directions(plan_id)
    works = {g for g in inside.works if g[0] == school_id}
    if directions is None:
        works.add((school_id, plan_id, None))
    else:
        works |= {(school_id, plan_id, d) for d in directions}
    watches = frozenset(g for g in inside.watches if g[0] == school_id)
    return Scope(works=frozenset(works), watches=watches)


def _period(plan: Plan) -> str | None:
    if plan.academic_year:
        return f"{plan.academic_year}/{plan.academic_year + 1} учебный год"
    if plan.year_from and plan.year_to and plan.year_from != plan.year_to:
        return f"{plan.year_from}–{plan.year_to} гг."
    year = plan.year_from or plan.year_to
    return f"{year} г." if year else None


async def _details(session: AsyncSession, report: PlanReport) -> None:
    """Period and responsible of each activity, and its summary group: the direction when the
    plan has directions, else the stage when it has stages (a road map's "I этап …"), else the
    section (the rule of /status and the XLSX summary)."""
    rows = (
        await session.execute(
            select(
                Activity.id,
                Activity.period_text,
                Activity.responsible_text,
                Activity.section,
                Direction.code,
                Direction.title,
                Direction.position,
                Activity.position,
                Stage.title,
                Stage.position,
                Activity.due_date,
            )
            .outerjoin(Direction, Direction.id == Activity.direction_id)
            .outerjoin(Stage, Stage.id == Activity.stage_id)
            .where(Activity.plan_id == report.plan_id, _in_report())
        )
    ).all()
    by_direction = any(r[5] is not None for r in rows)
    by_stage = not by_direction and any(r[8] for r in rows)
    by_section = not by_direction and not by_stage and any(r[3] for r in rows)
    report.group_kind = "Раздел" if by_section else "Этап" if by_stage else "Направление"
    order: dict[str, tuple[int, int]] = {}
    for (
        a_id, period, responsible, section, code, title, d_position, position, stage,
        s_position, due,
    ) in rows:  # fmt: skip
        if by_direction:
            group = (f"{code}. {title}" if code else title) if title else NO_DIRECTION
            key = (d_position if title else 99, 0)
        elif by_stage:
            group, key = stage or NO_STAGE, ((s_position, 0) if stage else (1 << 30, 0))
        elif by_section:
            group, key = section or NO_SECTION, (position, 0)
        else:
            group, key = NO_DIRECTION, (0, 0)
        order[group] = min(order.get(group, key), key)
        report.details[a_id] = ActivityDetails(period or "", responsible or "", group, due)
    report.group_order = sorted(order, key=lambda g: (order[g], g))


async def report_rows(
    session: AsyncSession, report: PlanReport, default_zone: str, schools_per_chunk: int = 10
) -> AsyncGenerator[list[ReportRow], None]:
    """The report's rows, a few schools at a time in the report's order, each school's in
    plan order: a region's report holds at most two chunks in memory (the next is read while
    one is built), and the event loop reads a chunk's rows (2,000 in a region by 10 schools) in
    a few tens of milliseconds at most. Close it when done early (`contextlib.aclosing`)."""
    plan = await session.get(Plan, report.plan_id)
    assert plan is not None
    plan_timezone = plan.timezone
    latest = (
        select(func.max(Submission.id))
        .where(Submission.assignment_id == Assignment.id)
        .correlate(Assignment)
        .scalar_subquery()
    )
    # An activity's number, title (marked if removed) and date come from the head, read once,
    # not with each of its 1,000 schools' rows.
    about = {
        a_id: (number, title, report.details[a_id].due if a_id in report.details else None)
        for a_id, number, title in report.activities
    }
    # A region's report has 200,000 rows but a few zones, directions and dates: what follows
    # from them is worked out once each (the rows are built on the event loop).
    todays: dict[str, tuple[ZoneInfo, date]] = {}
    statuses = {s.value: s for s in AssignmentStatus}
    days: dict[Any, Any] = {}
    states: dict[tuple[AssignmentStatus, date | None, date | None, date], ItemState] = {}
    seen = report.scope or Scope.of_plan(report.plan_id)
    evidence: dict[tuple[int | None, int | None], bool] = {}

    def sees(direction_id: int | None, school_id: int | None) -> bool:
        key = (direction_id, school_id)
        if key not in evidence:
            evidence[key] = seen.sees_evidence(report.plan_id, direction_id, school_id)
        return evidence[key]

    connection = await session.connection()

    async def fetch(
        chunk: list[tuple[int | None, str]],
    ) -> tuple[Sequence[Any], dict[int, list[str]]]:
        """A chunk of schools' rows as stored, and their evidence files' names."""
        ids = {i for i, _ in chunk if i is not None}
        match = [Assignment.school_id.in_(ids)] if ids else []
        if any(i is None for i, _ in chunk):
            match.append(Assignment.school_id.is_(None))
        # On the connection, not the ORM session: plain rows, without the ORM's per-row work (a
        # region's 200,000 rows are read in 0.6 × the time).
        read = (
            await connection.execute(
                select(
                    Assignment.school_id,
                    School.timezone,
                    Assignment.activity_id,
                    # As stored (the driver's own value): each distinct one converted once below.
                    type_coerce(Assignment.status, String),
                    type_coerce(Assignment.due_date, String),
                    Assignment.submitted_at,
                    Submission.id,
                    Submission.comment,
                    Activity.direction_id,
                )
                .join(Activity, Activity.id == Assignment.activity_id)
                .outerjoin(School, School.id == Assignment.school_id)
                .outerjoin(Submission, Submission.id == latest)
                .where(*_counted(report.plan_id, report.scope), or_(*match))
                .order_by(Activity.position, Activity.id)  # the head's order, ties too
            )
        ).all()
        # Comments and files only where the reader may see evidence (never an observer's).
        found: Sequence[Any] = read
        if not all(sees(direction, school) for direction, school in {(r[8], r[0]) for r in read}):
            found = [r if sees(r[8], r[0]) else (*r[:6], None, None, r[8]) for r in read]
        return found, await _files(session, {r[6] for r in found if r[6] is not None})

    def build(by_school: dict[Any, list[Any]], files: dict[int, list[str]],
              label: dict[Any, str]) -> list[ReportRow]:  # fmt: skip
        rows = []
        for (
            school_id, school_zone, activity_id, stored_status, stored_due, submitted,
            submission_id, comment, _,
        ) in chain.from_iterable(by_school.values()):  # fmt: skip
            status = statuses.get(stored_status) or AssignmentStatus(stored_status)
            due = days.get(stored_due, _NO_DAY)
            if due is _NO_DAY:
                due = days[stored_due] = _day(stored_due)
            number, title, plan_due = about[activity_id]
            zone = school_zone or plan_timezone or default_zone
            if zone not in todays:
                info = ZoneInfo(zone)
                todays[zone] = (info, report.generated.astimezone(info).date())
            info, today = todays[zone]
            handed_in = local_date(submitted, info) if submitted is not None else None
            key = (status, due, handed_in, today)
            state = states.get(key)
            if state is None:
                state = states[key] = item_state(status, due, handed_in, today)
            rows.append(
                ReportRow(
                    school=label[school_id],
                    activity_id=activity_id,
                    number=number,
                    title=title,
                    status=status,
                    due=due,
                    submitted=submitted,
                    comment=comment,
                    files=tuple(files.get(submission_id, ())) if submission_id else (),
                    state=state,
                    plan_due=plan_due if plan_due != due else None,
                    handed_in=handed_in,
                )
            )
        return rows

    chunks = [
        report.schools[start : start + schools_per_chunk]
        for start in range(0, len(report.schools), schools_per_chunk)
    ]
    # The next chunk is read while this one is built and written (the database's own work
    # runs outside the interpreter lock); nothing else uses the session meanwhile.
    ahead = asyncio.ensure_future(fetch(chunks[0])) if chunks else None
    try:
        for index, chunk in enumerate(chunks):
            assert ahead is not None
            found, files = await ahead
            ahead = None
            if index + 1 < len(chunks):
                ahead = asyncio.ensure_future(fetch(chunks[index + 1]))
            label = dict(chunk)
            # School by school in the report's order, each school's in plan order (as read).
            by_school: dict[Any, list[Any]] = {school_id: [] for school_id, _ in chunk}
            for r in found:
                by_school[r[0]].append(r)

            # Rows are built in a worker thread: 2,000 of them would hold the event loop.
            yield await asyncio.to_thread(build, by_school, files, label)
    finally:
        if ahead is not None:  # given up: the read in flight ends before the session goes on
            interrupted = False
            while not ahead.done():  # even if cancelled again meanwhile
                try:
                    await asyncio.wait([ahead])
                except asyncio.CancelledError:
                    interrupted = True
            if not ahead.cancelled():
                ahead.exception()  # retrieved: its failure, if any, is not the caller's
            if interrupted:
                raise asyncio.CancelledError


_NO_DAY = object()  # not yet converted


def _day(stored: str | date | None) -> date | None:
    """A date column's value as the driver gives it: a date, or SQLite's "2020-12-01"."""
    return date.fromisoformat(stored) if isinstance(stored, str) else stored


async def _files(session: AsyncSession, submission_ids: set[int]) -> dict[int, list[str]]:
    files: dict[int, list[str]] = {}
    nameless: dict[tuple[int, str], int] = {}
    if not submission_ids:
        return files
    for submission_id, name, kind, missing in await session.execute(
        select(
            EvidenceFile.submission_id,
            EvidenceFile.file_name,
            EvidenceFile.kind,
            EvidenceFile.copy_missing_at,
        )
        .where(EvidenceFile.submission_id.in_(submission_ids))
        .order_by(EvidenceFile.id)
    ):
        # A file whose copy could not be made is marked (reports say so), never left out.
        if not name:  # a photo, a voice message: "Фото 1.jpg", "Фото 2.jpg" in its submission
            nameless[(submission_id, kind)] = nameless.get((submission_id, kind), 0) + 1
            name = evidence_name(None, kind, nameless[(submission_id, kind)])
        label = name + (MISSING_MARK if missing is not None else "")
        files.setdefault(submission_id, []).append(label)
    return files
