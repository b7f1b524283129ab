"""The seminar date-and-time grammar and the one rule of when a date is shown with its year."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.when import (
    When,
    WhenError,
    academic_year,
    later_fit,
    later_span,
    needs_year,
    parse_when,
    school_year_span,
)

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.12.2026 14:00", When(date(2026, 12, 15), time(14, 0))),
        ("15.12.26 14.30", When(date(2026, 12, 15), time(14, 30))),
        ("15.12 в 9:05", When(date(2026, 12, 15), time(9, 5))),
        ("10.01 10:00", When(date(2027, 1, 10), time(10, 0))),  # January is next year's
        ("15 декабря 2026 г. в 14:00", When(date(2026, 12, 15), time(14, 0))),
        ("3 февраля, 11", When(date(2027, 2, 3), time(11, 0))),
        ("15 дек 16ч", When(date(2026, 12, 15), time(16, 0))),
        ("27.11.2026", When(date(2026, 11, 27), None)),
        ("завтра в 10:00", When(date(2026, 11, 28), time(10, 0))),
        ("Сегодня 18:30", When(TODAY, time(18, 30))),
    ],
)
def test_parses_what_coordinators_type(text: str, expected: When) -> None:
    assert parse_when(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "format"),
        ("скоро", "format"),
        ("31.02.2027 10:00", "format"),
        ("15.12.2026 25:00", "format"),
        ("15.12.2026 14:61", "format"),
        ("15.12.2026 14:00 и 15:00", "format"),
        ("01.09.2026 10:00", "past"),
    ],
)
def test_refuses_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, TODAY)
    assert caught.value.code == code


@given(
    st.dates(min_value=TODAY, max_value=date(2035, 12, 31)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_round_trip_of_the_numeric_form(day: date, at: time) -> None:
    assert parse_when(f"{day:%d.%m.%Y} {at:%H:%M}", TODAY) == When(day, at)


@given(st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 8, 31)))
def test_without_a_year_the_school_year_is_meant_and_a_past_day_is_refused(day: date) -> None:
    if day >= TODAY:
        assert parse_when(f"{day.day}.{day.month}", TODAY).day == day
        return
    with pytest.raises(WhenError) as caught:
        parse_when(f"{day.day}.{day.month}", TODAY)
    assert (caught.value.code, caught.value.day) == ("past", day)
    later = caught.value.later
    assert later is not None and later > TODAY and (later.month, later.day) == (day.month, day.day)
    assert later.year == day.year + 1  # the next such day, to be confirmed, never taken


def test_a_plan_school_year_decides_the_year_and_a_typed_year_offers_nothing_later() -> None:
    with pytest.raises(WhenError) as caught:
        parse_when("30.11 15:00", date(2020, 12, 1), school_year=2020)
    assert (caught.value.day, caught.value.later) == (date(2020, 11, 30), date(2021, 11, 30))
    assert caught.value.at == time(15, 0)  # kept for the later day, if confirmed
    with pytest.raises(WhenError) as caught:
        parse_when("30.11.2020 15:00", date(2020, 12, 1))
    assert caught.value.later is None
    # A plan of a past school year: its September is past, a later one is offered.
    with pytest.raises(WhenError) as caught:
        parse_when("15.09", date(2020, 12, 1), school_year=2019)
    assert caught.value.later == date(2021, 9, 15)
    assert parse_when("10.01", date(2020, 12, 1), school_year=2020).day == date(2021, 1, 10)


@pytest.mark.parametrize(
    ("day", "today", "shown"),
    [
        (date(2019, 11, 30), date(2020, 11, 2), True),  # last school year's
        (date(2020, 9, 1), date(2020, 11, 2), False),
        (date(2021, 8, 31), date(2020, 11, 2), False),
        (date(2021, 9, 1), date(2020, 11, 2), True),  # next school year's
        (date(2021, 9, 2), date(2021, 8, 30), True),  # the digest of the last week of August
        (date(2021, 8, 31), date(2021, 8, 30), False),
        (date(2020, 8, 31), date(2020, 9, 1), True),
    ],
)
def test_a_date_needs_its_year_outside_the_school_year_of_today(
    day: date, today: date, shown: bool
) -> None:
    assert needs_year(day, today) is shown


@given(st.dates(min_value=date(1900, 1, 1)), st.dates(min_value=date(1900, 1, 1)))
def test_the_year_rule_is_the_school_year(day: date, today: date) -> None:
    start = date(academic_year(today), 9, 1)
    inside = start <= day <= date(start.year + 1, 8, 31)
    assert needs_year(day, today) is not inside
    assert needs_year(day, today) is needs_year(today, day)  # symmetric: one school year or not


@given(st.dates(max_value=date(2090, 1, 1)), st.dates(max_value=date(2090, 1, 1)))
def test_a_later_fit_is_the_first_later_such_day_not_past(day: date, today: date) -> None:
    assume(day < today)  # only a past day is ever offered a later year
    found = later_fit(day, today)
    assert found is not None
    assert found > day and found >= today and (found.month, found.day) == (day.month, day.day)
    earlier = [y for y in range(day.year + 1, found.year) if (day.month, day.day) != (2, 29)]
    assert all(date(y, day.month, day.day) < today for y in earlier)


@given(st.dates(min_value=date(1900, 1, 1)), st.dates(min_value=date(1900, 1, 1)))
def test_the_school_year_span_is_where_no_year_is_needed(day: date, today: date) -> None:
    first, last = school_year_span(today)
    assert (first <= day <= last) is not needs_year(day, today)


def test_a_later_span_keeps_its_length() -> None:
    today = date(2020, 12, 2)
    assert later_span(date(2020, 11, 16), date(2020, 11, 27), today) == (
        date(2021, 11, 16),
        date(2021, 11, 27),
    )
    assert later_span(date(2020, 12, 28), date(2021, 1, 3), date(2021, 1, 5)) == (
        date(2021, 12, 28),
        date(2022, 1, 3),
    )
