""" "Remind me later" on an item's card only while its date is ahead: an overdue item's card
offers no "⏰ Напомнить завтра" (as an overdue reminder does not), a coming one does (issue 32)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import texts
from core.clock import ManualClock
from tests.e2e.test_curator_flows import _setup
from tests.e2e.test_dates import _card
from tests.harness import World


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))  # Monday, seed 001's autumn


async def test_an_overdue_card_offers_no_reminder_later(world: World) -> None:
    alice, _, _ = await _setup(world)
    coming = await _card(alice, "Издание приказа")  # due 10 November
    assert {texts.BTN_TOMORROW, texts.BTN_IN_3_DAYS} <= set(coming.buttons)
    world.clock.set(datetime(2020, 11, 12, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    overdue = await _card(alice, "Издание приказа")
    assert "просрочено" in overdue.text
    assert texts.BTN_TOMORROW not in overdue.buttons
    assert texts.BTN_IN_3_DAYS not in overdue.buttons
    # Still hers to do: the report, a question, another date.
    assert {texts.BTN_DONE, texts.BTN_HELP, texts.BTN_MOVE_DEADLINE} <= set(overdue.buttons)
