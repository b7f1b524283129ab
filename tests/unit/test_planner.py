"""The reminder planner: lead days, local hours, quiet hours, overdue, escalation, seminars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from core.planner import Person, SeminarItem, WorkItem, plan_digests, plan_seminar, plan_work
from core.reminder_policy import ReminderPolicy, in_quiet_hours

EKB, MSK, KRS = (
    ZoneInfo("Asia/Yekaterinburg"),
    ZoneInfo("Europe/Moscow"),
    ZoneInfo("Asia/Krasnoyarsk"),
)
# Most rules here are about lead days, zones and windows: the calendar is switched off for them
# and tested on its own below (test_weekends_and_holidays_move_reminders).
POLICY = ReminderPolicy(working_days_only=False)


def person(user_id: int = 1, zone: ZoneInfo = EKB, policy: ReminderPolicy = POLICY) -> Person:
    return Person(user_id, 1000 + user_id, zone, policy)


def item(due: date | None = date(2020, 11, 10), start: date | None = None, **extra) -> WorkItem:
    values: dict[str, Any] = {
        "assignment_id": 7,
        "activity_id": 3,
        "plan_id": 1,
        "title": "Издание приказа",
        "start": start,
        "due": due,
        "period_kind": "deadline",
        "recurrence": None,
        "curators": (person(),),
        "coordinators": (),
    }
    values.update(extra)
    return WorkItem(**values)


YEAR = (datetime(2020, 9, 1, tzinfo=UTC), datetime(2021, 9, 1, tzinfo=UTC))


def test_deadline_reminders_at_nine_local_on_lead_days() -> None:
    reminders = [r for r in plan_work(item(), *YEAR) if r.kind == "deadline"]
    assert [r.scheduled_at for r in reminders] == [
        datetime(2020, 11, d, 4, 0, tzinfo=UTC)
        for d in (3, 7, 9, 10)  # 09:00 in UTC+5
    ]
    assert [r.payload["days_left"] for r in reminders] == [7, 3, 1, 0]
    assert all(r.not_after == datetime(2020, 11, 10, 19, 0, tzinfo=UTC) for r in reminders)


def test_each_zone_gets_its_own_nine_oclock() -> None:
    curators = (person(1, MSK), person(2, EKB), person(3, KRS))
    on_the_day = {
        r.person.user_id: r.scheduled_at.hour
        for r in plan_work(item(curators=curators), *YEAR)
        if r.kind == "deadline" and r.payload["days_left"] == 0
    }
    assert on_the_day == {1: 6, 2: 4, 3: 2}


def test_quiet_hours_push_to_their_end() -> None:
    late = ReminderPolicy(hour=22)
    reminders = [
        r for r in plan_work(item(curators=(person(policy=late),)), *YEAR) if r.kind == "deadline"
    ]
    local = [r.scheduled_at.astimezone(EKB) for r in reminders]
    assert all(t.time() == time(8, 0) for t in local)
    assert local[-1].date() == date(2020, 11, 11)  # 22:00 on the due day -> 08:00 next morning


def test_overdue_the_day_after_then_weekly_and_escalation_after_three_days() -> None:
    coordinator = person(9, MSK)
    reminders = list(
        plan_work(
            item(coordinators=(coordinator,)),
            datetime(2020, 11, 10, tzinfo=UTC),
            datetime(2020, 12, 1, tzinfo=UTC),
        )
    )
    overdue = [r.scheduled_at.astimezone(EKB).date() for r in reminders if r.kind == "overdue"]
    # Bounded: +1, +3 and +7 days after the deadline, then only the weekly digest.
    assert overdue == [date(2020, 11, 11), date(2020, 11, 13), date(2020, 11, 17)]
    escalation = [r for r in reminders if r.kind == "escalation"]
    assert [(r.person.user_id, r.scheduled_at) for r in escalation] == [
        (9, datetime(2020, 11, 13, 6, 0, tzinfo=UTC))
    ]


def test_an_item_overdue_for_long_is_not_nagged() -> None:
    year_late = item(due=date(2019, 11, 30))  # a 2019 date in a 2020/2021 plan
    reminders = list(plan_work(year_late, *YEAR))
    assert [r for r in reminders if r.kind == "overdue"] == []
    custom = POLICY.merged({"overdue_days": [2, 14]})
    reminders = list(plan_work(item(curators=(person(policy=custom),)), *YEAR))
    overdue = [r.scheduled_at.astimezone(EKB).date() for r in reminders if r.kind == "overdue"]
    assert overdue == [date(2020, 11, 12), date(2020, 11, 24)]


def test_long_periods_get_a_start_and_a_checkin() -> None:
    reminders = list(
        plan_work(item(start=date(2020, 9, 1), due=date(2021, 5, 31), period_kind="range"), *YEAR)
    )
    kinds = {
        r.kind: r.scheduled_at.astimezone(EKB).date()
        for r in reminders
        if r.kind in ("start", "checkin")
    }
    assert kinds == {"start": date(2020, 9, 1), "checkin": date(2021, 1, 15)}  # 272 days // 2


def test_monthly_recurring_item_is_reminded_before_each_occurrence() -> None:
    monthly = item(
        start=date(2020, 9, 1),
        due=date(2020, 12, 31),
        period_kind="recurring",
        recurrence={"every": "month", "day": 5},
    )
    days = sorted({r.scheduled_at.astimezone(EKB).date() for r in plan_work(monthly, *YEAR)})
    assert days == [date(2020, m, d) for m in (9, 10, 11, 12) for d in (4, 5)]


def test_per_term_item_is_reminded_before_the_end_of_each_term() -> None:
    ends = ["2020-10-31", "2020-12-31", "2021-03-31", "2021-05-31"]
    quarterly = item(
        start=date(2020, 9, 1),
        due=date(2021, 8, 31),
        period_kind="recurring",
        recurrence={"every": "quarter", "day": None, "times": 1, "occurrences": ends},
    )
    reminders = list(plan_work(quarterly, *YEAR))
    by_term: dict[str, list[int]] = {}
    for r in reminders:
        day = r.scheduled_at.astimezone(EKB).date()
        by_term.setdefault(r.payload["occurrence"], []).append(
            (date.fromisoformat(r.payload["occurrence"]) - day).days
        )
    assert sorted(by_term) == ends  # every term, not only the first
    assert all(sorted(leads) == sorted({*POLICY.lead_days, 0}) for leads in by_term.values())
    assert all(r.kind == "recurring" for r in reminders)


def test_snooze_suppresses_earlier_reminders_and_adds_one_at_the_snooze() -> None:
    snooze = datetime(2020, 11, 8, 4, 0, tzinfo=UTC)
    reminders = list(
        plan_work(
            item(snoozed_until=snooze),
            datetime(2020, 11, 1, tzinfo=UTC),
            datetime(2020, 11, 11, tzinfo=UTC),
        )
    )
    assert [(r.kind, r.scheduled_at) for r in reminders if r.scheduled_at < snooze] == []
    assert ("snoozed", snooze) in [(r.kind, r.scheduled_at) for r in reminders]


def test_window_bounds_are_respected_and_keys_are_stable() -> None:
    since, until = datetime(2020, 11, 7, 0, 0, tzinfo=UTC), datetime(2020, 11, 9, 0, 0, tzinfo=UTC)
    reminders = list(plan_work(item(), since, until))
    assert [r.scheduled_at for r in reminders] == [datetime(2020, 11, 7, 4, 0, tzinfo=UTC)]
    assert reminders[0].dedupe_key == "deadline:assignment:7:1:20201107T0400"


def test_seminar_day_before_and_two_hours_before() -> None:
    starts = datetime(2018, 10, 8, 10, 0, tzinfo=EKB)
    seminar = SeminarItem(1, "Ревизия", date(2018, 10, 8), starts, (person(),))
    reminders = list(
        plan_seminar(seminar, datetime(2018, 10, 1, tzinfo=UTC), datetime(2018, 10, 9, tzinfo=UTC))
    )
    assert [(r.kind, r.scheduled_at.astimezone(EKB)) for r in reminders] == [
        ("seminar", datetime(2018, 10, 7, 9, 0, tzinfo=EKB)),
        ("seminar_soon", datetime(2018, 10, 8, 8, 0, tzinfo=EKB)),
    ]
    without_time = SeminarItem(1, "Ревизия", date(2018, 10, 8), None, (person(),))
    assert [
        r.kind
        for r in plan_seminar(
            without_time, datetime(2018, 10, 1, tzinfo=UTC), datetime(2018, 10, 9, tzinfo=UTC)
        )
    ] == ["seminar"]


def test_weekly_digest_on_mondays() -> None:
    digests = list(
        plan_digests(
            [person(1, MSK)], datetime(2020, 11, 1, tzinfo=UTC), datetime(2020, 11, 30, tzinfo=UTC)
        )
    )
    assert [d.scheduled_at.astimezone(MSK).date() for d in digests] == [
        date(2020, 11, d) for d in (2, 9, 16, 23)
    ]
    assert digests[0].payload["week"] == "2020-W45"


@settings(max_examples=200)
@given(
    due=st.dates(date(2020, 1, 1), date(2022, 12, 31)),
    hour=st.integers(0, 23),
    zone=st.sampled_from(
        [EKB, MSK, KRS, ZoneInfo("Asia/Kamchatka"), ZoneInfo("Europe/Kaliningrad")]
    ),
    offset_days=st.integers(-20, 20),
)
def test_reminders_stay_in_window_and_out_of_quiet_hours(
    due: date, hour: int, zone: ZoneInfo, offset_days: int
) -> None:
    policy = ReminderPolicy(hour=hour)
    since = datetime.combine(due, time(0), UTC) + timedelta(days=offset_days)
    until = since + timedelta(days=10)
    for reminder in plan_work(
        item(
            due=due,
            curators=(person(policy=policy, zone=zone),),
            coordinators=(person(2, zone=zone, policy=policy),),
        ),
        since,
        until,
    ):
        assert since <= reminder.scheduled_at < until
        assert not in_quiet_hours(reminder.scheduled_at.astimezone(zone).time(), policy)


def test_weekends_and_holidays_move_reminders() -> None:
    calendar = ReminderPolicy()  # working days only, the default
    # Due Thursday 5 November 2020, the day after the 4 November holiday.
    due = item(due=date(2020, 11, 5), curators=(person(policy=calendar),))
    reminders = list(
        plan_work(due, datetime(2020, 10, 25, tzinfo=UTC), datetime(2020, 11, 30, tzinfo=UTC))
    )
    deadline = [r.scheduled_at.astimezone(EKB).date() for r in reminders if r.kind == "deadline"]
    # 7 days before: Thu 29 Oct; 3 before: Mon 2 Nov; 1 before: the 4th is a holiday -> Tue 3 Nov.
    assert deadline == [date(2020, 10, 29), date(2020, 11, 2), date(2020, 11, 3), date(2020, 11, 5)]
    overdue = [r.scheduled_at.astimezone(EKB).date() for r in reminders if r.kind == "overdue"]
    # +1 Fri 6 Nov; +3 Sun 8 Nov -> Mon 9 Nov; +7 Thu 12 Nov.
    assert overdue == [date(2020, 11, 6), date(2020, 11, 9), date(2020, 11, 12)]
    # New Year: a digest due Monday 4 January 2021 comes on the first working day, 11 January.
    digests = [
        r.scheduled_at.astimezone(EKB).date()
        for r in plan_digests(
            [person(policy=calendar)],
            datetime(2021, 1, 3, tzinfo=UTC),
            datetime(2021, 1, 12, tzinfo=UTC),
        )
    ]
    assert digests == [date(2021, 1, 11)]
    # A transferred working Saturday (20 February 2021) is a working day.
    saturday = item(due=date(2021, 2, 20), curators=(person(policy=calendar),))
    days = [
        r.scheduled_at.astimezone(EKB).date()
        for r in plan_work(
            saturday, datetime(2021, 2, 19, tzinfo=UTC), datetime(2021, 2, 21, tzinfo=UTC)
        )
        if r.kind == "deadline"
    ]
    assert days == [date(2021, 2, 19), date(2021, 2, 20)]
