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
from core.errors import InvalidInput, NotFound, Refused
from core.notices import AWAY_UNCOVERED, DEPUTY_CHOSEN, queue_notice
from core.people import coordinators_of_schools, reachable, recipient
from core.permissions import stand_in_roles
from core.roles import Role
from core.scope import Scope, scope_of
from core.states import AssignmentStatus
from db.models import (
    Absence,
    Activity,
    Assignment,
    AuditEntry,
    DirectionSchool,
    Membership,
    PlanSchool,
    User,
)

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


async def _links(
    session: AsyncSession, roles: list[MembershipInfo]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The schools of the plans and directions these coordinator roles name."""
    plans = {m.plan_id for m in roles if m.role == Role.COORDINATOR and m.plan_id}
    directions = {m.direction_id for m in roles if m.role == Role.COORDINATOR and m.direction_id}
    plan_schools: dict[int, set[int]] = {}
    direction_schools: dict[int, set[int]] = {}
    if plans:
        for plan_id, school_id in await session.execute(
            select(PlanSchool.plan_id, PlanSchool.school_id).where(PlanSchool.plan_id.in_(plans))
        ):
            plan_schools.setdefault(plan_id, set()).add(school_id)
    if directions:
        for direction_id, school_id in await session.execute(
            select(DirectionSchool.direction_id, DirectionSchool.school_id).where(
                DirectionSchool.direction_id.in_(directions)
            )
        ):
            direction_schools.setdefault(direction_id, set()).add(school_id)
    return plan_schools, direction_schools


async def stand_in(session: AsyncSession, absent_id: int, deputy_id: int) -> list[MembershipInfo]:
    """The absent person's roles `deputy_id` would hold while standing in (none: not a deputy)."""
    from core.users import load_memberships  # users imports this module

    absent = list(await load_memberships(session, absent_id))
    own = list(await load_memberships(session, deputy_id))
    return stand_in_roles(absent, own, *await _links(session, own))


async def deputy_choices(
    session: AsyncSession, user_id: int, actor: UserContext | None = None
) -> list[tuple[int, str]]:
    """Who may stand in: people who share a plan (and direction) with the person with a role
    as high as the one they would take over (curators of the same school, the coordinators
    of the school's plan, fellow coordinators). Offered to a coordinator who names the deputy
    (`actor`): only people standing in within that coordinator's plans."""
    roles = await _roles(session, user_id)
    schools = {m.school_id for m in roles if m.school_id is not None}
    plans = {m.plan_id for m in roles if m.role == Role.COORDINATOR and m.plan_id}
    if schools:
        plans |= set(
            await session.scalars(
                select(PlanSchool.plan_id).where(PlanSchool.school_id.in_(schools))
            )
        )
    same = [Membership.school_id.in_(schools), Membership.role == Role.CURATOR] if schools else []
    coordinators = and_(
        Membership.role == Role.COORDINATOR,
        or_(Membership.plan_id.is_(None), Membership.plan_id.in_(plans)),
    )
    rows = await session.execute(
        select(User.id, User.full_name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.revoked_at.is_(None),
            or_(coordinators, and_(*same)) if same else coordinators,
            User.id != user_id,
            *reachable(),
        )
        .distinct()
        .order_by(User.full_name, User.id)
    )
    limit = None
    if actor is not None and actor.user_id != user_id and not _is_admin(actor):
        limit = scope_of(_own(actor))
    out = []
    for uid, name in rows.all():
        granted = await stand_in(session, user_id, uid)
        if limit is not None:
            granted = [m for m in granted if await _within(session, limit, m)]
        if granted:
            out.append((uid, name or "без имени"))
    return out


async def _within(session: AsyncSession, scope: Scope, role: MembershipInfo) -> bool:
    """A stood-in role lies inside a coordinator's plans (and directions)."""
    if role.role == Role.COORDINATOR:
        return role.plan_id is not None and scope.covers(role.plan_id, role.direction_id)
    plans = (
        [role.plan_id]
        if role.plan_id
        else list(
            await session.scalars(
                select(PlanSchool.plan_id).where(PlanSchool.school_id == role.school_id)
            )
        )
    )
    for plan_id in plans:
        directions = scope.directions(plan_id)
        if directions is None:
            return True
        if directions and await session.scalar(
            select(func.count())
            .select_from(DirectionSchool)
            .where(
                DirectionSchool.school_id == role.school_id,
                DirectionSchool.direction_id.in_(directions),
            )
        ):
            return True
    return False


def _is_admin(user: UserContext) -> bool:
    return any(m.role == Role.ADMIN and m.acting_for is None for m in user.memberships)


def _own(user: UserContext) -> UserContext:
    """The person with their own roles only (a deputy's borrowed roles never manage others)."""
    return replace(user, memberships=tuple(m for m in user.memberships if m.acting_for is None))


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
    await _check_deputy(session, user_id, deputy_id, actor)
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


async def check_may_name(session: AsyncSession, actor: UserContext, absence_id: int) -> Absence:
    """Raise unless `actor` may choose the deputy of this absence now: the person themselves
    or an admin always; a coordinator of the person's plan (and direction) while none is set."""
    row = await session.get(Absence, absence_id)
    if row is None or row.ended_at is not None:
        raise NotFound(f"no absence {absence_id}")
    if actor.user_id == row.user_id or _is_admin(actor):
        return row
    if not await may_manage(session, actor, row.user_id):
        raise Refused("not_your_plan")
    if row.deputy_id is not None:
        chosen = await session.get(User, row.deputy_id)
        raise Refused("deputy_set", (chosen.full_name if chosen else None) or "без имени")
    return row


async def set_deputy(
    session: AsyncSession, clock: Clock, actor: UserContext, absence_id: int, deputy_id: int | None
) -> AbsenceInfo:
    """Choose who stands in (None: nobody; the coordinators hear of it when the school is then
    unreachable). The person themselves or an admin sets or changes the deputy; a coordinator
    of the person's plan (and direction) may name one while none is set, never replace one."""
    row = await check_may_name(session, actor, absence_id)
    if deputy_id is None and actor.user_id != row.user_id and not _is_admin(actor):
        raise Refused("deputy_set")  # a coordinator names someone, never "nobody"
    await _check_deputy(session, row.user_id, deputy_id, actor)
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
    """The roles a deputy holds today for the people they stand in for (marked as such): only
    where both share the plan (and direction), never above the deputy's own role
    (`core.permissions.stand_in_roles`)."""
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
    out: list[MembershipInfo] = []
    found = rows.all()
    if not found:
        return ()
    from core.users import load_memberships  # users imports this module

    own = list(await load_memberships(session, deputy_id))
    links = await _links(session, own)
    for absent_id, until, name in found:
        absent = list(await load_memberships(session, absent_id))
        for m in stand_in_roles(absent, own, *links):
            out.append(replace(m, acting_for=absent_id, acting_for_name=name, acting_until=until))
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


async def _check_deputy(
    session: AsyncSession, user_id: int, deputy_id: int | None, actor: UserContext | None = None
) -> None:
    if deputy_id is None:
        return
    if deputy_id not in {uid for uid, _ in await deputy_choices(session, user_id, actor)}:
        raise InvalidInput("deputy")


async def may_manage(session: AsyncSession, actor: UserContext, user_id: int) -> bool:
    """An admin, or a coordinator (by their own role) of a plan and direction the person
    works in: they may name a deputy for the person when none is set."""
    if _is_admin(actor):
        return True
    mine = [m for m in actor.memberships if m.acting_for is None and m.role == Role.COORDINATOR]
    if not mine:
        return False
    from core.users import load_memberships  # users imports this module

    absent = [m for m in await load_memberships(session, user_id)]
    links = await _links(session, mine)
    return any(stand_in_roles([m], [c], *links) for m in absent for c in mine)


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
        deputy = await recipient(session, row.deputy_id)
        if deputy is not None:
            await queue_notice(
                session, clock, DEPUTY_CHOSEN, "absence", row.id,
                [deputy], event=f"d{row.deputy_id}",
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
