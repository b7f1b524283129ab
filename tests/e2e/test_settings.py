"""/settings and plan settings change the next reminders; archive; no way in for a curator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from db.models import Plan, User
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import World
from tests.people import ON_BOTH, person_id
from tests.plan_files import seed_text


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))  # 11:00 in Yekaterinburg


async def _tick_at(world: World, moment: datetime) -> None:
    world.clock.set(moment)  # type: ignore[attr-defined]
    await world.app.reminders.tick()


@ON_BOTH
async def test_settings_change_the_next_reminders_and_archive_stops_them(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await world.member("Алиса", Role.CURATOR, school)
    olga = await world.member("Ольга", Role.COORDINATOR)
    async with world.app.session_factory() as session, session.begin():
        report = await import_plan(
            session,
            world.clock,
            interpret(read_text(seed_text("001"))),
            timezone="Asia/Yekaterinburg",
        )
    await world.app.reminders.tick()  # the outbox already holds the default reminders
    for person in (alice, olga):  # what that tick sent is not this test's subject
        await person.catch_up()

    # Alice: only two days ahead, quiet 22:00-07:00.
    await alice.send("/settings")
    view = await alice.expect_reply("Мои настройки")
    assert "7, 3, 1, 0" in view.text
    await alice.press("⏰ За сколько дней", view)
    await alice.expect_reply("За сколько дней")
    await alice.send("скоро")
    await alice.expect_reply("Нужны числа дней")
    await alice.send("2")
    saved = await alice.expect_reply("Сохранено")
    await alice.press("🌙 Тихие часы", saved)
    await alice.expect_reply("Тихие часы")
    await alice.send("22:00-07:00")
    assert "22:00–07:00" in (await alice.expect_reply("Сохранено")).text

    # Olga: the plan's reminders at 10:00 instead of 09:00.
    await olga.send("/plans")
    await olga.press("1", await olga.expect_reply("Планы"))
    card = await olga.expect_reply()
    assert "09:00" in card.text
    await olga.press("🕘 Час напоминаний", card)
    await olga.expect_reply("В котором часу")
    await olga.send("10")
    assert "10:00" in (await olga.expect_reply("Сохранено")).text

    # "Издание приказа" is due 10 November: now reminded two days before, at 10:00 local; the
    # 8th is a Sunday, so on Friday the 6th (the working day before).
    await _tick_at(world, datetime(2020, 11, 3, 4, 0, tzinfo=UTC))  # the old 7-day one: gone
    await _tick_at(world, datetime(2020, 11, 6, 4, 30, tzinfo=UTC))  # 09:30: not yet
    await alice.expect_silence(wait=0.3)
    await _tick_at(world, datetime(2020, 11, 6, 5, 0, tzinfo=UTC))
    reminder = await alice.expect_reply("Издание приказа")
    assert "до 10 ноября, вт — через 4 дня" in reminder.text

    # A curator cannot touch plans, even with forged buttons.
    plan_id = report.plan_id
    await alice.send("/plans")
    assert "Планы" not in (await alice.expect_reply()).text
    await alice.press_data(reminder, f"pa:{plan_id}:1")
    await alice.press_data(reminder, f"st:plan:{plan_id}:hour")
    await alice.send("3")  # no settings dialog was opened: this is just a message
    assert "Сохранено" not in (await alice.expect_reply()).text
    async with world.app.session_factory() as session:
        plan = await session.get(Plan, plan_id)
        assert plan is not None and plan.archived_at is None
        assert plan.settings["reminders"]["hour"] == 10
        user = await session.get(User, await person_id(session, alice))
        assert user is not None and user.settings["reminders"]["lead_days"] == [2]

    # Archived: no more reminders and out of status; back from the archive, both return.
    await olga.send("/plans")
    await olga.press("1", await olga.expect_reply("Планы"))
    await olga.press("🗄 В архив", await olga.expect_reply())
    assert "В архиве" in (await olga.expect_edit()).text
    await alice.send("/status")
    assert "Всего" not in (await alice.expect_reply()).text
    await _tick_at(world, datetime(2020, 11, 11, 5, 0, tzinfo=UTC))  # a day overdue: silence
    await alice.expect_silence(wait=0.3)
    await olga.press("♻️ Вернуть из архива")
    assert "В архиве" not in (await olga.expect_edit()).text
    await alice.send("/status")
    await alice.expect_reply("Всего")
    await _tick_at(world, datetime(2020, 11, 11, 5, 30, tzinfo=UTC))
    overdue = await alice.expect_reply("Издание приказа")
    assert "просрочено на 1 день" in overdue.text
