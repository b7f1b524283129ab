"""Everything a plan report shows, read with a fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.reminder_policy import resolve_zone
from core.states import AssignmentStatus
from core.status import PlanStatus, Scope, plan_status
from db.models import Activity, Assignment, EvidenceFile, Plan, School, Submission

MISSING_MARK = " ⚠"  # after a file name: Telegram no longer gives the file, no copy was kept


@dataclass(frozen=True)
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
    overdue: bool
    plan_due: date | None = None  # the plan's own date, when the school's was moved


@dataclass
class PlanReport:
    plan_id: int
    title: str
    generated: datetime
    status: PlanStatus | None
    activities: list[tuple[int, str | None, str]] = field(default_factory=list)  # id, number, title
    zone: str = "UTC"  # the plan's: every time in the report is shown in it, labelled

    def local(self, moment: datetime) -> datetime:
        """`moment` in the plan's zone, without tzinfo (as a spreadsheet cell holds it)."""
        return moment.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)

    schools: list[str] = field(default_factory=list)
    rows: list[ReportRow] = field(default_factory=list)


async def find_plan(session: AsyncSession, ref: str) -> Plan:
    """A plan by id or by (part of) its title."""
    if ref.isdigit():
        plan = await session.get(Plan, int(ref))
        if plan is not None:
            return plan
    key = ref.casefold()
    matches = [p for p in await session.scalars(select(Plan)) if key in p.title.casefold()]
    if len(matches) != 1:
        raise NotFound(f"{len(matches)} plans match {ref!r}; use the plan id")
    return matches[0]


async def plan_report(
    session: AsyncSession, plan_id: int, now: datetime, default_zone: str
) -> PlanReport:
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}")
    summary = await plan_status(session, Scope(plan_ids=frozenset({plan_id})), now, default_zone)
    report = PlanReport(plan.id, plan.title, now, summary[0] if summary else None)
    report.zone = resolve_zone(plan.timezone, default_zone).key
    activities = list(
        await session.scalars(
            select(Activity)
            .where(Activity.plan_id == plan_id, Activity.cancelled_at.is_(None))
            .order_by(Activity.position)
        )
    )
    report.activities = [(a.id, a.number, a.title) for a in activities]
    assignments = (
        await session.execute(
            select(Assignment, School.name, School.timezone)
            .join(Activity, Activity.id == Assignment.activity_id)
            .outerjoin(School, School.id == Assignment.school_id)
            .where(
                Activity.plan_id == plan_id,
                Activity.cancelled_at.is_(None),
                Assignment.status != AssignmentStatus.CANCELLED,
            )
        )
    ).all()
    submissions: dict[int, Submission] = {}
    for submission in await session.scalars(
        select(Submission)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(Activity.plan_id == plan_id)
        .order_by(Submission.id)
    ):
        submissions[submission.assignment_id] = submission  # the latest wins
    files: dict[int, list[str]] = {}
    for submission_id, name, kind, missing in (
        await session.execute(
            select(
                EvidenceFile.submission_id,
                EvidenceFile.file_name,
                EvidenceFile.kind,
                EvidenceFile.copy_missing_at,
            ).where(EvidenceFile.submission_id.in_([s.id for s in submissions.values()]))
        )
    ).all():
        # A file whose copy could not be made is marked (reports say so), never left out.
        label = (name or kind) + (MISSING_MARK if missing is not None else "")
        files.setdefault(submission_id, []).append(label)
    titles = {a.id: (a.number, a.title) for a in activities}
    plan_dues = {a.id: a.due_date for a in activities}
    for assignment, school_name, school_zone in assignments:
        today = now.astimezone(ZoneInfo(school_zone or plan.timezone or default_zone)).date()
        latest = submissions.get(assignment.id)
        number, title = titles[assignment.activity_id]
        is_open = assignment.status in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
        report.rows.append(
            ReportRow(
                school=school_name or "Управление образования",
                activity_id=assignment.activity_id,
                number=number,
                title=title,
                status=assignment.status,
                due=assignment.due_date,
                submitted=assignment.submitted_at,
                comment=latest.comment if latest else None,
                files=tuple(files.get(latest.id, [])) if latest else (),
                overdue=bool(is_open and assignment.due_date and assignment.due_date < today),
                plan_due=plan_dues.get(assignment.activity_id),
            )
        )
    report.schools = sorted({r.school for r in report.rows})
    return report
