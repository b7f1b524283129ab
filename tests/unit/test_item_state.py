"""core.item_state: the one rule of where an item stands, and the words every surface reads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import texts
from core import item_state as module
from core import matrix
from core.item_state import HANDED_IN, LATE_OPEN, ItemState, State, item_state
from core.states import AssignmentStatus as S

TODAY = date(2020, 12, 7)
DUE = date(2020, 11, 10)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("status", "due", "handed_in", "expected"),
    [
        # Open work: the date decides (due today is not late yet).
        (S.OPEN, None, None, ItemState(State.OPEN)),
        (S.OPEN, TODAY + 3 * DAY, None, ItemState(State.NOT_DUE, 3)),
        (S.OPEN, TODAY, None, ItemState(State.NOT_DUE, 0)),
        (S.OPEN, TODAY - DAY, None, ItemState(State.OVERDUE, 1)),
        (S.OPEN, DUE, None, ItemState(State.OVERDUE, 27)),
        (S.RETURNED, None, None, ItemState(State.RETURNED)),
        (S.RETURNED, TODAY + 2 * DAY, DUE, ItemState(State.RETURNED, 2)),
        (S.RETURNED, DUE, DUE - DAY, ItemState(State.RETURNED_OVERDUE, 27)),
        # Handed-in work: the day it was handed in decides, whatever today is.
        (S.ACCEPTED, DUE, DUE - 8 * DAY, ItemState(State.ACCEPTED_ON_TIME)),  # issue 28's card
        (S.ACCEPTED, DUE, DUE, ItemState(State.ACCEPTED_ON_TIME)),
        (S.ACCEPTED, DUE, DUE + 3 * DAY, ItemState(State.ACCEPTED_LATE, 3)),
        (S.ACCEPTED, None, TODAY, ItemState(State.ACCEPTED_ON_TIME)),
        (S.ACCEPTED, DUE, None, ItemState(State.ACCEPTED_ON_TIME)),  # hand-in day unknown
        (S.SUBMITTED, DUE, DUE - DAY, ItemState(State.SUBMITTED_ON_TIME)),
        (S.SUBMITTED, DUE, DUE + DAY, ItemState(State.SUBMITTED_LATE, 1)),
        (S.CANCELLED, DUE, None, ItemState(State.CANCELLED)),
        (S.CANCELLED, DUE, DUE + DAY, ItemState(State.CANCELLED)),
    ],
)
def test_every_state(
    status: S, due: date | None, handed_in: date | None, expected: ItemState
) -> None:
    assert item_state(status, due, handed_in, TODAY) == expected


days = st.integers(-400, 400).map(lambda n: TODAY + timedelta(days=n))
maybe_days = st.one_of(st.none(), days)


@given(st.sampled_from(list(S)), maybe_days, maybe_days, days)
def test_properties(status: S, due: date | None, handed_in: date | None, today: date) -> None:
    found = item_state(status, due, handed_in, today)
    assert found.days >= 0
    if status in (S.SUBMITTED, S.ACCEPTED):
        # Handed-in work is never overdue, and today does not change its state.
        assert found.state in HANDED_IN and not found.overdue
        assert found == item_state(status, due, handed_in, today + timedelta(days=365))
        late = (handed_in - due).days if due and handed_in else 0
        assert found.late == (late > 0)
        assert found.days == max(late, 0)
        assert (found.state in (State.ACCEPTED_ON_TIME, State.ACCEPTED_LATE)) == (
            status == S.ACCEPTED
        )
    elif status == S.CANCELLED:
        assert found == ItemState(State.CANCELLED)
    else:
        # Open work: overdue exactly when its date has passed, by as many days.
        assert found.overdue == (due is not None and due < today)
        if found.overdue:
            assert due is not None and found.days == (today - due).days
        assert found == item_state(status, due, None, today)  # an old hand-in day is ignored
        assert found.state not in HANDED_IN
        returned = found.state in (State.RETURNED, State.RETURNED_OVERDUE)
        assert returned == (status == S.RETURNED)


@given(st.sampled_from(list(S)), maybe_days, maybe_days, days)
def test_words_and_letters_agree_with_the_state(
    status: S, due: date | None, handed_in: date | None, today: date
) -> None:
    found = item_state(status, due, handed_in, today)
    words = texts.state_words(found)
    letter = matrix.letter(found)
    assert words and "{" not in words
    # Only work past its date and not handed in is "не выполнено" or "просрочено".
    assert ("не выполнено" in words) == (found.state == State.OVERDUE)
    assert ("просрочено" in words) == found.overdue == (letter == matrix.OVERDUE)
    if found.handed_in:
        note = texts.handed_in_note(found)
        assert note in words and note in texts.due_note(found)
        expected = f"сдано с опозданием на {found.days} дн." if found.late else "сдано в срок"
        assert note == expected
    if found.state == State.NOT_DUE:
        assert words == ("срок не наступил" if found.days else "срок сегодня")
    assert "просрочено" not in texts.due_note(found) or found.overdue


def test_every_state_has_words_and_a_letter() -> None:
    assert set(texts.STATE_WORDS) == set(State) == set(matrix.LETTERS)
    assert not LATE_OPEN & HANDED_IN
    assert set(texts.LETTER_NAMES) == set(matrix.CODES)
    assert {texts.DASHBOARD_PAGE[f"legend_{c}"] for c in matrix.CODES} == set(
        texts.LETTER_NAMES.values()
    )


def test_the_issue_28_card_example() -> None:
    """Accepted eight days early, read 27 days after the date: handed in on time."""
    found = item_state(S.ACCEPTED, DUE, DUE - 8 * DAY, TODAY)
    assert texts.due_note(found) == "сдано в срок"
    assert texts.state_words(found) == "принято, сдано в срок"
    late = item_state(S.ACCEPTED, DUE, DUE + 3 * DAY, TODAY)
    assert texts.state_words(late) == "принято, сдано с опозданием на 3 дн."
    assert texts.due_note(item_state(S.OPEN, DUE, None, TODAY)) == "просрочено на 27 дней"
    assert texts.due_note(item_state(S.OPEN, TODAY + DAY, None, TODAY)) == "завтра"
    assert texts.due_note(item_state(S.OPEN, None, None, TODAY)) == ""


def test_the_module_is_pure() -> None:
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    assert "aiogram" not in source and "sqlalchemy" not in source
