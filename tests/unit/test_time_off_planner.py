"""Time off in the planner: school holidays, pauses, absences and deputies, days-off notes. Pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from core.daysoff import HOLIDAYS, PAUSE, Break, earlier, later, off_reason, why_off
from core.planner import (
    Away,
    PauseItem,
    Person,
    SeminarItem,
    WorkItem,
    plan_digests,
    plan_resumes,
    plan_returns,
    plan_seminar,
    plan_work,
)
from core.reminder_policy import ReminderPolicy
from core.workdays import is_working_day

MSK = ZoneInfo("Europe/Moscow")
AUTUMN = Break(HOLIDAYS, date(2024, 10, 26), date(2024, 11, 4), "осенние", 1)
QUARANTINE = Break(PAUSE, date(2024, 11, 11), date(2024, 11, 15), "карантин", 2)
WINDOW = (datetime(2024, 9, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC))


def person(user_id: int = 1, away: tuple[Away, ...] = (), **policy: Any) -> Person:
    return Person(
        user_id, 1000 + user_id, MSK, ReminderPolicy(**policy), f"Человек {user_id}", away
    )


def item(due: date, breaks: tuple[Break, ...] = (), curators: tuple[Person, ...] = ()) -> WorkItem:
    return WorkItem(
        assignment_id=7,
        activity_id=3,
        plan_id=1,
        title="Отчёт",
        start=None,
        due=due,
        period_kind="deadline",
        recurrence=None,
        curators=curators or (person(),),
        coordinators=(),
        breaks=breaks,
    )


def local_days(reminders: list[Any]) -> list[date]:
    return sorted(r.scheduled_at.astimezone(MSK).date() for r in reminders)


def test_earlier_and_later_jump_over_holidays_weekends_and_public_holidays() -> None:
    spells = (AUTUMN,)
    # In the holidays: the Friday before they begin (25 Oct 2024), or the day after they end.
    assert earlier(date(2024, 10, 30), spells, True) == date(2024, 10, 25)
    assert later(date(2024, 10, 30), spells, True) == date(2024, 11, 5)
    # 2 November 2024 was a working Saturday (moved from 29 December): a working day.
    assert earlier(date(2024, 11, 2), (), True) == date(2024, 11, 2)
    assert earlier(date(2024, 11, 4), (), True) == date(2024, 11, 2)
    assert later(date(2024, 11, 3), (), True) == date(2024, 11, 5)
    assert off_reason(date(2024, 11, 4)) == ("holiday", "День народного единства")
    assert why_off(date(2024, 11, 3)) == "выходной"
    assert why_off(date(2024, 10, 28), spells) == "каникулы: осенние"
    assert why_off(date(2024, 11, 12), (QUARANTINE,)) == "пауза: карантин"
    assert why_off(date(2024, 11, 5), spells) is None


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    start=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    length=st.integers(0, 120),
)
def test_the_day_found_is_never_off_and_on_the_right_side(
    day: date, start: date, length: int
) -> None:
    spells = (Break(HOLIDAYS, start, start + timedelta(days=length), "каникулы"),)
    before, after = earlier(day, spells, True), later(day, spells, True)
    assert before <= day <= after
    for found in (before, after):
        assert is_working_day(found) and not spells[0].covers(found)
    if is_working_day(day) and not spells[0].covers(day):
        assert before == day == after


def test_an_item_due_in_the_holidays_is_reminded_before_they_begin() -> None:
    found = list(plan_work(item(date(2024, 10, 30), (AUTUMN,)), *WINDOW))
    deadline = [r for r in found if r.kind == "deadline"]
    # 7 days before (23 Oct, a Wednesday) as usual; 3, 1 and 0 days fall in the holidays and
    # become one reminder on the last working day before them.
    assert local_days(deadline) == [date(2024, 10, 23), date(2024, 10, 25)]
    moved = next(r for r in deadline if r.scheduled_at.astimezone(MSK).date() == date(2024, 10, 25))
    assert moved.payload["moved_from"] == "2024-10-27"
    assert moved.payload["why"] == "каникулы: осенние"
    assert moved.payload["due_off"] == "holidays"
    # Overdue nudges wait for the holidays to end.
    overdue = [r for r in found if r.kind == "overdue"]
    assert local_days(overdue)[0] == date(2024, 11, 5)


def test_a_deadline_on_a_public_holiday_says_so_and_optionally_when_to_hand_in() -> None:
    plain = next(iter(plan_work(item(date(2024, 11, 4)), *WINDOW)))
    assert plain.payload["due_off"] == "holiday" and "hand_in_by" not in plain.payload
    moving = item(date(2024, 11, 4), curators=(person(deadlines_move=True),))
    first = next(iter(plan_work(moving, *WINDOW)))
    assert first.payload["hand_in_by"] == "2024-11-02"  # the working Saturday


def test_nothing_is_planned_inside_a_pause_and_one_summary_follows() -> None:
    found = list(plan_work(item(date(2024, 11, 13), (QUARANTINE,)), *WINDOW))
    assert not [d for d in local_days(found) if QUARANTINE.covers(d)]
    summary = list(plan_resumes([PauseItem(QUARANTINE, 1, (person(),))], *WINDOW))
    assert [(r.kind, r.scheduled_at.astimezone(MSK)) for r in summary] == [
        ("resume", datetime(2024, 11, 18, 9, 0, tzinfo=MSK))  # Friday 15th ends it: Monday
    ]
    # A pause lifted before it began has nothing to summarise.
    lifted = Break(PAUSE, date(2024, 11, 11), date(2024, 11, 10), "снята", 3)
    assert not list(plan_resumes([PauseItem(lifted, 1, (person(),))], *WINDOW))


def test_while_away_reminders_go_to_the_deputy_marked_and_nowhere_without_one() -> None:
    deputy = person(2)
    away = Away(5, date(2024, 11, 18), date(2024, 11, 29), deputy)
    alice = person(1, (away,))
    found = list(plan_work(item(date(2024, 11, 22), curators=(alice,)), *WINDOW))
    inside = [r for r in found if away.covers(r.scheduled_at.astimezone(MSK).date())]
    outside = [r for r in found if r not in inside]
    assert inside and all(r.person.user_id == 2 for r in inside)
    assert all(
        r.payload["for_user_id"] == 1 and r.payload["for_name"] == "Человек 1" for r in inside
    )
    assert outside and all(
        r.person.user_id == 1 and "for_user_id" not in r.payload for r in outside
    )
    alone = person(1, (Away(5, date(2024, 11, 18), date(2024, 11, 29), None),))
    left = list(plan_work(item(date(2024, 11, 22), curators=(alone,)), *WINDOW))
    assert not [r for r in left if away.covers(r.scheduled_at.astimezone(MSK).date())]
    # One summary when they are back (Saturday 30th: on Monday), no digest while away.
    back = list(plan_returns([alice], *WINDOW))
    assert [(r.kind, r.scheduled_at.astimezone(MSK).date()) for r in back] == [
        ("back", date(2024, 12, 2))
    ]
    digests = local_days(list(plan_digests([alice], *WINDOW)))
    assert not [d for d in digests if away.covers(d)] and date(2024, 12, 2) in digests


def test_seminar_eve_moves_off_a_holiday_and_holidays_keep_only_marked_seminars() -> None:
    def seminar(day: date, marked: bool = False) -> SeminarItem:
        return SeminarItem(
            9, "Семинар", day, None, (person(),), in_holidays=marked, breaks_of={1: (AUTUMN,)}
        )

    eve = list(plan_seminar(seminar(date(2024, 11, 6)), *WINDOW))
    assert local_days(eve) == [date(2024, 11, 5)]
    # 5 November 2024 is a Tuesday after the holidays: its eve (the 4th) comes on the 25th
    # of October, before the holidays.
    assert local_days(list(plan_seminar(seminar(date(2024, 11, 5)), *WINDOW))) == [
        date(2024, 10, 25)
    ]
    assert not list(plan_seminar(seminar(date(2024, 10, 30)), *WINDOW))
    marked = list(plan_seminar(seminar(date(2024, 10, 30), marked=True), *WINDOW))
    assert local_days(marked) == [date(2024, 10, 29)]


@settings(max_examples=80, deadline=None)
@given(
    due=st.dates(date(2024, 9, 2), date(2025, 5, 25)),
    start=st.dates(date(2024, 9, 2), date(2025, 5, 25)),
    length=st.integers(0, 20),
    pause_at=st.integers(0, 30),
)
def test_no_reminder_lands_on_a_day_off_in_holidays_or_in_a_pause(
    due: date, start: date, length: int, pause_at: int
) -> None:
    spells = (
        Break(HOLIDAYS, start, start + timedelta(days=length), "каникулы", 1),
        Break(PAUSE, due - timedelta(days=pause_at), due - timedelta(days=pause_at - 3), "п", 2),
    )
    for reminder in plan_work(item(due, spells), *WINDOW):
        day = reminder.scheduled_at.astimezone(MSK).date()
        assert is_working_day(day), (reminder.kind, day)
        assert not any(s.covers(day) for s in spells), (reminder.kind, day)
