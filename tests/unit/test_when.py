"""The seminar date-and-time grammar."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.when import When, WhenError, parse_when

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


@given(st.dates(min_value=TODAY, max_value=TODAY + timedelta(days=364)))
def test_without_a_year_the_next_such_day_is_meant(day: date) -> None:
    found = parse_when(f"{day.day}.{day.month}", TODAY).day
    assert found == day and TODAY <= found < TODAY + timedelta(days=366)
