"""Issue 28, section 3, in the dashboard page: a card shows what the API decided (handed in on
time or late, overdue only when nothing was handed in), not a rule of its own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from core.clock import ManualClock
from tests.browser.test_dashboard_page import LIGHT, PHONE
from tests.e2e.test_dashboard import WEBAPP
from tests.e2e.test_true_statuses import EARLY, LATE, ON_REVIEW, _history
from tests.harness import TOKEN, World


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


@pytest.fixture
def settings(server, db_url, tmp_path: Path) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=False,
        evidence_dir=str(tmp_path / "evidence"),
        webapp_url=WEBAPP,
        webhook_port=0,
        callback_answer_seconds=10,
        _env_file=None,
    )


async def _card(page: Any, title: str) -> tuple[str, str]:
    """Tap the school's cell of the item: the card's due line and its status chip's class."""
    await page.click(f"#matrix td.c button[aria-label*='{title}']")
    await page.wait_for_function(
        "t => (document.querySelector('#card h2') || {}).textContent?.startsWith(t)", arg=title
    )
    due = await page.evaluate(
        "() => [...document.querySelectorAll('#card div')].map(d => d.textContent)"
        ".find(t => t.startsWith('Срок:'))"
    )
    chip = await page.get_attribute("#card .status", "class")
    await page.click("#close")
    return due, chip or ""


async def test_a_card_says_when_work_was_handed_in(world: World, browser: Any) -> None:
    h = await _history(world)
    data = await world.client.web_app_data(h.olga.id, theme=LIGHT)
    page = await browser.new_page(viewport=PHONE)
    await page.goto(f"http://127.0.0.1:{world.app.web_port}/app/#{data['fragment']}")
    await page.wait_for_selector("body[data-ready='1']")

    due, chip = await _card(page, EARLY)
    # This school year's dates without their year, last year's with it, as in chat.
    assert due == "Срок: 10.11 — сдано в срок" and "c-a" in chip, (due, chip)
    due, chip = await _card(page, LATE)
    assert due == "Срок: 30.11 — сдано с опозданием на 3 дн." and "c-a" in chip
    due, chip = await _card(page, ON_REVIEW)
    assert "сдано с опозданием на" in due and "просрочено" not in due and "c-s" in chip
    assert due.startswith("Срок: 30.11.2019 — "), due
    # Open work past its date is the only overdue one; the legend names the letters as chat does.
    title = "Организация и проведение обучения вновь принятых"  # октябрь - ноябрь: past
    due, chip = await _card(page, title)
    assert "просрочено на" in due and "c-o" in chip, (due, chip)
    legend = await page.inner_text("#legend")
    assert "открыто" in legend and "не начато" not in legend  # /status's "⏳ открыто"
    await page.close()
