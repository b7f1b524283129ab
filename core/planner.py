"""The reminder planner: from work items, people and policies to dated reminders. Pure.

It answers "which reminders exist in this window" without side effects; the service in
`core.reminders` turns the answer into outbox rows. Kinds: deadline (lead days before the
due date), start and checkin (long periods), recurring (each monthly/weekly occurrence),
overdue (the day after, then weekly), escalation (to coordinators after N days overdue),
seminar (day before, hours before), digest (weekly).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.reminder_policy import ReminderPolicy, at_hour, end_of_day, local_send_time
from core.workdays import next_working_day, previous_working_day

# On a day off, reminders that lead up to something come the working day before; those about
# something already late (and digests) the working day after.
_EARLIER = frozenset({"deadline", "start", "checkin", "recurring"})
_LATER = frozenset({"overdue", "escalation", "digest"})


def working(day: date, kind: str, policy: ReminderPolicy) -> date:
    """The day a reminder of `kind` due on `day` is sent, weekends and holidays considered."""
    if not policy.working_days_only:
        return day
    if kind in _EARLIER:
        return previous_working_day(day)
    if kind in _LATER:
        return next_working_day(day)
    return day


@dataclass(frozen=True)
class Person:
    """Someone who can receive reminders, with their resolved zone and policy."""

    user_id: int
    chat_id: int
    zone: ZoneInfo
    policy: ReminderPolicy


@dataclass(frozen=True)
class WorkItem:
    """One open assignment with what the planner needs."""

    assignment_id: int
    activity_id: int
    plan_id: int
    title: str
    start: date | None
    due: date | None
    period_kind: str | None
    recurrence: dict[str, Any] | None
    curators: tuple[Person, ...]
    coordinators: tuple[Person, ...]
    snoozed_until: datetime | None = None


@dataclass(frozen=True)
class SeminarItem:
    seminar_id: int
    topic: str
    day: date | None
    starts_at: datetime | None
    audience: tuple[Person, ...]


@dataclass(frozen=True)
class Reminder:
    """One message the bot owes one person at one moment."""

    kind: str
    target_type: str
    target_id: int
    person: Person
    scheduled_at: datetime
    not_after: datetime | None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return (
            f"{self.kind}:{self.target_type}:{self.target_id}:{self.person.user_id}:"
            f"{self.scheduled_at.astimezone(UTC):%Y%m%dT%H%M}"
        )


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _window_days(person: Person, since: datetime, until: datetime) -> tuple[date, date]:
    return since.astimezone(person.zone).date() - timedelta(days=1), until.astimezone(
        person.zone
    ).date() + timedelta(days=1)


def _within(moment: datetime, since: datetime, until: datetime) -> bool:
    return since <= moment < until


def plan_work(item: WorkItem, since: datetime, until: datetime) -> Iterator[Reminder]:
    """Reminders about one open assignment scheduled in [since, until)."""
    for person in item.curators:
        yield from _for_curator(item, person, since, until)
    yield from _escalations(item, since, until)


def _for_curator(
    item: WorkItem, person: Person, since: datetime, until: datetime
) -> Iterator[Reminder]:
    policy, zone = person.policy, person.zone
    base = {
        "assignment_id": item.assignment_id,
        "activity_id": item.activity_id,
        "plan_id": item.plan_id,
        "title": item.title,
    }

    def make(kind: str, day: date, not_after: datetime | None, **extra: Any) -> Reminder | None:
        moment = at_hour(working(day, kind, policy), zone, policy)
        if item.snoozed_until and moment < item.snoozed_until and kind != "overdue":
            return None
        if not _within(moment, since, until):
            return None
        payload = {**base, **extra, "due": item.due.isoformat() if item.due else None}
        return Reminder(kind, "assignment", item.assignment_id, person, moment, not_after, payload)

    candidates: list[Reminder | None] = []
    if item.period_kind == "recurring" and item.recurrence:
        candidates += _recurring(item, person, since, until, make)
    elif item.due is not None:
        due_end = end_of_day(item.due, zone)
        for lead in policy.lead_days:
            candidates.append(
                make("deadline", item.due - timedelta(days=lead), due_end, days_left=lead)
            )
        if item.start and item.start < item.due:
            candidates.append(make("start", item.start, due_end))
            length = (item.due - item.start).days
            if length >= policy.checkin_min_days:
                candidates.append(
                    make("checkin", item.start + timedelta(days=length // 2), due_end)
                )
        # Bounded: a few nudges after the deadline (1, 3, 7 days), then the weekly digest only.
        for late in policy.overdue_days:
            day = item.due + timedelta(days=late)
            candidates.append(make("overdue", day, None, days_late=late))
    # A snooze moves the next reminder to the snooze moment.
    if item.snoozed_until and _within(item.snoozed_until, since, until):
        candidates.append(
            Reminder(
                "snoozed",
                "assignment",
                item.assignment_id,
                person,
                item.snoozed_until,
                end_of_day(item.due, zone) if item.due else None,
                {**base, "due": item.due.isoformat() if item.due else None},
            )
        )
    # Two lead days moved onto one working day are one reminder.
    seen: set[str] = set()
    for candidate in candidates:
        if candidate is not None and candidate.dedupe_key not in seen:
            seen.add(candidate.dedupe_key)
            yield candidate


def _recurring(
    item: WorkItem, person: Person, since: datetime, until: datetime, make: Any
) -> list[Reminder | None]:
    rule = item.recurrence or {}
    first, last = _window_days(person, since, until)
    if item.start:
        first = max(first, item.start)
    if item.due:
        last = min(last, item.due)
    out: list[Reminder | None] = []
    if rule.get("occurrences"):
        # Per-term work ("1 раз в четверть"): reminded before the end of each term, and on it.
        for text in rule["occurrences"]:
            term_end = date.fromisoformat(text)
            term_not_after = end_of_day(term_end, person.zone)
            for lead in sorted({*person.policy.lead_days, 0}, reverse=True):
                out.append(
                    make(
                        "recurring",
                        term_end - timedelta(days=lead),
                        term_not_after,
                        occurrence=text,
                    )
                )
        return out
    day_of = rule.get("day")
    for day in _days(first, last + timedelta(days=1)):
        occurrence: date | None = None
        if rule.get("every") == "month" and day_of:
            occurrence = day.replace(
                day=min(int(day_of), calendar.monthrange(day.year, day.month)[1])
            )
        elif rule.get("every") == "week" and day_of:
            occurrence = day if day.isoweekday() == int(day_of) else None
        if occurrence is None or occurrence != day:
            continue
        not_after = end_of_day(occurrence, person.zone)
        out.append(
            make(
                "recurring",
                occurrence - timedelta(days=1),
                not_after,
                occurrence=occurrence.isoformat(),
            )
        )
        out.append(make("recurring", occurrence, not_after, occurrence=occurrence.isoformat()))
    return out


def _escalations(item: WorkItem, since: datetime, until: datetime) -> Iterator[Reminder]:
    if item.due is None or item.period_kind == "recurring":
        return
    for person in item.coordinators:
        day = item.due + timedelta(days=person.policy.escalate_after_days)
        moment = at_hour(working(day, "escalation", person.policy), person.zone, person.policy)
        if _within(moment, since, until):
            yield Reminder(
                "escalation",
                "assignment",
                item.assignment_id,
                person,
                moment,
                None,
                {
                    "assignment_id": item.assignment_id,
                    "title": item.title,
                    "due": item.due.isoformat(),
                    "days_late": person.policy.escalate_after_days,
                },
            )


def plan_seminar(seminar: SeminarItem, since: datetime, until: datetime) -> Iterator[Reminder]:
    """The day before at the reminder hour, and a few hours before when the time is known."""
    for person in seminar.audience:
        day = seminar.day or (
            seminar.starts_at.astimezone(person.zone).date() if seminar.starts_at else None
        )
        if day is None:
            continue
        starts = seminar.starts_at or end_of_day(day, person.zone)
        payload = {
            "seminar_id": seminar.seminar_id,
            "topic": seminar.topic,
            "day": day.isoformat(),
            "starts_at": seminar.starts_at.isoformat() if seminar.starts_at else None,
        }
        before = at_hour(day - timedelta(days=1), person.zone, person.policy)
        if _within(before, since, until):
            yield Reminder(
                "seminar", "seminar", seminar.seminar_id, person, before, starts, payload
            )
        if seminar.starts_at is not None:
            soon = seminar.starts_at - timedelta(hours=person.policy.seminar_hours_before)
            local = soon.astimezone(person.zone)
            moment = local_send_time(
                local.date(), local.timetz().replace(tzinfo=None), person.zone, person.policy
            )
            if moment < seminar.starts_at and _within(moment, since, until):
                yield Reminder(
                    "seminar_soon", "seminar", seminar.seminar_id, person, moment, starts, payload
                )


def plan_digests(people: Iterable[Person], since: datetime, until: datetime) -> Iterator[Reminder]:
    """The weekly digest moment of each person within the window (content is built at send)."""
    for person in people:
        first, last = _window_days(person, since, until)
        sent: set[datetime] = set()
        for day in _days(first, last):
            if day.weekday() != person.policy.digest_weekday:
                continue
            moment = at_hour(working(day, "digest", person.policy), person.zone, person.policy)
            if _within(moment, since, until) and moment not in sent:
                sent.add(moment)  # a digest moved past a long holiday meets the next one
                week = day.isocalendar()
                # A digest read in the afternoon still helps; yesterday's does not.
                yield Reminder(
                    "digest",
                    "user",
                    person.user_id,
                    person,
                    moment,
                    moment + timedelta(hours=8),
                    {"week": f"{week.year}-W{week.week:02d}", "day": day.isoformat()},
                )
