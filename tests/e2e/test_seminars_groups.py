"""Seminars created and changed in chat with RSVP; group chats linked to a direction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from core.states import OutboxStatus
from db.models import Attendance, ChatLink, Direction, OutboxMessage, PlanSchool, School
from emulator import FakeUser
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import World
from tests.people import ON_BOTH, said
from tests.plan_files import seed_text

# Monday 2 November 2020, 10:00 in Yekaterinburg.
NOW = datetime(2020, 11, 2, 5, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def _join(world: World, name: str, role: Role, school_id: int | None = None) -> FakeUser:
    person = await world.person(name)
    await person.send(f"/start {await world.invite(role, school_id)}")
    await person.expect_reply()
    return person


async def _import(world: World, seed: str, attach: list[int]) -> int:
    draft = interpret(read_text(seed_text(seed)), academic_year=2020)
    async with world.app.session_factory() as session, session.begin():
        report = await import_plan(session, world.clock, draft, timezone="Asia/Yekaterinburg")
        for school_id in attach:
            session.add(PlanSchool(plan_id=report.plan_id, school_id=school_id))
    return report.plan_id


@ON_BOTH
async def test_create_answer_change_and_cancel_a_seminar(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await world.member("Алиса", Role.CURATOR, school)
    olga = await world.member("Ольга", Role.COORDINATOR)
    await _import(world, "001", [])

    await olga.send("/seminars")
    listing = await olga.expect_reply("Предстоящих семинаров нет")
    await olga.press("➕ Новый семинар", listing)
    audience = await olga.expect_reply("Для кого семинар?")
    assert audience.buttons == ["Все школы плана"]
    await olga.press("Все школы плана", audience)
    assert "Тема семинара" in (await olga.expect_edit()).text
    await olga.send("   ")
    await olga.expect_reply("Тема не может быть пустой")
    await olga.send("Мониторинг качества образования: итоги")
    await olga.expect_reply("Когда?")
    await olga.send("31.02 10:00")
    await olga.expect_reply("Не понял дату")
    await olga.send("01.10.2020 10:00")
    await olga.expect_reply("уже прошла")
    await olga.send("15 декабря в 14:00")
    place = await olga.expect_reply("Где?")
    await olga.press("Пропустить", place)
    draft = await olga.expect_edit()
    assert "15 декабря, вт, 14:00" in draft.text and "все школы плана" in draft.text
    await olga.press("✅ Создать и разослать", draft)
    assert "Приглашение получат 1 адресат" in (await olga.expect_edit()).text

    invitation = await alice.expect_reply("Приглашение на семинар")
    assert "Мониторинг качества" in invitation.text and "15 декабря, вт, 14:00" in invitation.text
    assert invitation.buttons == ["Буду", "Не смогу"]
    assert said(await alice.press("Буду", invitation)) == "Отметил: вы будете."

    await olga.send("/seminars")
    listing = await olga.expect_reply("Семинары (1)")
    assert "Мониторинг качества" in listing.text
    await olga.press("1", listing)
    card = await olga.expect_edit()
    assert "Будут (1): Алиса" in card.text and "ещё не ответили: 0" in card.text

    await olga.press("🕒 Дата и время", card)
    await olga.expect_reply("Когда?")
    await olga.send("16.12.2020 15:30")
    changed = await olga.expect_reply("Об изменении узнают 1 адресат")
    assert "16 декабря, ср, 15:30" in changed.text
    news = await alice.expect_reply("Изменения в семинаре")
    assert "16 декабря, ср, 15:30" in news.text

    await olga.press("🚫 Отменить семинар", changed)
    confirm = await olga.expect_edit()
    await olga.press("Да, отменить", confirm)
    assert "Отменён" in (await olga.expect_edit()).text
    cancelled = await alice.expect_reply("Семинар отменён")
    assert cancelled.buttons == []
    assert said(await alice.press("Не смогу", news)) == "Семинар отменён."
    async with world.app.session_factory() as session:
        answers = list(await session.scalars(select(Attendance.answer)))
        kinds = list(await session.scalars(select(OutboxMessage.payload)))
    assert [a.value for a in answers] == ["yes"]
    assert [k["event"] for k in kinds] == ["new", "changed", "cancelled"]

    # A curator cannot manage seminars; the command is not theirs.
    await alice.send("/seminars")
    assert "Семинары" not in (await alice.expect_reply()).text


async def test_group_link_status_announcements_and_removal(world: World) -> None:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await _join(world, "Алиса", Role.CURATOR, school)
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    stranger = await world.person("Пётр")
    plan_id = await _import(world, "000", [])
    async with world.app.session_factory() as session:
        first = await session.scalar(
            select(Direction).where(Direction.plan_id == plan_id).order_by(Direction.position)
        )
        school_names = list(await session.scalars(select(School.name)))
    assert first is not None

    group = await world.client.add_group("Методисты", [olga, alice, stranger], added_by=olga)
    await olga.expect_reply("Координатор, отправьте /link", chat_id=group)
    await stranger.expect_reply("Координатор, отправьте /link", chat_id=group)
    await stranger.send("/link", chat_id=group)
    await stranger.expect_reply("только координаторы", chat_id=group)
    await olga.expect_reply("только координаторы", chat_id=group)  # everyone sees group messages
    await olga.send("/status@some_other_bot", chat_id=group)
    await olga.send("Коллеги, добрый день!", chat_id=group)
    await olga.expect_silence(chat_id=group)
    await olga.send("/status", chat_id=group)
    await olga.expect_reply("не привязана", chat_id=group)

    await olga.send("/link", chat_id=group)
    choose = await olga.expect_reply("К какому направлению", chat_id=group)
    assert first.code in choose.buttons
    assert (
        (await stranger.press(first.code, choose, chat_id=group) or {})
        .get("text", "")
        .startswith("Привязывать")
    )
    await olga.press(first.code, choose, chat_id=group)
    linked = await olga.expect_edit(chat_id=group)
    assert "Группа привязана" in linked.text and first.title[:30] in linked.text

    await olga.send("/status", chat_id=group)
    summary = await olga.expect_reply("Сводка", chat_id=group)
    assert first.title[:30] in summary.text
    assert not [name for name in school_names if name in summary.text]  # no school leaks

    # A seminar for that direction reaches the group too.
    await olga.send("/seminars")
    listing = await olga.expect_reply()
    await olga.press("➕ Новый семинар", listing)
    await olga.press(first.code, await olga.expect_reply("Для кого"))
    await olga.expect_edit()
    await olga.send("Установочный семинар")
    await olga.expect_reply("Когда?")
    await olga.send("10.11 11:00")
    await olga.expect_reply("Где?")
    await olga.send("https://meet.example.org/kurator")
    await olga.press("✅ Создать и разослать", await olga.expect_reply("Новый семинар"))
    await olga.expect_edit()
    announced = await olga.expect_reply("Приглашение на семинар", chat_id=group)
    assert "Установочный семинар" in announced.text and "meet.example.org" in announced.text

    # The weekly status goes to the group on Monday at 09:00 plan time.
    world.clock.set(datetime(2020, 11, 9, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    weekly = await olga.expect_reply("Сводка", chat_id=group)
    assert not [name for name in school_names if name in weekly.text]

    # Removed from the group: the links go, nothing more is sent there.
    await world.client.remove_bot(group, by=olga)
    for _ in range(50):
        async with world.app.session_factory() as session:
            left = await session.scalar(select(func.count()).select_from(ChatLink))
        if left == 0:
            break
        await olga.expect_silence(chat_id=group, wait=0.1)
    assert left == 0


async def test_times_say_their_zone_reminders_name_the_place_and_remember_the_answer(
    world: World,
) -> None:
    moscow = await world.add_school("СОШ № 5 (Москва)", timezone="Europe/Moscow")
    alice = await _join(world, "Алиса", Role.CURATOR, moscow)
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await _import(world, "001", [moscow])  # the plan's zone: Asia/Yekaterinburg

    await olga.send("/seminars")
    await olga.press("➕ Новый семинар", await olga.expect_reply("Предстоящих"))
    await olga.press("Все школы плана", await olga.expect_reply("Для кого"))
    await olga.expect_edit()
    await olga.send("Объективность оценивания")
    ask = await olga.expect_reply("Когда?")
    assert "Время — по Екатеринбургу (часовой пояс плана)" in ask.text
    await olga.send("15 декабря в 14:00")
    await olga.expect_reply("Где?")
    await olga.send("https://meet.example.org/kurator")
    draft = await olga.expect_reply("15 декабря, вт, 14:00 по Екатеринбургу")
    await olga.press("✅ Создать и разослать", draft)
    await olga.expect_edit()

    invitation = await alice.expect_reply("Приглашение на семинар")
    assert "15 декабря, вт, 14:00 по Екатеринбургу (12:00 по Москве)" in invitation.text
    assert "Где: https://meet.example.org/kurator" in invitation.text
    assert invitation.text.endswith("Придёте?")
    await alice.press("Буду", invitation)
    answered = await alice.expect_edit()
    assert "Придёте?" not in answered.text and answered.text.endswith("Ваш ответ: буду ✅")
    assert answered.buttons == ["✓ Буду", "Не смогу"]

    # The day before, 09:00 in Moscow: the reminder has the place and the answer, no question.
    world.clock.set(datetime(2020, 12, 14, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    reminder = await alice.expect_reply()
    if reminder.text.startswith("Доброе утро"):  # a Monday: the weekly digest comes too
        reminder = await alice.expect_reply()
    assert "Завтра семинар" in reminder.text
    assert "14:00 по Екатеринбургу (12:00 по Москве)" in reminder.text
    assert "Где: https://meet.example.org/kurator" in reminder.text
    assert "Придёте?" not in reminder.text and "Ваш ответ: буду ✅" in reminder.text
    assert reminder.buttons == ["✓ Буду", "Не смогу"]
    await alice.press("Не смогу", reminder)
    changed = await alice.expect_edit()
    assert changed.text.endswith("Ваш ответ: не смогу") and "буду ✅" not in changed.text
    async with world.app.session_factory() as session:
        answers = list(await session.scalars(select(Attendance.answer)))
    assert [a.value for a in answers] == ["no"]

    # "Не смогу": the reminder due hours before the seminar is not sent to her.
    for hour in range(1, 10):
        world.clock.set(datetime(2020, 12, 15, hour, 0, tzinfo=UTC))  # type: ignore[attr-defined]
        await world.app.reminders.tick(force_plan=True)
        await world.app.settled()
    await alice.expect_silence(wait=0.3)
    async with world.app.session_factory() as session:
        soon = list(
            await session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.kind == "seminar_soon")
            )
        )
    assert soon and all(status == OutboxStatus.CANCELLED for status in soon), soon
