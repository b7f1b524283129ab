"""Away and deputies: "Меня нет с … по …", who stands in, coming back, what happened meanwhile.

While someone is away their reminders go to the deputy (`core.planner`), and the deputy holds
the absent person's school roles for those days (`deputy_memberships`, read into the acting
user's context), so every permission check lets them mark items done on the person's behalf;
the audit names both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.clock import Clock
from core.dto import MembershipInfo, UserContext
from core.errors import InvalidInput, NotFound
from core.notices import AWAY_UNCOVERED, DEPUTY_CHOSEN, queue_notice
from core.people import Recipient, coordinators_of_schools, reachable
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Absence, Activity, Assignment, AuditEntry, Membership, PlanSchool, User

MAX_DAYS = 366
OPEN = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)


@dataclass(frozen=True)
class AbsenceInfo:
    id: int
    user_id: int
    name: str
    first: date
    last: date
    deputy_id: int | None
    deputy: str | None


@dataclass(frozen=True)
class Event:
    """Something done to the person's items while away: who, what (an audit action), on what."""

    who: str | None
    action: str
    title: str
    for_name: str | None = None


async def _roles(session: AsyncSession, user_id: int) -> list[Membership]:
    return list(
        await session.scalars(
            select(Membership).where(
                Membership.user_id == user_id,
                Membership.revoked_at.is_(None),
                Membership.role.in_([Role.CURATOR, Role.COORDINATOR, Role.OBSERVER]),
            )
        )
    )


async def deputy_choices(session: AsyncSession, user_id: int) -> list[tuple[int, str]]:
    """Who may stand in: people of the same schools (and the coordinators of their plans);
    for a coordinator, the other coordinators of their plans."""
    roles = await _roles(session, user_id)
    schools = {m.school_id for m in roles if m.school_id is not None}
    plans = {m.plan_id for m in roles if m.role == Role.COORDINATOR}
    if schools:
        plans |= set(
            await session.scalars(
                select(PlanSchool.plan_id).where(PlanSchool.school_id.in_(schools))
            )
        )
    same = [Membership.school_id.in_(schools)] if schools else []
    coordinators = and_(
        Membership.role == Role.COORDINATOR,
        or_(Membership.plan_id.is_(None), Membership.plan_id.in_(plans)),
    )
    rows = await session.execute(
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.revoked_at.is_(None),
            or_(coordinators, *same) if plans or same else coordinators,
            User.id != user_id,
            *reachable(),
        )
        .distinct()
        .order_by(User.full_name, User.id)
    )
    return [(uid, name or "без имени") for uid, name in rows]


async def set_away(
    session: AsyncSession,
    clock: Clock,
    actor: UserContext,
    user_id: int,
    first: date,
    last: date,
    deputy_id: int | None,
) -> AbsenceInfo:
    """Record an absence (replacing an overlapping one); tell the deputy, or the coordinators
    once when the school has nobody reachable."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise InvalidInput("span")
    if actor.user_id != user_id:
        raise NotFound("absences are set by the person themselves")
    await _check_deputy(session, user_id, deputy_id)
    now = clock.now()
    for old in await session.scalars(
        select(Absence).where(
            Absence.user_id == user_id, Absence.ends_on >= first, Absence.starts_on <= last
        )
    ):
        old.ends_on = min(old.ends_on, first - timedelta(days=1))
        old.ended_at = now
    row = Absence(
        user_id=user_id,
        deputy_id=deputy_id,
        starts_on=first,
        ends_on=last,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    _audit(session, clock, actor.user_id, "user.away", row)
    if deputy_id is not None or not await deputy_choices(session, user_id):
        await _tell(session, clock, row)  # else the choice that follows tells
    return await info(session, row.id)


async def set_deputy(
    session: AsyncSession, clock: Clock, actor: UserContext, absence_id: int, deputy_id: int | None
) -> AbsenceInfo:
    """The person themselves, or a coordinator of their schools, chooses who stands in (None:
    nobody; the coordinators hear of it when the school is then unreachable)."""
    row = await session.get(Absence, absence_id)
    if row is None or row.ended_at is not None:
        raise NotFound(f"no absence {absence_id}")
    if actor.user_id != row.user_id and not await may_manage(session, actor, row.user_id):
        raise NotFound(f"absence {absence_id} is not in scope")
    await _check_deputy(session, row.user_id, deputy_id)
    row.deputy_id = deputy_id
    _audit(session, clock, actor.user_id, "user.deputy", row)
    await _tell(session, clock, row)
    return await info(session, row.id)


async def come_back(session: AsyncSession, clock: Clock, user_id: int, today: date) -> bool:
    """ "Я вернулся": the current absence ends yesterday (one not begun is dropped)."""
    changed = False
    now = clock.now()
    for row in await session.scalars(
        select(Absence).where(
            Absence.user_id == user_id, Absence.ends_on >= today, Absence.ended_at.is_(None)
        )
    ):
        row.ends_on = today - timedelta(days=1)
        row.ended_at = now
        _audit(session, clock, user_id, "user.back", row)
        changed = True
    await session.flush()
    return changed


async def current(session: AsyncSession, user_id: int, today: date) -> AbsenceInfo | None:
    """The person's absence covering `today` or starting later, if any."""
    row_id = await session.scalar(
        select(Absence.id)
        .where(
            Absence.user_id == user_id,
            Absence.ends_on >= today,
            Absence.ends_on >= Absence.starts_on,
        )
        .order_by(Absence.starts_on)
        .limit(1)
    )
    return await info(session, row_id) if row_id else None


async def info(session: AsyncSession, absence_id: int) -> AbsenceInfo:
    row = await session.get(Absence, absence_id)
    if row is None:
        raise NotFound(f"no absence {absence_id}")
    person = await session.get(User, row.user_id)
    deputy = await session.get(User, row.deputy_id) if row.deputy_id else None
    return AbsenceInfo(
        row.id,
        row.user_id,
        (person.full_name if person else None) or "без имени",
        row.starts_on,
        row.ends_on,
        row.deputy_id,
        (deputy.full_name or "без имени") if deputy else None,
    )


async def away_now(
    session: AsyncSession, user_ids: set[int], today: date
) -> dict[int, AbsenceInfo]:
    """Who of `user_ids` is away today (for /status and /people)."""
    if not user_ids:
        return {}
    ids = await session.scalars(
        select(Absence.id).where(
            Absence.user_id.in_(user_ids), Absence.starts_on <= today, Absence.ends_on >= today
        )
    )
    found = [await info(session, i) for i in ids]
    return {a.user_id: a for a in found}


async def deputy_memberships(
    session: AsyncSession, deputy_id: int, today: date
) -> tuple[MembershipInfo, ...]:
    """The roles a deputy holds today for the people they stand in for (marked as such): the
    school (curator) roles; coordinator roles only to someone who coordinates already, so
    standing in never lifts a school's person to a plan's reviewer."""
    rows = await session.execute(
        select(Absence.user_id, Absence.ends_on, User.full_name)
        .join(User, User.id == Absence.user_id)
        .where(
            Absence.deputy_id == deputy_id,
            Absence.starts_on <= today,
            Absence.ends_on >= today,
            User.is_active.is_(True),
        )
    )
    from core.users import load_memberships  # users imports this module

    out: list[MembershipInfo] = []
    found = rows.all()
    if not found:
        return ()
    own = {m.role for m in await _roles(session, deputy_id)}
    granted = {Role.CURATOR} | ({Role.COORDINATOR} if Role.COORDINATOR in own else set())
    for absent_id, until, name in found:
        for m in await load_memberships(session, absent_id):
            if m.role in granted:
                out.append(
                    replace(m, acting_for=absent_id, acting_for_name=name, acting_until=until)
                )
    return tuple(out)


async def return_summary(
    session: AsyncSession, absence_id: int, zone: str, limit: int = 15
) -> tuple[AbsenceInfo, list[Event], int, int] | None:
    """What happened to the person's items while they were away: (absence, events, overdue now,
    open now); None when the absence was dropped."""
    row = await session.get(Absence, absence_id)
    if row is None or row.ends_on < row.starts_on:
        return None
    absence = await info(session, absence_id)
    tz = ZoneInfo(zone)
    since = datetime.combine(row.starts_on, time(0), tz)
    until = datetime.combine(row.ends_on + timedelta(days=1), time(0), tz)
    schools = select(Membership.school_id).where(
        Membership.user_id == row.user_id,
        Membership.role == Role.CURATOR,
        Membership.revoked_at.is_(None),
    )
    items = select(Assignment.id).where(Assignment.school_id.in_(schools))
    entries = await session.execute(
        select(AuditEntry, User.full_name, Activity.title)
        .outerjoin(User, User.id == AuditEntry.actor_user_id)
        .join(Assignment, Assignment.id == AuditEntry.entity_id)
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(
            AuditEntry.entity_type == "assignment",
            AuditEntry.entity_id.in_(items),
            AuditEntry.at >= since,
            AuditEntry.at < until,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
        .limit(limit)
    )
    events = [
        Event(who, e.action, title, (e.after or {}).get("for_name")) for e, who, title in entries
    ]
    today = row.ends_on + timedelta(days=1)
    live = (
        Assignment.school_id.in_(schools),
        Assignment.status.in_(OPEN),
        Activity.cancelled_at.is_(None),
    )
    counted = (
        select(func.count())
        .select_from(Assignment)
        .join(Activity, Activity.id == Assignment.activity_id)
    )
    overdue = int(await session.scalar(counted.where(*live, Assignment.due_date < today)) or 0)
    open_count = int(await session.scalar(counted.where(*live)) or 0)
    return absence, events, overdue, open_count


async def _check_deputy(session: AsyncSession, user_id: int, deputy_id: int | None) -> None:
    if deputy_id is None:
        return
    if deputy_id not in {uid for uid, _ in await deputy_choices(session, user_id)}:
        raise InvalidInput("deputy")


async def may_manage(session: AsyncSession, actor: UserContext, user_id: int) -> bool:
    """A coordinator (or admin) of a plan one of the person's schools takes part in."""
    if any(m.role == Role.ADMIN for m in actor.memberships):
        return True
    schools = {m.school_id for m in await _roles(session, user_id) if m.school_id}
    plans = set(
        await session.scalars(select(PlanSchool.plan_id).where(PlanSchool.school_id.in_(schools)))
    )
    return any(
        m.role == Role.COORDINATOR
        and m.acting_for is None
        and (m.plan_id is None or m.plan_id in plans)
        for m in actor.memberships
    )


def _audit(
    session: AsyncSession, clock: Clock, actor_id: int | None, action: str, row: Absence
) -> None:
    audit.record(
        session, clock, actor_user_id=actor_id, action=action, entity_type="user",
        entity_id=row.user_id,
        after={"absence_id": row.id, "first": row.starts_on.isoformat(),
               "last": row.ends_on.isoformat(), "deputy_id": row.deputy_id},
    )  # fmt: skip


async def _tell(session: AsyncSession, clock: Clock, row: Absence) -> None:
    """The deputy learns they stand in; with nobody reachable in the school, its coordinators
    are told (once per absence and choice)."""
    if row.deputy_id is not None:
        deputy = await session.get(User, row.deputy_id)
        if deputy is not None:
            await queue_notice(
                session, clock, DEPUTY_CHOSEN, "absence", row.id,
                [Recipient(deputy.id, deputy.telegram_id)], event=f"d{deputy.id}",
            )  # fmt: skip
        return
    schools = {
        m.school_id
        for m in await _roles(session, row.user_id)
        if m.role == Role.CURATOR and m.school_id is not None
    }
    if not schools or await _someone_else_reachable(session, row, schools):
        return
    coordinators = await coordinators_of_schools(session, schools)
    await queue_notice(
        session, clock, AWAY_UNCOVERED, "absence", row.id, coordinators, event="nobody",
        skip_user_id=row.user_id,
    )  # fmt: skip


async def _someone_else_reachable(session: AsyncSession, row: Absence, schools: set[int]) -> bool:
    """Another curator of each school who is reachable and not away at the same time."""
    for school_id in schools:
        others = set(
            await session.scalars(
                select(User.id)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.school_id == school_id,
                    Membership.role == Role.CURATOR,
                    Membership.revoked_at.is_(None),
                    User.id != row.user_id,
                    *reachable(),
                )
            )
        )
        away = set(
            await session.scalars(
                select(Absence.user_id).where(
                    Absence.user_id.in_(others),
                    Absence.starts_on <= row.ends_on,
                    Absence.ends_on >= row.starts_on,
                )
            )
        )
        if not others - away:
            return False
    return True


@dataclass(frozen=True)
class AwayLine:
    """Someone away today, for coordinators' lists."""

    user_id: int
    name: str
    school: str | None
    last: date
    deputy: str | None


async def away_in_scope(
    session: AsyncSession, plan_ids: set[int] | None, school_ids: set[int], today: date
) -> list[AwayLine]:
    """People of the scope's schools (every school: `plan_ids` None) away today."""
    from db.models import School

    schools = set(school_ids)
    if plan_ids:
        schools |= set(
            await session.scalars(
                select(PlanSchool.school_id).where(PlanSchool.plan_id.in_(plan_ids))
            )
        )
    query = (
        select(Absence, User.full_name, School.short_name, School.name)
        .join(User, User.id == Absence.user_id)
        .join(Membership, Membership.user_id == Absence.user_id)
        .outerjoin(School, School.id == Membership.school_id)
        .where(
            Absence.starts_on <= today,
            Absence.ends_on >= today,
            Membership.revoked_at.is_(None),
            Membership.role == Role.CURATOR,
        )
        .order_by(User.full_name, Absence.id)
    )
    if plan_ids is not None:
        query = query.where(Membership.school_id.in_(schools))
    out: list[AwayLine] = []
    seen: set[int] = set()
    for absence, name, short, full in await session.execute(query):
        if absence.id in seen:
            continue
        seen.add(absence.id)
        deputy = await session.get(User, absence.deputy_id) if absence.deputy_id else None
        out.append(
            AwayLine(
                absence.user_id,
                name or "без имени",
                short or full,
                absence.ends_on,
                (deputy.full_name or "без имени") if deputy else None,
            )
        )
    return out
