"""What importing a file would change in a plan already stored, read without writing anything:
rows added, changed (old → new date), removed with the work they hold per school, and schools
the new file no longer names for a direction (kept unless detached)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.activities import period_fields
from core.plan_import import activity_key, keeps_fixed_date, plan_of_draft, school_names
from core.states import SubmissionStatus
from db.models import (
    Activity,
    Assignment,
    Direction,
    DirectionSchool,
    EvidenceFile,
    Plan,
    School,
    Submission,
)
from importer.draft import PlanDraft

DEPARTMENT = "Управление образования"


@dataclass(frozen=True)
class Changed:
    title: str
    old_due: date | None
    new_due: date | None
    fields: tuple[str, ...]  # which of title, period, dates, responsible, result changed


@dataclass
class SchoolWork:
    """The work a school has handed in for rows the new file removes."""

    school: str
    items: int = 0  # removed items holding any of the below
    submissions: int = 0
    files: int = 0
    accepted: int = 0


@dataclass
class ImportDiff:
    """The preview of a re-import; `exists` False: a new plan, nothing to compare."""

    exists: bool
    plan_id: int | None = None
    added: list[str] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    work: list[SchoolWork] = field(default_factory=list)  # most work first
    unnamed: list[tuple[str, str]] = field(default_factory=list)  # (direction code, school)

    @property
    def removed_with_work(self) -> int:
        return sum(w.items for w in self.work)

    @property
    def needs_confirmation(self) -> bool:
        """Something would be removed (or a school is no longer named): ask before storing."""
        return bool(self.removed or self.unnamed)


_COMPARED = (
    "title",
    "period_text",
    "start_date",
    "due_date",
    "responsible_text",
    "expected_result",
)


async def import_diff(session: AsyncSession, draft: PlanDraft) -> ImportDiff:
    """Compare the draft with the stored plan of the same title (none: a new plan)."""
    plan = await plan_of_draft(session, draft)
    if plan is None:
        return ImportDiff(exists=False)
    diff = ImportDiff(exists=True, plan_id=plan.id)
    current = {
        a.source_key: a
        for a in await session.scalars(select(Activity).where(Activity.plan_id == plan.id))
    }
    seen: dict[str, int] = {}
    kept: set[str] = set()
    for item in draft.activities:
        key = activity_key(item, seen)
        kept.add(key)
        old = current.get(key)
        new = {
            "title": item.title,
            "period_text": item.period_text or None,
            "responsible_text": item.responsible,
            "expected_result": item.expected_result,
            **period_fields(item.period),
        }
        if old is None or old.cancelled_at is not None:
            diff.added.append(item.title)
            continue
        if keeps_fixed_date(old, item.period_text):
            for name in ("period_text", "start_date", "due_date"):
                new[name] = getattr(old, name)
        fields = tuple(f for f in _COMPARED if getattr(old, f) != new[f])
        if fields:
            diff.changed.append(Changed(item.title, old.due_date, new["due_date"], fields))
    gone = [a for k, a in current.items() if k not in kept and a.cancelled_at is None]
    diff.removed = [a.title for a in sorted(gone, key=lambda a: a.position)]
    diff.work = await _work(session, [a.id for a in gone])
    diff.unnamed = await _unnamed(session, plan, draft)
    return diff


async def _work(session: AsyncSession, activity_ids: list[int]) -> list[SchoolWork]:
    """Per school: removed items with submissions, their files and acceptances."""
    if not activity_ids:
        return []
    per_item: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # assignment → counts
    names: dict[int, str] = {}
    files = (
        select(func.count())
        .where(EvidenceFile.submission_id == Submission.id)
        .correlate(Submission)
        .scalar_subquery()
    )
    for assignment_id, school, status, count in await session.execute(
        select(Assignment.id, School.name, Submission.status, files)
        .join(Submission, Submission.assignment_id == Assignment.id)
        .outerjoin(School, School.id == Assignment.school_id)
        .where(Assignment.activity_id.in_(activity_ids))
    ):
        counts = per_item[assignment_id]
        counts[0] += 1
        counts[1] += int(count or 0)
        counts[2] += status == SubmissionStatus.ACCEPTED
        names[assignment_id] = school or DEPARTMENT
    by_school: dict[str, SchoolWork] = {}
    for assignment_id, (submissions, file_count, accepted) in per_item.items():
        line = by_school.setdefault(names[assignment_id], SchoolWork(names[assignment_id]))
        line.items += 1
        line.submissions += submissions
        line.files += file_count
        line.accepted += accepted
    return sorted(by_school.values(), key=lambda w: (-w.items, -w.files, w.school))


async def _unnamed(session: AsyncSession, plan: Plan, draft: PlanDraft) -> list[tuple[str, str]]:
    """Schools of a direction the new file no longer names there (they stay unless detached)."""
    by_name, by_short = await school_names(session)
    refs = {s.key: s.name.casefold() for s in draft.schools}
    out: list[tuple[str, str]] = []
    for item in draft.directions:
        direction = await session.scalar(
            select(Direction).where(Direction.plan_id == plan.id, Direction.code == item.code)
        )
        if direction is None:
            continue
        named = set()
        for key in item.school_keys:
            school = by_name.get(refs.get(key, "")) or by_short.get(refs.get(key, ""))
            if school is not None:
                named.add(school.id)
        for school_id, name in await session.execute(
            select(School.id, School.name)
            .join(DirectionSchool, DirectionSchool.school_id == School.id)
            .where(DirectionSchool.direction_id == direction.id)
            .order_by(School.name)
        ):
            if school_id not in named:
                out.append((item.code, name))
    return out
