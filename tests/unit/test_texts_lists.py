"""Lists in messages: every count shown matches what is listed or says how many are left out."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot import texts


@given(st.lists(st.integers(min_value=0, max_value=3), max_size=40))
def test_upcoming_lists_or_counts_every_reminder_of_a_day(offsets: list[int]) -> None:
    rows = [(date(2020, 11, 27 + o), "deadline", f"Пункт {i}") for i, o in enumerate(offsets)]
    rows.sort(key=lambda r: r[0])
    text = texts.upcoming(rows, 7)
    for day in {r[0] for r in rows}:
        count = sum(1 for r in rows if r[0] == day)
        block = text.split(f"<b>{texts.day_month(day)}</b> — {count}")[1].split("\n\n")[0]
        listed = block.count("\n• ")
        left = int(block.split("… и ещё ")[1]) if "… и ещё " in block else 0
        assert listed + left == count and listed <= texts.UPCOMING_PER_DAY
