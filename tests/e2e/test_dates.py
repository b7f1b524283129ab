"""Dates that tell the truth (issue 28, section 4), through the emulator: a date outside the
school year of today carries its year wherever it is shown; seminars, postponements and
absences refuse a past date at once and keep asking; example dates follow the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, PlanSchool
from emulator import FakeUser
from emulator.client import BotMessage
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import World
from tests.plan_files import seed_text

ZONE = "Asia/Yekaterinburg"


@pytest.fixture
def clock() -> ManualClock:
    # Monday 2 November 2020, 11:00 in Yekaterinburg: the 2020/2021 school year of seed 001.
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


async def _join(world: World, name: str, role: Role, school: int | None = None) -> FakeUser:
    person = await world.person(name, "Тестова")
    await person.send(f"/start {await world.invite(role, school)}")
    await person.expect_reply()
    return person


async def _seed(world: World) -> tuple[FakeUser, FakeUser]:
    """Seed 001 (2020/2021; item 9 is due 30.11.2019) for one school, its curator, a coordinator."""
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»", timezone=ZONE)  # the seed's
    alice = await _join(world, "Алиса", Role.CURATOR, school)
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    async with world.app.session_factory() as session, session.begin():
        draft = interpret(read_text(seed_text("001")))
        await import_plan(session, world.clock, draft, timezone=ZONE)
    return alice, olga


async def _until(person: FakeUser, fragment: str, limit: int = 8) -> BotMessage:
    """The first of the next few messages that contains `fragment` (reminders may come first)."""
    for _ in range(limit):
        message = await person.expect_reply()
        if fragment in message.text:
            return message
    raise AssertionError(f"no message with {fragment!r}")


async def test_a_date_of_last_school_year_shows_its_year_in_my_the_card_and_the_nudge(
    world: World,
) -> None:
    alice, olga = await _seed(world)
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые")
    assert "до 10 ноября, вт" in listing.text  # this school year's: no year
    await alice.press("⚠️ Просрочено", listing)
    overdue = await alice.expect_edit()
    assert "классных руководителей" in overdue.text
    assert "до 30 ноября 2019, сб" in overdue.text, overdue.text
    await alice.press("1", overdue)
    card = await alice.expect_reply("классных руководителей")
    assert "Срок: до 30 ноября 2019, сб" in card.text, card.text

    await olga.send("/overdue")
    await olga.press("🔔 1", await olga.expect_reply("Просрочено по школам"))
    nudge = await alice.expect_reply("напоминает о просроченных пунктах")
    assert "до 30 ноября 2019, сб" in nudge.text, nudge.text


async def test_the_digest_of_the_last_week_of_august_names_the_year_of_september(
    world: World,
) -> None:
    school = await world.add_school("МАОУ «СОШ № 21»", timezone=ZONE)
    alice = await _join(world, "Алиса", Role.CURATOR, school)
    async with world.app.session_factory() as session, session.begin():
        now = world.clock.now()
        plan = Plan(title="План", timezone=ZONE, settings={}, created_at=now, updated_at=now)
        session.add(plan)
        await session.flush()
        session.add(PlanSchool(plan_id=plan.id, school_id=school))
        for position, (title, due) in enumerate(
            [("Итоги года", date(2021, 8, 31)), ("Старт нового года", date(2021, 9, 2))]
        ):
            activity = Activity(
                plan_id=plan.id, source_key=f"k{position}", title=title, due_date=due,
                number=str(position + 1), period_kind="deadline", period_flags=[],
                position=position,
            )  # fmt: skip
            session.add(activity)
            await session.flush()
            assignment = Assignment(
                activity_id=activity.id, school_id=school, status=AssignmentStatus.OPEN,
                due_date=due, version=1, updated_at=now,
            )  # fmt: skip
            session.add(assignment)
    # Monday 30 August 2021 in Yekaterinburg: the week runs into the next school year.
    world.clock.set(datetime(2021, 8, 30, 2, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    world.clock.set(datetime(2021, 8, 30, 4, 30, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick()
    digest = await _until(alice, "Доброе утро")
    assert "Итоги года — до 31 августа, вт" in digest.text, digest.text
    assert "Старт нового года — до 2 сентября 2021, чт" in digest.text, digest.text


async def _card(person: FakeUser, title: str) -> BotMessage:
    """The item's card, opened from /my by its number in the list."""
    await person.send("/my")
    listing = await _until(person, "Все открытые")
    while True:
        numbers = [
            line.split(".")[0].strip()
            for line in listing.text.splitlines()
            if title in line and line.split(".")[0].strip().isdigit()
        ]
        if numbers:
            await person.press(numbers[0], listing)
            return await person.expect_reply(title)
        await person.press("▶️", listing)
        listing = await person.expect_edit()


async def test_an_items_history_from_last_school_year_shows_the_year(world: World) -> None:
    alice, _ = await _seed(world)
    card = await _card(alice, "Издание приказа")
    await alice.press("⏰ Напомнить завтра", card)
    # A school year later the snooze of 2 November 2020 is last year's.
    world.clock.set(datetime(2021, 9, 6, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    card = await _card(alice, "Издание приказа")
    await alice.press("🕓 История", card)
    history = await _until(alice, "История")
    line = next(x for x in history.text.splitlines() if "отложил(а) напоминание" in x)
    assert line.startswith("02.11.2020 "), history.text
