"""The reminder planner: from work items, people and policies to dated reminders. Pure.

It answers "which reminders exist in this window" without side effects; the service in
`core.reminders` turns the answer into outbox rows. Kinds: deadline (lead days before the
due date), start and checkin (long periods), recurring (each monthly/weekly occurrence),
overdue (the day after, then weekly), escalation (to coordinators after N days overdue),
seminar (day before, hours before), digest (weekly); resume (after a pause ends) and back (to
someone whose absence ended). Days off, school holidays and pauses follow `core.daysoff`;
while someone is away their reminders go to their deputy, or nowhere.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.daysoff import Break, earlier, holidays_on, later, off_reason, pause_on, why_off
from core.reminder_policy import ReminderPolicy, at_hour, end_of_day, local_send_time

# On a day off, reminders that lead up to something come the working day before; those about
# something already late (and digests) the working day after.
_EARLIER = frozenset({"deadline", "start", "checkin", "recurring", "seminar"})
_LATER = frozenset({"overdue", "escalation", "digest", "resume", "back"})


def working(day: date, kind: str, policy: ReminderPolicy, breaks: tuple[Break, ...] = ()) -> date:
    """The day a reminder of `kind` due on `day` is sent: days off and school holidays skipped."""
    if kind in _EARLIER:
        return earlier(day, breaks, policy.working_days_only)
    if kind in _LATER:
        return later(day, breaks, policy.working_days_only)
    return day


def _moved(
    day: date, sent: date, breaks: tuple[Break, ...], policy: ReminderPolicy
) -> dict[str, str]:
    """Payload noting a reminder moved off its day, and why (for previews and the text)."""
    if sent == day:
        return {}
    return {
        "moved_from": day.isoformat(),
        "why": why_off(day, breaks, policy.working_days_only) or "",
    }


@dataclass(frozen=True)
class Away:
    """An absence: from `first` to `last` (inclusive) reminders go to the deputy, if any."""

    ref_id: int
    first: date
    last: date
    deputy: Person | None = None

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Person:
    """Someone who can receive reminders, with their resolved zone and policy."""

    user_id: int
    chat_id: int
    zone: ZoneInfo
    policy: ReminderPolicy
    name: str | None = None
    away: tuple[Away, ...] = ()
    messenger: str = "telegram"  # where their reminders go (messengers.TELEGRAM/MAX)

    def away_on(self, day: date) -> Away | None:
        for spell in self.away:
            if spell.covers(day):
                return spell
        return None


def _recipient(person: Person, day: date) -> tuple[Person, dict[str, Any]] | None:
    """Who gets a reminder meant for `person` on `day`: them, their deputy, or nobody."""
    spell = person.away_on(day) if person.away else None
    if spell is None:
        return person, {}
    if spell.deputy is None:
        return None
    return spell.deputy, {
        "for_user_id": person.user_id,
        "for_name": person.name or "",
        "away_until": spell.last.isoformat(),
    }


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
    breaks: tuple[Break, ...] = ()  # school holidays and pauses of the item's plan and school


@dataclass(frozen=True)
class SeminarItem:
    seminar_id: int
    topic: str
    day: date | None
    starts_at: datetime | None
    audience: tuple[Person, ...]
    in_holidays: bool = False  # the coordinator asked for it to be reminded in the holidays
    breaks_of: dict[int, tuple[Break, ...]] = field(default_factory=dict)  # by user id


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
    policy, zone, breaks = person.policy, person.zone, item.breaks
    base = {
        "assignment_id": item.assignment_id,
        "activity_id": item.activity_id,
        "plan_id": item.plan_id,
        "title": item.title,
        "due": item.due.isoformat() if item.due else None,
        **_due_note(item.due, breaks, policy),
    }

    def make(kind: str, day: date, not_after: datetime | None, **extra: Any) -> Reminder | None:
        sent = working(day, kind, policy, breaks)
        if pause_on(sent, breaks) is not None:
            return None  # paused: nothing now, one summary when the pause ends
        moment = at_hour(sent, zone, policy)
        if item.snoozed_until and moment < item.snoozed_until and kind != "overdue":
            return None
        if not _within(moment, since, until):
            return None
        target = _recipient(person, sent)
        if target is None:
            return None
        who, acting = target
        payload = {**base, **extra, **acting, **_moved(day, sent, breaks, policy)}
        return Reminder(kind, "assignment", item.assignment_id, who, moment, not_after, payload)

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
        snooze_day = item.snoozed_until.astimezone(zone).date()
        target = _recipient(person, snooze_day)
        if target is not None and pause_on(snooze_day, breaks) is None:
            candidates.append(
                Reminder(
                    "snoozed",
                    "assignment",
                    item.assignment_id,
                    target[0],
                    item.snoozed_until,
                    end_of_day(item.due, zone) if item.due else None,
                    {**base, **target[1]},
                )
            )
    # Two lead days moved onto one working day are one reminder.
    seen: set[str] = set()
    for candidate in candidates:
        if candidate is not None and candidate.dedupe_key not in seen:
            seen.add(candidate.dedupe_key)
            yield candidate


def _due_note(
    due: date | None, breaks: tuple[Break, ...], policy: ReminderPolicy
) -> dict[str, Any]:
    """A due date on a day off stays; the reminder says so (and, when the plan says deadlines
    move, by when to hand in instead)."""
    if due is None:
        return {}
    reason = off_reason(due, breaks, policy.working_days_only)
    if reason is None or reason[0] == "pause":
        return {}
    note: dict[str, Any] = {"due_off": reason[0]}
    if policy.deadlines_move:
        note["hand_in_by"] = earlier(due, breaks, True).isoformat()
    return note


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
        sent = working(day, "escalation", person.policy, item.breaks)
        if pause_on(sent, item.breaks) is not None:
            continue
        moment = at_hour(sent, person.zone, person.policy)
        target = _recipient(person, sent)
        if target is None or not _within(moment, since, until):
            continue
        yield Reminder(
            "escalation",
            "assignment",
            item.assignment_id,
            target[0],
            moment,
            None,
            {
                "assignment_id": item.assignment_id,
                "title": item.title,
                "due": item.due.isoformat(),
                "days_late": person.policy.escalate_after_days,
                **target[1],
            },
        )


def plan_seminar(seminar: SeminarItem, since: datetime, until: datetime) -> Iterator[Reminder]:
    """The day before at the reminder hour (the working day before, when that is a day off),
    and a few hours before when the time is known. In school holidays only seminars marked for
    them are reminded; someone away gets nothing and their deputy is told instead."""
    for person in seminar.audience:
        day = seminar.day or (
            seminar.starts_at.astimezone(person.zone).date() if seminar.starts_at else None
        )
        if day is None:
            continue
        breaks = seminar.breaks_of.get(person.user_id, ())
        if pause_on(day, breaks) or (holidays_on(day, breaks) and not seminar.in_holidays):
            continue
        # A seminar held in the holidays is reminded by the public calendar only.
        calendar = () if seminar.in_holidays else breaks
        starts = seminar.starts_at or end_of_day(day, person.zone)
        payload = {
            "seminar_id": seminar.seminar_id,
            "topic": seminar.topic,
            "day": day.isoformat(),
            "starts_at": seminar.starts_at.isoformat() if seminar.starts_at else None,
        }
        eve = day - timedelta(days=1)
        before_day = working(eve, "seminar", person.policy, calendar)
        before = at_hour(before_day, person.zone, person.policy)
        target = _recipient(person, before_day)
        if target is not None and _within(before, since, until):
            yield Reminder(
                "seminar",
                "seminar",
                seminar.seminar_id,
                target[0],
                before,
                starts,
                {**payload, **target[1], **_moved(eve, before_day, calendar, person.policy)},
            )
        if seminar.starts_at is not None:
            soon = seminar.starts_at - timedelta(hours=person.policy.seminar_hours_before)
            local = soon.astimezone(person.zone)
            moment = local_send_time(
                local.date(), local.timetz().replace(tzinfo=None), person.zone, person.policy
            )
            target = _recipient(person, moment.astimezone(person.zone).date())
            if target is not None and moment < seminar.starts_at and _within(moment, since, until):
                yield Reminder(
                    "seminar_soon",
                    "seminar",
                    seminar.seminar_id,
                    target[0],
                    moment,
                    starts,
                    {**payload, **target[1]},
                )


def plan_digests(
    people: Iterable[Person],
    since: datetime,
    until: datetime,
    breaks_of: dict[int, tuple[Break, ...]] | None = None,
) -> Iterator[Reminder]:
    """The weekly digest moment of each person within the window (content is built at send).

    On a day off it comes the working day after (after the school holidays, for a curator);
    nobody gets one while paused or away (the summaries after those say it better)."""
    for person in people:
        breaks = (breaks_of or {}).get(person.user_id, ())
        first, last = _window_days(person, since, until)
        sent: set[datetime] = set()
        for day in _days(first, last):
            if day.weekday() != person.policy.digest_weekday:
                continue
            send_day = working(day, "digest", person.policy, breaks)
            if pause_on(send_day, breaks) or person.away_on(send_day):
                continue
            moment = at_hour(send_day, person.zone, person.policy)
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


@dataclass(frozen=True)
class PauseItem:
    """An ended (or ending) pause and the people told what is due once it is over."""

    pause: Break
    plan_id: int
    audience: tuple[Person, ...]
    breaks: tuple[Break, ...] = ()  # the school holidays around it


def plan_resumes(
    pauses: Iterable[PauseItem], since: datetime, until: datetime
) -> Iterator[Reminder]:
    """One summary per person on the first working day after a pause, instead of a burst."""
    for item in pauses:
        pause = item.pause
        if pause.last < pause.first:
            continue  # lifted before it began
        for person in item.audience:
            day = working(pause.last + timedelta(days=1), "resume", person.policy, item.breaks)
            target = _recipient(person, day)
            moment = at_hour(day, person.zone, person.policy)
            if target is None or not _within(moment, since, until):
                continue
            yield Reminder(
                "resume",
                "time_off",
                pause.ref_id,
                target[0],
                moment,
                moment + timedelta(days=1),
                {
                    "plan_id": item.plan_id,
                    "title": pause.title,
                    "first": pause.first.isoformat(),
                    "last": pause.last.isoformat(),
                    **target[1],
                },
            )


def plan_returns(people: Iterable[Person], since: datetime, until: datetime) -> Iterator[Reminder]:
    """To someone whose absence ended: one summary of what happened while they were away."""
    for person in people:
        for spell in person.away:
            if spell.last < spell.first:
                continue
            day = working(spell.last + timedelta(days=1), "back", person.policy)
            moment = at_hour(day, person.zone, person.policy)
            if person.away_on(day) or not _within(moment, since, until):
                continue  # away again straight after: the later return says it all
            yield Reminder(
                "back",
                "absence",
                spell.ref_id,
                person,
                moment,
                moment + timedelta(days=2),
                {"first": spell.first.isoformat(), "last": spell.last.isoformat()},
            )
