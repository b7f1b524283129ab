"""Region scale in chat: a press is answered before its work, long reports show progress."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

import handlers.review
from bot import texts
from bot.settings import Settings
from core.states import AssignmentStatus
from db.models import Activity, Assignment
from emulator import FakeUser
from tests.e2e import test_curator_flows as curator
from tests.harness import World

GRACE = 0.2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The suite's settings, with a short answer grace and progress shown whatever the size.
    return settings.model_copy(
        update={"callback_answer_seconds": GRACE, "progress_after_seconds": 0}
    )


async def _people(world: World) -> tuple[FakeUser, FakeUser]:
    alice, olga, _ = await curator._setup(world)  # a curator, a coordinator, seed 001
    return alice, olga


async def test_a_slow_press_is_answered_before_its_work_and_its_alert_comes_as_a_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, olga = await _people(world)
    await alice.send("/my")
    await alice.press("2", await alice.expect_reply("Все открытые"))
    await alice.press("✅ Выполнено", await alice.expect_reply())
    await alice.expect_reply("Отмечаем выполнение")
    await alice.send("Приказ издан, номер 15")
    await alice.expect_reply()
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")

    release = asyncio.Event()
    started = asyncio.Event()
    real_review = handlers.review.review  # type: ignore[attr-defined]

    async def slow_review(*args: Any, **kwargs: Any) -> Any:
        started.set()
        await release.wait()  # the work cannot end before the test has seen the answer
        return await real_review(*args, **kwargs)

    monkeypatch.setattr(handlers.review, "review", slow_review)
    answer = await olga.press("✅ Принять", request)
    # Answered while the work still waits: an empty answer, well inside Telegram's 15 s.
    assert started.is_set() and not release.is_set()
    assert answer is not None and answer["text"] is None and answer["seconds"] < 5
    release.set()
    # What the alert said after the work still reaches the coordinator, as a message.
    await olga.expect_reply(texts.review_done(True))
    assert "✅ Принято" in (await alice.expect_reply()).text
    async with world.app.session_factory() as session:
        status = await session.scalar(
            select(Assignment.status)
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(Activity.title.startswith("Издание приказа"))
        )
    assert status == AssignmentStatus.ACCEPTED


async def test_a_quick_press_keeps_its_own_alert(world: World) -> None:
    alice, olga = await _people(world)
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые")
    answer = await alice.press("2", listing)
    assert answer is not None and answer["seconds"] < 5
    await alice.expect_reply()  # the card
    await olga.send("/status")
    summary = await olga.expect_reply("Всего")
    chart = await olga.press("📈", summary)
    # The chart's work (matplotlib) comes after its answer: the answer never waits for it.
    assert chart is not None and chart["text"] is None
    await olga.expect_reply("Всего")


async def test_the_report_shows_progress_then_the_file(world: World) -> None:
    _, olga = await _people(world)
    await olga.send("/report")
    await olga.press("📊 Таблица XLSX", await olga.expect_reply("в каком виде"))
    progress = await olga.expect_reply("Готовлю отчёт")
    assert progress.text.endswith("%")
    document = await olga.expect_reply("Отчёт")
    assert document.raw["document"]["file_name"].endswith(".xlsx")
    deleted = await olga._next_of("delete", None)  # the progress message goes once done
    assert deleted is not None and deleted["message"]["message_id"] == progress.message_id
