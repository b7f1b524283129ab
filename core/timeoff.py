"""School holidays and pauses of a plan (or one school of it): set, list, lift, summarise.

Reminders read these through `core.reminders`; this module is what chat and CLI call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Exists, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import SQLCoreOperations

from core import audit
from core.clock import Clock
from core.daysoff import HOLIDAYS, PAUSE
from core.errors import InvalidInput, NotFound
from core.periods import PeriodContext, month_number, parse_period
from core.roles import Role
from core.schools import find_school
from core.states import AssignmentStatus
from core.status import Scope
from db.models import Activity, Assignment, Membership, Plan, PlanSchool, School, TimeOff

KINDS = (HOLIDAYS, PAUSE)
MAX_DAYS = 366
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)


@dataclass(frozen=True)
class BreakInfo:
    """One holidays or pause entry as shown in chat and the CLI."""

    id: int
    kind: str
    title: str
    first: date
    last: date
    school_id: int | None
    school: str | None


def academic_year_of(day: date) -> int:
    """The starting year of the school year `day` belongs to (September to August)."""
    return day.year if day.month >= 8 else day.year - 1


def parse_span(text: str, today: date, school_year: int | None = None) -> tuple[date, date, bool]:
    """ "2020-10-26..2020-11-03", "26.10–03.11", "с 26 октября по 3 ноября", "4 ноября" →
    (first, last, year_inferred). A missing year is `school_year`'s (a plan's), else the one
    about to start or under way, and says so."""
    normal = _ISO.sub(lambda m: f"{m[3]}.{m[2]}.{m[1]}", text.strip()).replace("..", "–")
    year = academic_year_of(today) if school_year is None else school_year
    period = parse_period(normal, PeriodContext(academic_year=year))
    if period.kind not in ("date", "range") or period.start is None or period.due is None:
        raise InvalidInput("span")
    if period.due < period.start or (period.due - period.start).days >= MAX_DAYS:
        raise InvalidInput("span")
    return period.start, period.due, "year_inferred" in period.flags


async def plan_title(session: AsyncSession, scope: Scope, plan_id: int) -> str:
    """The plan's title if the person manages it (its settings, holidays, pauses); else NotFound."""
    plan = await session.get(Plan, plan_id)
    if plan is None or not manages_plan(scope, plan_id):
        raise NotFound(f"plan {plan_id} is not in scope")
    return plan.title


_SCHOOL_TAIL = re.compile(r"\s+[—–-]\s+(?P<school>[^—–]+)$")
_UNTIL = re.compile(r"^\s*(по|до)\s+", re.IGNORECASE)


async def parse_entry(
    session: AsyncSession, plan_id: int, kind: str, text: str, today: date
) -> tuple[date, date, str, int | None, bool]:
    """ "26.10–03.11 осенние", "по 10.12 карантин — 21" → (first, last, title, school, inferred).

    The dates come first, the name or reason after them; a trailing "— школа" limits it to one
    school of the plan. A pause given only its end ("по 10.12") starts today."""
    text = " ".join(text.split())
    school_id = None
    tail = _SCHOOL_TAIL.search(text)
    if tail is not None:
        school = await find_school(session, tail["school"])
        if await session.get(PlanSchool, (plan_id, school.id)) is None:
            raise NotFound(f"school {school.id} does not take part in plan {plan_id}")
        school_id, text = school.id, text[: tail.start()]
    until = _UNTIL.match(text)
    words = (text[until.end() :] if until else text).split()
    cut = len(words)
    while cut > 0 and _plain_word(words[cut - 1]):
        cut -= 1  # the name or reason: the words after the last date word
    if cut == 0:
        raise InvalidInput("span")
    plan = await session.get(Plan, plan_id)  # a day without a year is in the plan's school year
    year = plan.academic_year if plan else None
    first, last, inferred = parse_span(" ".join(words[:cut]), today, year)
    if until:
        if kind != PAUSE or first != last or last < today:
            raise InvalidInput("span")
        first = today
    return first, last, " ".join(words[cut:]), school_id, inferred


_JOINERS = {"с", "по", "до", "-", "–", "—", "г", "г.", "года", "год"}


def _plain_word(word: str) -> bool:
    """Not part of a date: no digit, not a month name, not "с"/"по"/"–"."""
    clean = word.strip(".,;:()").casefold()
    return not (
        any(ch.isdigit() for ch in word) or clean in _JOINERS or month_number(clean) is not None
    )


def manages_plan(scope: Scope, plan_id: int) -> bool:
    """Plan-wide settings, holidays and pauses: admins, and the plan's whole-plan coordinators."""
    return scope.whole_plan(plan_id)


async def add_break(
    session: AsyncSession,
    clock: Clock,
    plan_id: int,
    kind: str,
    first: date,
    last: date,
    title: str,
    *,
    school_id: int | None = None,
    actor_user_id: int | None = None,
) -> BreakInfo:
    """Record holidays or a pause; the next planning pass moves or drops reminders by it."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}")
    if last < first or (last - first).days >= MAX_DAYS:
        raise InvalidInput("span")
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"no plan {plan_id}", "plan_not_found", id=plan_id)
    if school_id is not None and await session.get(PlanSchool, (plan_id, school_id)) is None:
        raise NotFound(
            f"school {school_id} does not take part in plan {plan_id}",
            "school_not_in_plan",
            school=school_id,
            plan=plan_id,
        )
    title = " ".join(title.split())[:200] or ("каникулы" if kind == HOLIDAYS else "пауза")
    row = TimeOff(
        plan_id=plan_id,
        school_id=school_id,
        kind=kind,
        title=title,
        starts_on=first,
        ends_on=last,
        created_by_id=actor_user_id,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    audit.record(
        session, clock, actor_user_id=actor_user_id, action=f"plan.{kind}_add",
        entity_type="plan", entity_id=plan_id,
        after={"id": row.id, "title": title, "first": first.isoformat(),
               "last": last.isoformat(), "school_id": school_id},
    )  # fmt: skip
    return await _info(session, row)


async def lift(
    session: AsyncSession, clock: Clock, break_id: int, today: date, actor_user_id: int | None
) -> BreakInfo:
    """Remove holidays; end a pause today (its summary follows) or drop one not yet begun."""
    row = await session.get(TimeOff, break_id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"no holidays or pause {break_id}", "break_not_found", id=break_id)
    before = {"first": row.starts_on.isoformat(), "last": row.ends_on.isoformat()}
    if row.kind == PAUSE and row.starts_on <= today <= row.ends_on:
        row.ends_on = today - timedelta(days=1)  # over as of today: the summary comes now
        if row.ends_on < row.starts_on:
            row.removed_at = clock.now()
    else:
        row.removed_at = clock.now()
    audit.record(
        session, clock, actor_user_id=actor_user_id, action=f"plan.{row.kind}_remove",
        entity_type="plan", entity_id=row.plan_id, before=before,
        after={"id": row.id, "last": row.ends_on.isoformat(),
               "removed": row.removed_at is not None},
    )  # fmt: skip
    await session.flush()
    return await _info(session, row)


def pause_covering(
    plan_id: SQLCoreOperations[int], school_id: SQLCoreOperations[int | None], day: date
) -> Exists:
    """EXISTS a pause of the plan (or of this school of it) covering `day`: a column for the
    sender's one query per row."""
    return exists().where(
        TimeOff.plan_id == plan_id,
        TimeOff.kind == PAUSE,
        TimeOff.removed_at.is_(None),
        TimeOff.starts_on <= day,
        TimeOff.ends_on >= day,
        or_(TimeOff.school_id.is_(None), TimeOff.school_id == school_id),
    )


async def list_breaks(
    session: AsyncSession,
    plan_id: int,
    today: date,
    kind: str | None = None,
    *,
    past_too: bool = False,
) -> list[BreakInfo]:
    """Holidays and pauses of a plan not over before `today` (all of them, `past_too`),
    soonest first."""
    query = select(TimeOff).where(TimeOff.plan_id == plan_id, TimeOff.removed_at.is_(None))
    if not past_too:
        query = query.where(TimeOff.ends_on >= today)
    if kind is not None:
        query = query.where(TimeOff.kind == kind)
    rows = await session.scalars(query.order_by(TimeOff.starts_on, TimeOff.id))
    return [await _info(session, row) for row in rows]


async def break_plan(session: AsyncSession, break_id: int) -> int:
    """The plan a holidays or pause entry belongs to (for permission checks)."""
    row = await session.get(TimeOff, break_id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"no holidays or pause {break_id}", "break_not_found", id=break_id)
    return row.plan_id


async def _info(session: AsyncSession, row: TimeOff) -> BreakInfo:
    school = await session.get(School, row.school_id) if row.school_id else None
    return BreakInfo(
        row.id,
        row.kind,
        row.title,
        row.starts_on,
        row.ends_on,
        row.school_id,
        (school.short_name or school.name) if school else None,
    )


@dataclass(frozen=True)
class PauseSummary:
    title: str
    first: date
    last: date
    rows: list[tuple[str, date | None]]
    overdue: int


async def pause_summary(
    session: AsyncSession, break_id: int, user_id: int, today: date, limit: int = 15
) -> PauseSummary | None:
    """What a curator has open in the paused plan (their schools), soonest first; None if the
    pause was removed meanwhile."""
    row = await session.get(TimeOff, break_id)
    if row is None or row.removed_at is not None:
        return None
    schools = select(Membership.school_id).where(
        Membership.user_id == user_id,
        Membership.role == Role.CURATOR,
        Membership.revoked_at.is_(None),
    )
    live = [
        Activity.plan_id == row.plan_id,
        Activity.cancelled_at.is_(None),
        Assignment.status.in_(OPEN),
        Assignment.school_id.in_(schools),
    ]
    if row.school_id is not None:
        live.append(Assignment.school_id == row.school_id)
    base = select(Activity.title, Assignment.due_date).join(
        Activity, Activity.id == Assignment.activity_id
    )
    rows = (
        await session.execute(
            base.where(*live)
            .order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
            .limit(limit)
        )
    ).all()
    overdue = await session.scalar(
        select(func.count())
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(*live, Assignment.due_date < today)
    )
    return PauseSummary(
        row.title, row.starts_on, row.ends_on, [(t, d) for t, d in rows], int(overdue or 0)
    )
