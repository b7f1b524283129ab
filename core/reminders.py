"""Reminder planning against the database: load work and people, write and reconcile the outbox.

The planner (`core.planner`) decides; this module feeds it from the database and writes its
answer as outbox rows with unique keys, so running it twice, or in two processes, is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import delivery_account
from core.clock import Clock
from core.daysoff import HOLIDAYS, PAUSE, Break, why_off
from core.groups import plan_weekly_status
from core.outbox import insert_outbox
from core.people import reachable
from core.planner import (
    Away,
    PauseItem,
    Person,
    Reminder,
    SeminarItem,
    WorkItem,
    plan_digests,
    plan_resumes,
    plan_returns,
    plan_seminar,
    plan_work,
)
from core.reminder_policy import ReminderPolicy, resolve_zone
from core.roles import Role
from core.seminars import school_ids_of
from core.states import AssignmentStatus, OutboxStatus, RsvpAnswer
from db.models import (
    Absence,
    Account,
    Activity,
    Assignment,
    Attendance,
    Membership,
    OutboxMessage,
    Plan,
    PlanSchool,
    School,
    Seminar,
    TimeOff,
    User,
)

OPEN_STATES = (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
PLANNED_KINDS = (
    "deadline",
    "start",
    "checkin",
    "recurring",
    "overdue",
    "escalation",
    "snoozed",
    "seminar",
    "seminar_soon",
    "digest",
    "resume",
    "back",
)
LOOKBACK = timedelta(days=3)
HORIZON = timedelta(hours=26)


@dataclass(frozen=True)
class _Member:
    user: User
    role: Role
    school_id: int | None
    plan_id: int | None
    direction_id: int | None


@dataclass
class Loaded:
    """Everything the planner needs, read from the database in one pass."""

    work: list[WorkItem]
    seminars: list[SeminarItem]
    readers: list[Person]
    breaks_of_reader: dict[int, tuple[Break, ...]]
    pauses: list[PauseItem]
    returning: list[Person]


class _People:
    """Active, reachable members indexed for the lookups the planner needs."""

    def __init__(
        self,
        rows: Iterable[tuple[Membership, User]],
        default_zone: str,
        absences: dict[int, list[Absence]],
        deputies: dict[int, User],
        addresses: dict[int, tuple[int, str]],
    ) -> None:
        self.default_zone = default_zone
        self.addresses = addresses  # person -> (chat, messenger) where their reminders go
        self.absences = absences
        self.deputies = deputies
        self.curators: dict[int, list[_Member]] = defaultdict(list)
        self.coordinators: list[_Member] = []
        for membership, user in rows:
            member = _Member(
                user,
                membership.role,
                membership.school_id,
                membership.plan_id,
                membership.direction_id,
            )
            if membership.role == Role.CURATOR and membership.school_id is not None:
                self.curators[membership.school_id].append(member)
            elif membership.role == Role.COORDINATOR:
                self.coordinators.append(member)

    def person(
        self, user: User, zone_names: tuple[str | None, ...], plan_policy: ReminderPolicy
    ) -> Person:
        zone = resolve_zone(user.timezone, *zone_names, self.default_zone)
        policy = plan_policy.merged((user.settings or {}).get("reminders"))
        away = tuple(
            Away(a.id, a.starts_on, a.ends_on, self._deputy(a.deputy_id, zone_names))
            for a in self.absences.get(user.id, ())
        )
        chat, messenger = self.addresses[user.id]
        return Person(user.id, chat, zone, policy, user.full_name, away, messenger)

    def _deputy(self, user_id: int | None, zone_names: tuple[str | None, ...]) -> Person | None:
        """The deputy as a recipient; a switched-off, blocked or forgotten one is nobody."""
        user = self.deputies.get(user_id) if user_id is not None else None
        if user is None:
            return None
        zone = resolve_zone(user.timezone, *zone_names, self.default_zone)
        policy = ReminderPolicy().merged((user.settings or {}).get("reminders"))
        chat, messenger = self.addresses[user.id]
        return Person(user.id, chat, zone, policy, user.full_name, (), messenger)

    def curators_of(self, school_id: int, plan_id: int) -> list[_Member]:
        return [m for m in self.curators.get(school_id, []) if m.plan_id in (None, plan_id)]

    def coordinators_of(self, plan_id: int, direction_id: int | None) -> list[_Member]:
        return [
            m
            for m in self.coordinators
            if m.plan_id in (None, plan_id) and m.direction_id in (None, direction_id)
        ]


async def _people(session: AsyncSession, default_zone: str, since: date) -> _People:
    rows = await session.execute(
        select(Membership, User, Account.chat_id, Account.messenger)
        .join(User, User.id == Membership.user_id)
        .join(Account, delivery_account())
        .where(
            Membership.revoked_at.is_(None),
            Membership.role.in_([Role.CURATOR, Role.COORDINATOR]),
            *reachable(),
        )
    )
    members: list[tuple[Membership, User]] = []
    addresses: dict[int, tuple[int, str]] = {}
    for membership, user, chat, messenger in rows:
        members.append((membership, user))
        addresses[user.id] = (chat, messenger)
    absences: dict[int, list[Absence]] = defaultdict(list)
    for absence in await session.scalars(select(Absence).where(Absence.ends_on >= since)):
        absences[absence.user_id].append(absence)
    deputy_ids = {a.deputy_id for spells in absences.values() for a in spells if a.deputy_id}
    deputies: dict[int, User] = {}
    for user, chat, messenger in await session.execute(
        select(User, Account.chat_id, Account.messenger)
        .join(Account, delivery_account())
        .where(User.id.in_(deputy_ids), *reachable())
    ):
        deputies[user.id] = user
        addresses[user.id] = (chat, messenger)
    return _People(members, default_zone, absences, deputies, addresses)


class _Calendars:
    """School holidays and pauses by plan and school, as the planner's `Break`s."""

    def __init__(self, rows: Iterable[TimeOff], plan_schools: dict[int, set[int]]) -> None:
        self.by_plan: dict[int, list[tuple[int | None, Break]]] = defaultdict(list)
        self.rows = list(rows)
        self.plan_schools = plan_schools
        for row in self.rows:
            brk = Break(row.kind, row.starts_on, row.ends_on, row.title, row.id, row.school_id)
            self.by_plan[row.plan_id].append((row.school_id, brk))
        self._cache: dict[tuple[int, int | None], tuple[Break, ...]] = {}

    def of(self, plan_id: int, school_id: int | None) -> tuple[Break, ...]:
        key = (plan_id, school_id)
        if key not in self._cache:
            self._cache[key] = tuple(
                brk for where, brk in self.by_plan.get(plan_id, ()) if where in (None, school_id)
            )
        return self._cache[key]

    def of_school(self, school_id: int) -> tuple[Break, ...]:
        """Holidays and pauses that apply to a school in any of its plans (for its digests)."""
        return tuple(
            brk
            for plan_id, schools in self.plan_schools.items()
            if school_id in schools
            for brk in self.of(plan_id, school_id)
        )


def _policy(plan: Plan) -> ReminderPolicy:
    return ReminderPolicy().merged((plan.settings or {}).get("reminders"))


async def load_work(session: AsyncSession, default_zone: str, since: date) -> Loaded:
    """Open assignments with recipients, dated seminars with audience, digest readers, ended
    pauses with whom to tell, and people coming back (time off ending before `since` ignored)."""
    people = await _people(session, default_zone, since - timedelta(days=7))
    plans = {p.id: p for p in await session.scalars(select(Plan).where(Plan.archived_at.is_(None)))}
    schools = {s.id: s for s in await session.scalars(select(School))}
    plan_schools: dict[int, set[int]] = defaultdict(set)
    for plan_id, school_id in await session.execute(
        select(PlanSchool.plan_id, PlanSchool.school_id)
    ):
        plan_schools[plan_id].add(school_id)
    calendars = _Calendars(
        await session.scalars(
            select(TimeOff).where(
                TimeOff.removed_at.is_(None),
                TimeOff.ends_on >= since - timedelta(days=7),
                TimeOff.plan_id.in_(list(plans)),
            )
        ),
        plan_schools,
    )
    rows = await session.execute(
        select(Assignment, Activity)
        .join(Activity, Activity.id == Assignment.activity_id)
        .where(
            Assignment.status.in_(OPEN_STATES),
            Activity.cancelled_at.is_(None),
            Activity.plan_id.in_(list(plans)),
        )
    )
    work: list[WorkItem] = []
    for assignment, activity in rows:
        plan = plans[activity.plan_id]
        policy = _policy(plan)
        coordinators = tuple(
            people.person(m.user, (plan.timezone,), policy)
            for m in people.coordinators_of(plan.id, activity.direction_id)
        )
        escalate_to: tuple[Person, ...]
        if assignment.school_id is None:
            curators, escalate_to = coordinators, ()
        else:
            school_zone = (
                schools[assignment.school_id].timezone if assignment.school_id in schools else None
            )
            curators = tuple(
                people.person(m.user, (school_zone, plan.timezone), policy)
                for m in people.curators_of(assignment.school_id, plan.id)
            )
            escalate_to = coordinators
        if not curators and not escalate_to:
            continue
        work.append(
            WorkItem(
                assignment_id=assignment.id,
                activity_id=activity.id,
                plan_id=plan.id,
                title=activity.title,
                start=activity.start_date,
                due=assignment.due_date,
                period_kind=activity.period_kind,
                recurrence=activity.recurrence,
                curators=curators,
                coordinators=escalate_to,
                snoozed_until=assignment.snoozed_until,
                breaks=calendars.of(plan.id, assignment.school_id),
            )
        )
    seminars = await _seminars(session, people, plans, schools, calendars)
    readers: dict[int, Person] = {}
    breaks_of_reader: dict[int, tuple[Break, ...]] = {}
    returning: dict[int, Person] = {}
    for members in [*people.curators.values(), people.coordinators]:
        for member in members:
            zone_school = schools.get(member.school_id) if member.school_id else None
            person = people.person(
                member.user, (zone_school.timezone if zone_school else None,), ReminderPolicy()
            )
            if person.away:
                returning.setdefault(person.user_id, person)
            if (member.user.settings or {}).get("digest", True) and member.user.id not in readers:
                readers[member.user.id] = person
                if member.school_id is not None:
                    breaks_of_reader[member.user.id] = calendars.of_school(member.school_id)
    pauses = _pauses(calendars, people, plans, schools)
    return Loaded(
        work, seminars, list(readers.values()), breaks_of_reader, pauses, list(returning.values())
    )


def _pauses(
    calendars: _Calendars, people: _People, plans: dict[int, Plan], schools: dict[int, School]
) -> list[PauseItem]:
    """Each pause with the curators of the schools it covered."""
    out: list[PauseItem] = []
    for row in calendars.rows:
        if row.kind != PAUSE:
            continue
        plan = plans[row.plan_id]
        school_ids = (
            {row.school_id} if row.school_id is not None else calendars.plan_schools[plan.id]
        )
        audience: dict[int, Person] = {}
        for school_id in sorted(school_ids):
            zone = schools[school_id].timezone if school_id in schools else None
            for member in people.curators_of(school_id, plan.id):
                audience.setdefault(
                    member.user.id, people.person(member.user, (zone, plan.timezone), _policy(plan))
                )
        pause = Break(row.kind, row.starts_on, row.ends_on, row.title, row.id, row.school_id)
        holidays = tuple(b for b in calendars.of(plan.id, row.school_id) if b.kind == HOLIDAYS)
        out.append(PauseItem(pause, plan.id, tuple(audience.values()), holidays))
    return out


async def _seminars(
    session: AsyncSession,
    people: _People,
    plans: dict[int, Plan],
    schools: dict[int, School],
    calendars: _Calendars,
) -> list[SeminarItem]:
    result = []
    seminars = list(
        await session.scalars(
            select(Seminar).where(
                Seminar.cancelled_at.is_(None),
                Seminar.plan_id.in_(list(plans)),
                or_(Seminar.starts_on.is_not(None), Seminar.starts_at.is_not(None)),
            )
        )
    )
    declined = {  # (seminar, person) who answered "Не смогу"
        (seminar_id, user_id)
        for seminar_id, user_id in await session.execute(
            select(Attendance.seminar_id, Attendance.user_id).where(
                Attendance.seminar_id.in_([s.id for s in seminars]),
                Attendance.answer == RsvpAnswer.NO,
            )
        )
    }
    for seminar in seminars:
        plan = plans[seminar.plan_id]
        school_ids = await school_ids_of(session, seminar)
        audience: dict[int, Person] = {}
        breaks_of: dict[int, tuple[Break, ...]] = {}
        for school_id in school_ids:
            zone = schools[school_id].timezone if school_id in schools else None
            for member in people.curators_of(school_id, plan.id):
                if (seminar.id, member.user.id) in declined:
                    continue  # no more reminders of a seminar they will not attend
                if member.user.id not in audience:
                    audience[member.user.id] = people.person(
                        member.user, (zone, plan.timezone), _policy(plan)
                    )
                    breaks_of[member.user.id] = calendars.of(plan.id, school_id)
        result.append(
            SeminarItem(
                seminar.id,
                seminar.topic,
                seminar.starts_on,
                seminar.starts_at,
                tuple(audience.values()),
                in_holidays=seminar.in_holidays,
                breaks_of=breaks_of,
            )
        )
    return result


def plan_window(loaded: Loaded, since: datetime, until: datetime) -> list[Reminder]:
    """Every reminder of the loaded state scheduled in [since, until)."""
    reminders: list[Reminder] = []
    for item in loaded.work:
        reminders.extend(plan_work(item, since, until))
    for seminar in loaded.seminars:
        reminders.extend(plan_seminar(seminar, since, until))
    reminders.extend(plan_digests(loaded.readers, since, until, loaded.breaks_of_reader))
    reminders.extend(plan_resumes(loaded.pauses, since, until))
    reminders.extend(plan_returns(loaded.returning, since, until))
    reminders.sort(key=lambda r: (r.scheduled_at, r.person.user_id, r.kind, r.target_id))
    return reminders


async def preview(
    session: AsyncSession, since: datetime, until: datetime, default_zone: str
) -> list[Reminder]:
    """What the current database would send in a window (nothing is written)."""
    loaded = await load_work(session, default_zone, since.date())
    return plan_window(loaded, since, until)


async def days_off(session: AsyncSession, first: date, last: date) -> list[dict[str, Any]]:
    """Why reminders skip or move in [first, last]: public days off, school holidays and pauses
    of the plans, absences (for `reminders plan`)."""
    out: list[dict[str, Any]] = []
    day = first
    while day <= last:
        why = why_off(day)
        if why is not None:
            out.append({"days": day.isoformat(), "why": why, "effect": "moved"})
        day += timedelta(days=1)
    rows = await session.execute(
        select(TimeOff, Plan.title)
        .join(Plan, Plan.id == TimeOff.plan_id)
        .where(TimeOff.removed_at.is_(None), TimeOff.starts_on <= last, TimeOff.ends_on >= first)
        .order_by(TimeOff.starts_on)
    )
    for row, title in rows:
        out.append(
            {
                "days": f"{row.starts_on}..{row.ends_on}",
                "why": f"{'каникулы' if row.kind == HOLIDAYS else 'пауза'}: {row.title}",
                "effect": "moved" if row.kind == HOLIDAYS else "skipped, one summary after",
                "plan": title,
                "school_id": row.school_id,
            }
        )
    absences = await session.execute(
        select(Absence, User.full_name)
        .join(User, User.id == Absence.user_id)
        .where(Absence.starts_on <= last, Absence.ends_on >= first)
    )
    for absence, name in absences:
        deputy = (
            f"to deputy user {absence.deputy_id}" if absence.deputy_id else "skipped, no deputy"
        )
        out.append(
            {
                "days": f"{absence.starts_on}..{absence.ends_on}",
                "why": f"нет на месте: {name}",
                "effect": deputy,
                "user_id": absence.user_id,
            }
        )
    return out


async def upcoming_for(
    session: AsyncSession,
    clock: Clock,
    plan_ids: set[int] | None,
    days: int,
    default_zone: str,
) -> list[Reminder]:
    """Reminders of the next `days` about plans in a coordinator's scope (None: every plan)."""
    now = clock.now()
    found = await preview(session, now, now + timedelta(days=days), default_zone)
    return [
        r
        for r in found
        if r.kind not in ("digest",)
        and (plan_ids is None or r.payload.get("plan_id") in plan_ids or r.target_type == "seminar")
    ]


async def refresh_outbox(session: AsyncSession, clock: Clock, default_zone: str) -> dict[str, int]:
    """Write the reminders of [now - lookback, now + horizon) to the outbox; cancel the obsolete.

    Missed reminders still useful are queued as due; those past their `not_after` are recorded
    as skipped. Pending future rows that the planner no longer produces (item done, settings
    changed) are cancelled.
    """
    now = clock.now()
    since, until = now - LOOKBACK, now + HORIZON
    planned = await preview(session, since, until, default_zone)
    rows = await session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.status).where(
            OutboxMessage.scheduled_at >= since, OutboxMessage.scheduled_at < until
        )
    )
    statuses = {key: status for key, status in rows}
    existing = set(statuses)
    counts = {"queued": 0, "skipped": 0, "cancelled": 0}
    fresh: list[OutboxMessage] = []
    revived: list[str] = []
    latest_missed = _latest_missed(planned, now)
    for reminder in planned:
        if reminder.dedupe_key in existing:
            # Cancelled earlier (a setting changed), wanted again (changed back): it goes after all.
            if statuses.get(reminder.dedupe_key) == OutboxStatus.CANCELLED and (
                reminder.scheduled_at >= now
                or latest_missed.get(_thread(reminder)) == reminder.dedupe_key
            ):
                revived.append(reminder.dedupe_key)
            continue
        existing.add(reminder.dedupe_key)
        stale = reminder.not_after is not None and reminder.not_after <= now
        if (
            reminder.scheduled_at < now
            and latest_missed.get(_thread(reminder)) != reminder.dedupe_key
        ):
            stale = True  # after downtime only the latest missed reminder of a thread is useful
        if reminder.scheduled_at < now - timedelta(days=1) and reminder.kind in (
            "digest",
            "overdue",
            "escalation",
        ):
            stale = True  # an old nudge after downtime is noise, not help
        status = OutboxStatus.SKIPPED if stale else OutboxStatus.PENDING
        counts["skipped" if stale else "queued"] += 1
        fresh.append(_row(reminder, status, now))
    await insert_outbox(session, fresh)
    if revived:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.dedupe_key.in_(revived),
                OutboxMessage.status == OutboxStatus.CANCELLED,
            )
            .values(status=OutboxStatus.PENDING, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        counts["queued"] += len(revived)
    counts["queued"] += await plan_weekly_status(session, since, until, now)
    wanted = {r.dedupe_key for r in planned}
    latest = set(latest_missed.values())
    pending = await session.execute(
        select(OutboxMessage.id, OutboxMessage.dedupe_key, OutboxMessage.scheduled_at).where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.scheduled_at < until,
            OutboxMessage.kind.in_(PLANNED_KINDS),
        )
    )
    cancel: list[int] = []
    skip: list[int] = []
    for row_id, key, scheduled_at in pending:
        if scheduled_at < since:
            skip.append(row_id)  # older than the lookback: after a long downtime it is noise
        elif key not in wanted:
            cancel.append(row_id)  # the item is done, or a setting moved or removed it
        elif scheduled_at < now and key not in latest:
            skip.append(row_id)  # a later missed reminder of the same thread says it better
    for ids, status in ((cancel, OutboxStatus.CANCELLED), (skip, OutboxStatus.SKIPPED)):
        if ids:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=status)
                .execution_options(synchronize_session=False)
            )
    ids = cancel
    counts["skipped"] += len(skip)
    counts["cancelled"] = len(ids)
    return counts


def _thread(reminder: Reminder) -> tuple[str, str, int, int]:
    family = (
        "assignment"
        if reminder.target_type == "assignment" and reminder.kind != "escalation"
        else reminder.kind
    )
    return family, reminder.target_type, reminder.target_id, reminder.person.user_id


def _latest_missed(planned: list[Reminder], now: datetime) -> dict[tuple[str, str, int, int], str]:
    """For each thread (item and person), the key of the latest reminder already due."""
    latest: dict[tuple[str, str, int, int], Reminder] = {}
    for reminder in planned:
        if reminder.scheduled_at < now:
            current = latest.get(_thread(reminder))
            if current is None or reminder.scheduled_at > current.scheduled_at:
                latest[_thread(reminder)] = reminder
    return {thread: reminder.dedupe_key for thread, reminder in latest.items()}


def _row(reminder: Reminder, status: OutboxStatus, now: datetime) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=reminder.dedupe_key,
        kind=reminder.kind,
        target_type=reminder.target_type,
        target_id=reminder.target_id,
        recipient_user_id=reminder.person.user_id,
        messenger=reminder.person.messenger,
        chat_id=reminder.person.chat_id,
        scheduled_at=reminder.scheduled_at,
        not_after=reminder.not_after,
        payload={**_jsonable(reminder.payload), "tz": reminder.person.zone.key},
        status=status,
        attempts=0,
        created_at=now,
    )


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in payload.items()}


async def cancel_pending_for(session: AsyncSession, assignment_id: int) -> int:
    """Cancel reminders not yet sent about an assignment (its state changed)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.target_type == "assignment",
            OutboxMessage.target_id == assignment_id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
