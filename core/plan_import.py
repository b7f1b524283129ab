"""Store a plan draft in one transaction: create or update a plan, its schools and assignments.

Re-importing a changed document updates the plan in place: activities are matched by a stable
key (direction, level, normalised title), changes are reported, removed activities are
cancelled, and submitted or accepted work is never touched.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.activities import period_fields
from core.clock import Clock
from core.deadlines import kept_dates
from core.dto import UserContext
from core.errors import NotFound, Refused
from core.periods import Terms
from core.permissions import may_attach_schools
from core.plain_text import printable
from core.roles import Role
from core.schools import validate_timezone
from core.states import AssignmentStatus, Level
from db.models import (
    Activity,
    Assignment,
    Direction,
    DirectionSchool,
    Membership,
    Plan,
    PlanSchool,
    School,
    Seminar,
    Stage,
)
from importer.draft import DraftActivity, DraftSchool, PlanDraft
from importer.model import plan_title

_SCOPE_DEPARTMENT = re.compile(r"(?<![А-ЯЁа-яё])(УО|ЦРО|Комитет|управлени[ея] образования)", re.I)
_SCOPE_SCHOOLS = re.compile(r"(?<![А-ЯЁа-яё])(ОО|ОУ|школ)", re.I)
_TRACKED = (
    "title",
    "period_text",
    "start_date",
    "due_date",
    "responsible_text",
    "expected_result",
    "note",
)
_REOPENABLE = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED, AssignmentStatus.CANCELLED)
_WORK = (AssignmentStatus.SUBMITTED, AssignmentStatus.ACCEPTED)
TITLE_AS_WRITTEN = "title_as_written"  # plan setting: the document's title, before cleaning
SINGLE_SCHOOL = "single_school"  # plan setting: a school's own plan (every row is the schools')


@dataclass
class ImportReport:
    """What an import did, for the CLI and the chat."""

    plan_id: int
    created: bool
    counts: dict[str, int]
    added: list[str] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_work: int = 0  # submitted/accepted assignments of removed activities left as they were
    # Due dates changed in Kurator (approved requests, coordinators' moves) kept over the file's:
    # {"title", "school", "kept", "file"} for each that differs from the new file.
    kept_deadlines: list[dict[str, Any]] = field(default_factory=list)
    flagged_activity_ids: list[int] = field(default_factory=list)


def activity_key(activity: DraftActivity, seen: dict[str, int]) -> str:
    """Stable identity of a row across versions of a document."""
    title = re.sub(r"\W+", " ", activity.title.lower()).strip()
    base = f"{activity.direction or ''}|{activity.level or ''}|{title}"
    digest = hashlib.sha1(base.encode()).hexdigest()[:40]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def series_key(activity: DraftActivity) -> str | None:
    """The key the occurrences of one row share (None for an activity with one date)."""
    if activity.series is None:
        return None
    title = re.sub(r"\W+", " ", activity.series.lower()).strip()
    base = f"{activity.direction or ''}|{activity.level or ''}|{activity.number or ''}|{title}"
    return hashlib.sha1(base.encode()).hexdigest()[:40]


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def import_plan(
    session: AsyncSession,
    clock: Clock,
    draft: PlanDraft,
    *,
    timezone: str,
    source_file: str | None = None,
    source_sha256: str | None = None,
    actor_user_id: int | None = None,
    actor: UserContext | None = None,
) -> ImportReport:
    """Create the plan or update the plan with the same title; never commits by itself.

    With `actor` (a person in chat), re-importing a plan that exists is theirs only if they
    may change who takes part in it (`may_attach_schools`): else Refused("plan_not_yours").
    The command line (an operator) passes none. The draft's texts lose their control
    characters first (in place)."""
    validate_timezone(timezone)
    _printable(draft)
    if plan_title(draft.title) != draft.title:  # a draft made another way than interpret()
        draft.title_as_written = draft.title_as_written or draft.title
        draft.title = plan_title(draft.title)
    now = clock.now()
    plan = await plan_of_draft(session, draft)
    if plan is not None and actor is not None and not may_attach_schools(actor, plan.id):
        raise Refused("plan_not_yours")
    created = plan is None
    if plan is None:
        plan = Plan(
            title=draft.title, timezone=timezone, settings={}, created_at=now, updated_at=now
        )
        session.add(plan)
    plan.title = draft.title  # a title stored before it was cleaned is cleaned now
    if draft.title_as_written and (plan.settings or {}).get(TITLE_AS_WRITTEN) != (
        draft.title_as_written
    ):
        plan.settings = {**(plan.settings or {}), TITLE_AS_WRITTEN: draft.title_as_written}
    plan.academic_year = draft.academic_year
    plan.year_from, plan.year_to = draft.year_from, draft.year_to
    if draft.single_school is not None and not (plan.settings or {}).get(SINGLE_SCHOOL):
        # A school's own plan: every row is the schools' work, whoever is named responsible.
        plan.settings = {**(plan.settings or {}), SINGLE_SCHOOL: True}
    plan.source_file, plan.source_sha256, plan.updated_at = source_file, source_sha256, now
    await session.flush()

    schools = await _schools(session, clock, plan, draft.schools, timezone)
    directions = await _directions(session, plan, draft, schools)
    stages = await _stages(session, plan, draft)
    report = ImportReport(plan_id=plan.id, created=created, counts={})
    await _activities(session, now, plan, draft, directions, stages, schools, report)
    await _seminars(session, now, plan, draft, directions, actor_user_id)
    if created and actor_user_id is not None:
        await _coordinate(session, now, plan.id, actor_user_id)
    report.counts = {
        "directions": len(draft.directions),
        "stages": len(draft.stages),
        "activities": len(draft.activities),
        "seminars": len(draft.seminars),
        "schools": len(draft.schools),
    }
    audit.record(
        session,
        clock,
        actor_user_id=actor_user_id,
        action="plan.import" if created else "plan.reimport",
        entity_type="plan",
        entity_id=plan.id,
        after={
            "counts": report.counts,
            "added": len(report.added),
            "changed": len(report.changed),
            "removed": len(report.removed),
            "source_sha256": source_sha256,
        },
    )
    return report


async def _coordinate(session: AsyncSession, now: datetime, plan_id: int, user_id: int) -> None:
    """Whoever imports a new plan in chat coordinates it (unless they reach every plan
    already), so they can give it to schools and follow it."""
    roles = list(
        await session.scalars(
            select(Membership).where(Membership.user_id == user_id, Membership.revoked_at.is_(None))
        )
    )
    if any(
        m.role == Role.ADMIN or (m.role == Role.COORDINATOR and m.plan_id is None) for m in roles
    ):
        return
    session.add(Membership(user_id=user_id, role=Role.COORDINATOR, plan_id=plan_id, created_at=now))
    await session.flush()


async def plan_of_draft(session: AsyncSession, draft: PlanDraft) -> Plan | None:
    """The current plan a draft updates: the one of the same title (or of the title as the
    document wrote it, for a plan imported before titles were cleaned)."""
    titles = {draft.title, draft.title_as_written or draft.title}
    found = list(
        await session.scalars(
            select(Plan)
            .where(Plan.title.in_(titles), Plan.archived_at.is_(None))
            .order_by(Plan.title != draft.title, Plan.id)
        )
    )
    return found[0] if found else None


def _printable(draft: PlanDraft) -> None:
    # Readers clean cells, but a draft may come another way (a title typed in chat); a control
    # character stored once would break every Word report of the plan.
    parts: list[Any] = [draft, *draft.directions, *draft.stages, *draft.activities, *draft.seminars]
    for part in [*parts, *draft.schools]:
        for item in dataclasses.fields(part):
            value = getattr(part, item.name)
            if isinstance(value, str):
                setattr(part, item.name, printable(value))
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                setattr(part, item.name, [printable(v) for v in value])


async def school_names(session: AsyncSession) -> tuple[dict[str, School], dict[str, School]]:
    """Schools by casefolded name and by short name (a merged duplicate's name: the school it
    was merged into), as a plan's school names are matched."""
    everyone = {s.id: s for s in await session.scalars(select(School))}

    def current(school: School) -> School:
        while school.merged_into_id is not None and school.merged_into_id in everyone:
            school = everyone[school.merged_into_id]
        return school

    # Merged duplicates first, so a live school's own name wins over a duplicate's.
    ordered = sorted(everyone.values(), key=lambda s: s.merged_into_id is None)
    by_name = {s.name.casefold(): current(s) for s in ordered}
    by_short = {(s.short_name or "").casefold(): current(s) for s in ordered if s.short_name}
    return by_name, by_short


async def _schools(
    session: AsyncSession, clock: Clock, plan: Plan, refs: list[DraftSchool], timezone: str
) -> dict[str, int]:
    """Key -> school id, creating schools that do not exist yet; attach all to the plan."""
    by_name, by_short = await school_names(session)
    attached = set(
        await session.scalars(select(PlanSchool.school_id).where(PlanSchool.plan_id == plan.id))
    )
    result: dict[str, int] = {}
    for ref in refs:
        school = by_name.get(ref.name.casefold()) or by_short.get(ref.name.casefold())
        if school is None:
            number = re.search(r"№\s*(\d+)", ref.name)
            school = School(
                name=ref.name,
                short_name=ref.name if len(ref.name) <= 40 else None,
                number=number.group(1) if number else None,
                timezone=timezone,
                created_at=clock.now(),
            )
            session.add(school)
            await session.flush()
            by_name[ref.name.casefold()] = school
        result[ref.key] = school.id
        if school.id not in attached:
            session.add(PlanSchool(plan_id=plan.id, school_id=school.id))
            attached.add(school.id)
    await session.flush()
    return result


async def _directions(
    session: AsyncSession, plan: Plan, draft: PlanDraft, schools: dict[str, int]
) -> dict[str, int]:
    current = {
        d.code: d
        for d in await session.scalars(select(Direction).where(Direction.plan_id == plan.id))
    }
    result: dict[str, int] = {}
    for position, item in enumerate(draft.directions):
        direction = current.get(item.code)
        if direction is None:
            direction = Direction(plan_id=plan.id, code=item.code)
            session.add(direction)
        direction.title = item.title or f"Направление {item.code}"
        direction.coordinators_text = item.coordinators or None
        direction.curator_text = item.curator or None
        direction.position = position
        await session.flush()
        result[item.code] = direction.id
        linked = set(
            await session.scalars(
                select(DirectionSchool.school_id).where(
                    DirectionSchool.direction_id == direction.id
                )
            )
        )
        for key in item.school_keys:
            if key in schools and schools[key] not in linked:
                session.add(DirectionSchool(direction_id=direction.id, school_id=schools[key]))
                linked.add(schools[key])
    await session.flush()
    return result


async def _stages(session: AsyncSession, plan: Plan, draft: PlanDraft) -> dict[str, int]:
    current = {
        s.title: s for s in await session.scalars(select(Stage).where(Stage.plan_id == plan.id))
    }
    result: dict[str, int] = {}
    for position, item in enumerate(draft.stages):
        stage = current.get(item.title)
        if stage is None:
            stage = Stage(plan_id=plan.id, title=item.title)
            session.add(stage)
        stage.period_text = item.period_text
        stage.start_date = item.period.start if item.period else None
        stage.due_date = item.period.due if item.period else None
        stage.position = position
        await session.flush()
        result[item.title] = stage.id
    return result


@dataclass(frozen=True)
class Participants:
    """Who takes part in a plan, as stored: its schools and each direction's schools. Every
    way a school joins (import, CLI, chat) writes here, and only a detach removes it."""

    single_school: bool
    schools: set[int]
    by_direction: dict[int, set[int]]


async def participants(session: AsyncSession, plan: Plan) -> Participants:
    schools = set(
        await session.scalars(select(PlanSchool.school_id).where(PlanSchool.plan_id == plan.id))
    )
    by_direction: dict[int, set[int]] = {}
    for direction_id, school_id in await session.execute(
        select(DirectionSchool.direction_id, DirectionSchool.school_id)
        .join(Direction, Direction.id == DirectionSchool.direction_id)
        .where(Direction.plan_id == plan.id)
    ):
        by_direction.setdefault(direction_id, set()).add(school_id)
    return Participants(bool((plan.settings or {}).get(SINGLE_SCHOOL)), schools, by_direction)


def who_takes_part(activity: Activity, taking_part: Participants) -> tuple[bool, set[int]]:
    """(the department takes part, school ids) for one activity, by one rule for import,
    attach and detach: a direction's row -> that direction's schools; a school's own plan ->
    its schools; else УО in the responsible text (or a municipal-level row) -> the department
    (coordinators), ОО/ОУ (or a school-level row) -> every school of the plan."""
    if activity.direction_id is not None:
        return False, set(taking_part.by_direction.get(activity.direction_id, set()))
    if taking_part.single_school and taking_part.schools:
        return False, set(taking_part.schools)
    text = activity.responsible_text or ""
    level = activity.level.value if activity.level else None
    department = bool(_SCOPE_DEPARTMENT.search(text)) or level == "municipal"
    every_school = bool(_SCOPE_SCHOOLS.search(text)) or level == "school"
    ids = set(taking_part.schools) if every_school else set()
    return department or not ids, ids


async def _activities(
    session: AsyncSession,
    now: datetime,
    plan: Plan,
    draft: PlanDraft,
    directions: dict[str, int],
    stages: dict[str, int],
    schools: dict[str, int],
    report: ImportReport,
) -> None:
    taking_part = await participants(session, plan)
    current = {
        a.source_key: a
        for a in await session.scalars(select(Activity).where(Activity.plan_id == plan.id))
    }
    seen: dict[str, int] = {}
    kept: set[str] = set()
    flagged_rows = {row["activity"] for row in draft.flagged() if "activity" in row}
    for position, item in enumerate(draft.activities):
        key = activity_key(item, seen)
        kept.add(key)
        values: dict[str, Any] = {
            "title": item.title,
            "number": item.number,
            "period_text": item.period_text or None,
            "responsible_text": item.responsible,
            "expected_result": item.expected_result,
            "result_form": item.result_form,
            "participants": item.participants,
            "indicators": item.indicators,
            "note": item.note,
            "section": item.section,
            "position": position,
            "level": Level(item.level) if item.level else None,
            "direction_id": directions.get(item.direction) if item.direction else None,
            "stage_id": stages.get(item.stage) if item.stage else None,
            "series_key": series_key(item),
            "occurrence": item.occurrence,
            **period_fields(item.period),
        }
        activity = current.get(key)
        if activity is not None and keeps_fixed_date(activity, item.period_text):
            for name in ("period_text", *period_fields(item.period)):
                values.pop(name, None)  # the coordinator's date for what the file still says
        if activity is None:
            activity = Activity(plan_id=plan.id, source_key=key, **values)
            session.add(activity)
            if current:
                report.added.append(item.title)
        else:
            before = {f: getattr(activity, f) for f in _TRACKED}
            for name, value in values.items():
                setattr(activity, name, value)
            activity.cancelled_at = None
            diff = {
                f: {"before": _plain(before[f]), "after": _plain(getattr(activity, f))}
                for f in _TRACKED
                if before[f] != getattr(activity, f)
            }
            if diff:
                report.changed.append({"title": item.title, "fields": diff})
        await session.flush()
        if position in flagged_rows:
            report.flagged_activity_ids.append(activity.id)
        department, school_ids = who_takes_part(activity, taking_part)
        await _assign(session, now, activity, department, school_ids, report)
    for key, activity in current.items():
        if key not in kept and activity.cancelled_at is None:
            activity.cancelled_at = now
            report.removed.append(activity.title)
            report.kept_work += await _cancel_open(session, now, activity)


def keeps_fixed_date(activity: Activity, file_text: str | None) -> bool:
    """A date a coordinator gave a flagged row stays while the file still says what they
    corrected (a re-import of the same file never undoes it); a changed file wins."""
    flags = activity.period_flags or []
    stored = activity.period_text or ""
    return "set_by_coordinator" in flags and stored.startswith(f"{file_text or ''} → ")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


async def _assign(
    session: AsyncSession,
    now: datetime,
    activity: Activity,
    department: bool,
    school_ids: set[int],
    report: ImportReport | None = None,
) -> int:
    """Make sure the activity has one assignment per school (and one for the department); due
    dates changed in Kurator stay, and the report names those the new file disagrees with.
    Returns how many items were opened (new, or reopened for a school back in scope)."""
    kept = await kept_dates(session, activity.id)
    rows = list(
        await session.scalars(select(Assignment).where(Assignment.activity_id == activity.id))
    )
    have = {a.school_id for a in rows}
    wanted: set[int | None] = set(school_ids) | ({None} if department else set())
    opened = len(wanted - have)
    for school_id in wanted - have:
        session.add(_new_assignment(activity, school_id, now))
    for assignment in rows:
        if assignment.status not in _REOPENABLE:
            continue  # submitted and accepted work stays exactly as it is
        if assignment.school_id not in wanted:
            status = AssignmentStatus.CANCELLED  # no longer in scope of the activity
        elif assignment.status == AssignmentStatus.CANCELLED:
            status = AssignmentStatus.OPEN
            opened += 1
        else:
            status = assignment.status
        due = kept.get(assignment.school_id, kept.get(None, activity.due_date))
        if due != activity.due_date and report is not None and status != AssignmentStatus.CANCELLED:
            school = (
                await session.get(School, assignment.school_id) if assignment.school_id else None
            )
            report.kept_deadlines.append(
                {
                    "title": activity.title,
                    "school": (school.short_name or school.name) if school else None,
                    "kept": _plain(due),
                    "file": _plain(activity.due_date),
                }
            )
        if (status, assignment.due_date) != (assignment.status, due):
            assignment.status, assignment.due_date = status, due
            assignment.version += 1
            assignment.updated_at = now
    await session.flush()
    return opened


async def _cancel_open(session: AsyncSession, now: datetime, activity: Activity) -> int:
    """Cancel open work of a removed activity; return how many submitted/accepted were kept."""
    kept = 0
    for assignment in await session.scalars(
        select(Assignment).where(Assignment.activity_id == activity.id)
    ):
        if assignment.status in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED):
            assignment.status = AssignmentStatus.CANCELLED
            assignment.version += 1
            assignment.updated_at = now
        elif assignment.status in (AssignmentStatus.SUBMITTED, AssignmentStatus.ACCEPTED):
            kept += 1
    return kept


async def _seminars(
    session: AsyncSession,
    now: datetime,
    plan: Plan,
    draft: PlanDraft,
    directions: dict[str, int],
    actor_user_id: int | None,
) -> None:
    current = {
        (s.direction_id, s.topic): s
        for s in await session.scalars(select(Seminar).where(Seminar.plan_id == plan.id))
    }
    for item in draft.seminars:
        direction_id = directions.get(item.direction) if item.direction else None
        seminar = current.get((direction_id, item.topic))
        if seminar is None:
            seminar = Seminar(
                plan_id=plan.id,
                direction_id=direction_id,
                topic=item.topic,
                created_at=now,
                created_by_id=actor_user_id,
            )
            session.add(seminar)
        unchanged = seminar.id is not None and seminar.date_text == (item.date_text or None)
        seminar.date_text = item.date_text or None
        seminar.audience_text = item.audience
        # Plans give the day only; the time stays unset until a coordinator gives it. A day the
        # coordinator set stays while the file still says the same.
        if not unchanged:
            seminar.starts_on = item.period.start if item.period.kind == "date" else None
    await session.flush()


async def attach_school(
    session: AsyncSession,
    clock: Clock,
    plan_id: int,
    school_id: int,
    direction_code: str | None = None,
) -> int:
    """Make a school take part in a plan (or one direction of it); returns the items it now
    has that it had not (by the import's rule of who takes part in each row)."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", "plan_not_found", id=plan_id)
    if await session.get(PlanSchool, (plan_id, school_id)) is None:
        session.add(PlanSchool(plan_id=plan_id, school_id=school_id))
    if direction_code is not None:
        direction = await _direction(session, plan_id, direction_code)
        if await session.get(DirectionSchool, (direction.id, school_id)) is None:
            session.add(DirectionSchool(direction_id=direction.id, school_id=school_id))
    await session.flush()
    return await reassign(session, clock.now(), plan)


@dataclass(frozen=True)
class Detached:
    """What taking a plan (direction) from a school does to its items."""

    cancelled: int  # open items no longer the school's
    kept: int  # items with work handed in: archived, still in reports and the evidence archive


async def detach_school(
    session: AsyncSession,
    clock: Clock,
    plan_id: int,
    school_id: int,
    direction_code: str | None = None,
    *,
    dry_run: bool = False,
) -> Detached:
    """The school no longer takes part in the plan (or the direction): its open items are
    cancelled, work handed in stays. With `dry_run` only says what it would do."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", "plan_not_found", id=plan_id)
    links = select(DirectionSchool).where(DirectionSchool.school_id == school_id)
    if direction_code is not None:
        direction = await _direction(session, plan_id, direction_code)
        links = links.where(DirectionSchool.direction_id == direction.id)
        activities = select(Activity.id).where(Activity.direction_id == direction.id)
    else:
        plan_directions = select(Direction.id).where(Direction.plan_id == plan_id)
        links = links.where(DirectionSchool.direction_id.in_(plan_directions))
        activities = select(Activity.id).where(Activity.plan_id == plan_id)
    counts = dict(
        (
            await session.execute(
                select(Assignment.status, func.count())
                .where(Assignment.school_id == school_id, Assignment.activity_id.in_(activities))
                .group_by(Assignment.status)
            )
        ).all()
    )
    result = Detached(
        sum(counts.get(s, 0) for s in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)),
        sum(counts.get(s, 0) for s in _WORK),
    )
    if dry_run:
        return result
    for link in await session.scalars(links):
        await session.delete(link)
    if direction_code is None:
        row = await session.get(PlanSchool, (plan_id, school_id))
        if row is not None:
            await session.delete(row)
    await session.flush()
    await reassign(session, clock.now(), plan)
    return result


async def reassign(session: AsyncSession, now: datetime, plan: Plan) -> int:
    """Bring every row's items in line with who takes part now; returns the items opened."""
    taking_part = await participants(session, plan)
    opened = 0
    for activity in await session.scalars(
        select(Activity).where(Activity.plan_id == plan.id, Activity.cancelled_at.is_(None))
    ):
        department, school_ids = who_takes_part(activity, taking_part)
        opened += await _assign(session, now, activity, department, school_ids)
    return opened


async def _direction(session: AsyncSession, plan_id: int, code: str) -> Direction:
    direction = await session.scalar(
        select(Direction).where(Direction.plan_id == plan_id, Direction.code == code)
    )
    if direction is None:
        raise NotFound(
            f"plan {plan_id} has no direction {code!r}",
            "plan_no_direction",
            plan=plan_id,
            code=code,
        )
    return direction


def _new_assignment(activity: Activity, school_id: int | None, now: datetime) -> Assignment:
    return Assignment(
        activity_id=activity.id,
        school_id=school_id,
        status=AssignmentStatus.OPEN,
        due_date=activity.due_date,
        version=1,
        updated_at=now,
    )


async def plan_terms(session: AsyncSession, title: str) -> Terms | None:
    """Term boundaries a plan with this title was given by its coordinators, if any."""
    plan = await session.scalar(select(Plan).where(Plan.title == title))
    stored = ((plan.settings or {}).get("terms") if plan else None) or {}
    if not stored:
        return None
    defaults = Terms()

    def pairs(key: str, fallback: Any) -> Any:
        value = stored.get(key)
        return tuple((tuple(a), tuple(b)) for a, b in value) if value else fallback

    return Terms(
        quarters=pairs("quarters", defaults.quarters), halves=pairs("halves", defaults.halves)
    )
