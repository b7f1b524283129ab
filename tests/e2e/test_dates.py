"""Dates that tell the truth (issue 28, section 4), through the emulator: a date outside the
school year of today carries its year wherever it is shown; seminars, postponements and
absences refuse a past date at once and keep asking; example dates follow the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, PlanSchool, School
from emulator import FakeUser
from emulator.client import BotMessage
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import World
from tests.plan_files import seed_docx, seed_text

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
    line = next(x for x in history.text.splitlines() if "отложила напоминание" in x)
    assert line.startswith("02.11.2020 "), history.text


def _december(world: World) -> None:
    # Tuesday 1 December 2020, 11:00 in Yekaterinburg: 30 November is yesterday.
    world.clock.set(datetime(2020, 12, 1, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]


async def _new_seminar(olga: FakeUser, topic: str) -> BotMessage:
    await olga.send("/seminars")
    await olga.press("➕ Новый семинар", await olga.expect_reply())
    await olga.press("Все школы плана", await olga.expect_reply("Для кого семинар?"))
    await olga.expect_edit()
    await olga.send(topic)
    return await olga.expect_reply("Когда?")


async def test_a_past_seminar_date_is_refused_at_once_and_a_later_year_only_confirmed(
    world: World,
) -> None:
    _, olga = await _seed(world)
    _december(world)
    await _new_seminar(olga, "Итоги мониторинга")
    await olga.send("30.11 15:00")  # yesterday: not silently 30.11.2021
    refused = await olga.expect_reply("Эта дата уже прошла: 30 ноября, пн, 15:00")
    assert "Если имели в виду 30 ноября 2021, вт, 15:00" in refused.text
    assert refused.buttons == ["📅 30 ноября 2021, вт, 15:00"] and "Когда?" in refused.text
    await olga.send("15.12 15:00")  # the question stayed open
    await olga.press("Пропустить", await olga.expect_reply("Где?"))
    draft = await olga.expect_edit()
    assert "15 декабря, вт, 15:00" in draft.text, draft.text
    await olga.press("✖️ Отмена", draft)
    await olga.expect_edit()

    await _new_seminar(olga, "Планирование на следующий год")
    await olga.send("30.11 15:00")
    refused = await olga.expect_reply("уже прошла")
    await olga.press("📅 30 ноября 2021, вт, 15:00", refused)
    assert (await olga.expect_edit()).buttons == []  # confirmed once: the button is gone
    await olga.press("Пропустить", await olga.expect_reply("Где?"))
    draft = await olga.expect_edit()
    assert "30 ноября 2021, вт, 15:00" in draft.text, draft.text  # shown with its year
    await olga.press("✅ Создать и разослать", draft)
    await olga.expect_edit()

    # Moving it: the same refusal, and the question stays open.
    await olga.send("/seminars")
    await olga.press("1", await olga.expect_reply("Семинары (1)"))
    await olga.press("🕒 Дата и время", await olga.expect_edit())
    await olga.expect_reply("Когда?")
    await olga.send("30.11 10:00")
    refused = await olga.expect_reply("Эта дата уже прошла: 30 ноября, пн, 10:00")
    assert refused.buttons == ["📅 30 ноября 2021, вт, 10:00"]
    await olga.send("16.12 10:00")
    changed = await olga.expect_reply("Об изменении узнают")
    assert "16 декабря, ср, 10:00" in changed.text, changed.text


async def test_a_past_postponement_is_refused_before_the_reason_and_asked_again(
    world: World,
) -> None:
    alice, olga = await _seed(world)
    _december(world)
    card = await _card(alice, "Издание приказа")
    await alice.press("📅 Перенести срок", card)
    await alice.expect_reply("На какую дату")
    await alice.send("25.11")
    refused = await alice.expect_reply("Эта дата уже прошла: 25 ноября, ср")
    assert refused.buttons == ["📅 25 ноября 2021, чт"] and "На какую дату" in refused.text
    await alice.send("20.12")  # the flow is still open
    await alice.expect_reply("Почему нужен перенос")
    await alice.send("болеет учитель")
    sent = await alice.expect_reply("отправлена координатору")
    assert "на 20 декабря, вс" in sent.text, sent.text
    await _until(olga, "Просьба перенести срок")

    world.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]  # a new request
    card = await _card(alice, "Издание приказа")
    await alice.press("📅 Перенести срок", card)
    await alice.expect_reply("На какую дату")
    await alice.send("25.11")
    await alice.press("📅 25 ноября 2021, чт", await alice.expect_reply("уже прошла"))
    await alice.expect_reply("Почему нужен перенос")
    await alice.send("перенос на следующий год")
    sent = await alice.expect_reply("отправлена координатору")
    assert "на 25 ноября 2021, чт" in sent.text, sent.text
    request = await _until(olga, "Просьба перенести срок")
    assert "просят: 25 ноября 2021, чт" in request.text, request.text
    assert "✅ Перенести на 25.11.2021" in request.buttons


async def test_past_absence_dates_are_refused_and_asked_again(world: World) -> None:
    alice, _ = await _seed(world)
    bella = await _join(world, "Белла", Role.CURATOR, await _school_of(world))
    # Wednesday 2 December 2020: 16–27 November is over.
    world.clock.set(datetime(2020, 12, 2, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await alice.send("/away")
    await alice.expect_reply("Когда вас не будет?")
    await alice.send("16.11–27.11")
    refused = await alice.expect_reply("Эти даты уже прошли: 16 ноября, пн – 27 ноября, пт")
    assert refused.buttons == ["📅 16 ноября 2021, вт – 27 ноября 2021, сб"]
    await alice.send("14.12–18.12")  # still asked: the plain answer is taken
    deputy = await alice.expect_reply("Отмечено: вас нет 14 декабря, пн – 18 декабря, пт")
    assert "Кто вас замещает?" in deputy.text

    await bella.send("/away 16.11–27.11")  # the command with past dates: not "Не понял даты"
    refused = await bella.expect_reply("Эти даты уже прошли")
    await bella.press("📅 16 ноября 2021, вт – 27 ноября 2021, сб", refused)
    confirmed = await bella.expect_reply("Отмечено: вас нет 16 ноября 2021, вт – 27 ноября 2021")
    assert "Кто вас замещает?" in confirmed.text


async def _school_of(world: World) -> int:
    async with world.app.session_factory() as session:
        found = await session.scalar(select(School.id).order_by(School.id).limit(1))
    assert found is not None
    return found


async def test_a_fixed_import_date_may_be_past_and_is_confirmed_with_its_year(
    world: World,
) -> None:
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    _december(world)
    await olga.upload(("roadmap-21.docx", seed_docx("001")))
    preview = await olga.expect_reply("Мероприятий: 23")
    await olga.press("✅ Импортировать", preview)
    first = await _until(olga, "Строка 1 из 2")
    # A fix may be in the plan's past, so the examples (by the clock) carry their year.
    assert "например 19.12.2020 или «декабрь 2020»" in first.text, first.text
    await olga.send("когда-нибудь")
    unclear = await olga.expect_reply("Не понял дату")
    assert "например: 19.12.2020 или «декабрь 2020», «до 19 декабря»" in unclear.text
    await olga.send("30.11.2019")  # last school year's: taken, and said with its year
    await olga.expect_reply("Срок сохранён: до 30.11.2019")


async def test_example_dates_in_questions_follow_the_clock(world: World) -> None:
    alice, olga = await _seed(world)
    _december(world)  # 1 December 2020: the examples name 19 December, never a fixed year
    ask = await _new_seminar(olga, "Итоги мониторинга")
    assert "например: 19.12 14:00, 19 декабря в 10:00" in ask.text, ask.text
    await olga.send("когда-нибудь")
    assert "например: 19.12 14:00 или 19 декабря в 10:00" in (await olga.expect_reply()).text

    card = await _card(alice, "Издание приказа")
    await alice.press("📅 Перенести срок", card)
    ask = await alice.expect_reply("На какую дату")
    assert "Например: 19.12 или 19 декабря." in ask.text, ask.text
    await alice.send("когда-нибудь")
    assert "например 19.12 или 19.12.2020" in (await alice.expect_reply("Не понял")).text

    await alice.send("/away")
    ask = await alice.expect_reply("Когда вас не будет?")
    assert "например 19.12–30.12 или с 19 по 30 декабря" in ask.text, ask.text

    await olga.send("/plans")
    await olga.press("1", await olga.expect_reply())
    await olga.press("🏖 Каникулы", await olga.expect_reply())
    listing = await olga.expect_reply("Каникулы и паузы")
    await olga.press("⏸ Поставить на паузу", listing)
    assert "например: по 19.12 карантин" in (await olga.expect_reply("до какого дня")).text
    await olga.press("➕ Добавить каникулы", listing)
    ask = await olga.expect_reply("Напишите даты и название")
    assert "например: 19.12–30.12 зимние" in ask.text, ask.text


async def test_a_day_without_a_year_is_in_the_plans_school_year(world: World) -> None:
    alice, olga = await _seed(world)
    # Monday 6 September 2021: the plan's school year 2020/2021 is over.
    world.clock.set(datetime(2021, 9, 6, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    card = await _card(alice, "Издание приказа")
    await alice.press("📅 Перенести срок", card)
    await alice.expect_reply("На какую дату")
    await alice.send("25.09")  # the plan's 25 September (2020) is past: 2021 is only offered
    refused = await alice.expect_reply("Эта дата уже прошла: 25 сентября 2020, пт")
    assert refused.buttons == ["📅 25 сентября 2021, сб"], refused.buttons

    await olga.send("/plans")
    await olga.press("1", await olga.expect_reply())
    await olga.press("🏖 Каникулы", await olga.expect_reply())
    await olga.press("➕ Добавить каникулы", await olga.expect_reply("Каникулы и паузы"))
    await olga.expect_reply("Напишите даты и название")
    await olga.send("26.10–03.11 осенние")
    added = await olga.expect_reply("Каникулы «осенние»")
    assert "26 октября 2020, пн – 3 ноября 2020, вт" in added.text, added.text
