"""Time off end to end: holidays and transfers, a pause and its summary, away with a deputy,
deadline requests and moves, re-import keeping moved dates — through the emulator."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.callbacks import DeadlineDecision
from bot.cli_admin import EVERYTHING
from core import admin
from core.clock import ManualClock
from core.plan_import import import_plan
from core.reminders import preview
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Activity, Assignment, AuditEntry, DeadlineChange, Plan, PlanSchool
from importer.csv_reader import read_csv
from importer.interpret import interpret
from tests.harness import World
from tests.people import ON_BOTH, Person, Said, user_id_of

MSK = ZoneInfo("Europe/Moscow")
PLAN_CSV = """План мероприятий на 2020-2021 учебный год
№;Мероприятие;Срок;Ответственные
1;Отчёт о работе;10.11.2020;ОО
2;Анализ результатов;30.11.2020;ОО
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


def _autumn_2024(world: World) -> None:
    world.clock.set(datetime(2024, 10, 20, 0, 0, tzinfo=UTC))  # type: ignore[attr-defined]


async def _join(world: World, name: str, role: Role, school: int | None = None) -> Person:
    return await world.member(name, role, school, "Тестова")


async def _plan(world: World, schools: list[int], items: list[tuple[str, date]]) -> int:
    """A plan whose schools all have the items, due as given."""
    async with world.app.session_factory() as session, session.begin():
        now = world.clock.now()
        plan = Plan(
            title="План на осень", timezone="Europe/Moscow", settings={}, created_at=now,
            updated_at=now,
        )  # fmt: skip
        session.add(plan)
        await session.flush()
        for school in schools:
            session.add(PlanSchool(plan_id=plan.id, school_id=school))
        for position, (title, due) in enumerate(items):
            activity = Activity(
                plan_id=plan.id, source_key=f"k{position}", title=title, due_date=due,
                number=str(position + 1), period_kind="deadline", period_flags=[],
                position=position,
            )  # fmt: skip
            session.add(activity)
            await session.flush()
            for school in schools:
                session.add(
                    Assignment(
                        activity_id=activity.id,
                        school_id=school,
                        status=AssignmentStatus.OPEN,
                        due_date=due,
                        version=1,
                        updated_at=now,
                    )
                )
        return plan.id


async def _run_until(world: World, until: datetime, step: timedelta = timedelta(hours=3)) -> None:
    while world.clock.now() < until:
        world.clock.advance(step)  # type: ignore[attr-defined]
        await world.app.reminders.tick()


async def _received(world: World, person: Person) -> list[tuple[date, str]]:
    """(local day, text) of every new message the bot sent the person."""
    return [(moment.astimezone(MSK).date(), text) for moment, text in await world.received(person)]


async def _next_with(person: Person, text: str):  # a Said of its messenger
    """The next message containing `text` (reminders and digests may come in between)."""
    while True:
        message = await person.expect_reply()
        if text in message.text:
            return message


async def test_holidays_and_transfers_send_nothing_on_days_off_and_remind_before(
    world: World,
) -> None:
    _autumn_2024(world)
    school = await world.add_school("Школа 1", timezone="Europe/Moscow")
    alice = await _join(world, "Алиса", Role.CURATOR, school)
    plan_id = await _plan(
        world,
        [school],
        [
            ("Отчёт в каникулы", date(2024, 10, 30)),
            ("Праздничный срок", date(2024, 11, 4)),
            ("После праздника", date(2024, 11, 5)),
        ],
    )
    added = await world.cli(
        "plan", "holidays", str(plan_id), "add", "2024-10-28..2024-11-01", "осенние"
    )
    assert "каникулы 1: 28.10.2024–01.11.2024 осенние" in added.stdout, added.stdout
    listed = await world.cli("plan", "holidays", str(plan_id), "list")
    assert "осенние" in listed.stdout
    await _run_until(world, datetime(2024, 11, 12, 12, 0, tzinfo=UTC))
    # Over now, still listed by the command line, marked as past.
    listed = await world.cli("plan", "holidays", str(plan_id), "list")
    assert "28.10.2024–01.11.2024\tосенние\t(прошли)" in listed.stdout, listed.stdout

    received = await _received(world, alice)
    days = {day for day, _ in received}
    off = {date(2024, 10, 26), date(2024, 10, 27), date(2024, 11, 3), date(2024, 11, 4)}
    holidays = {date(2024, 10, 28) + timedelta(days=n) for n in range(5)}
    assert not days & (off | holidays), sorted(days & (off | holidays))
    # 2 November 2024 was a working Saturday (the government moved the day off): reminders come.
    assert date(2024, 11, 2) in days
    friday = [text for day, text in received if day == date(2024, 10, 25)]
    # Everything due in (or right after) the holidays: reminded on the Friday before them.
    for title in ("Отчёт в каникулы", "Праздничный срок", "После праздника"):
        assert any(title in text for text in friday), (title, friday)
    holiday_due = [text for day, text in received if "Праздничный срок" in text]
    assert any("праздничный день" in text for text in holiday_due)

    result = await world.cli(
        "reminders", "plan", "--from", "2024-10-24", "--to", "2024-11-06", "--json"
    )
    rows = json.loads(result.stdout)
    reasons = {r["why"] for r in rows if r["kind"] == "day_off"}
    assert "праздник: День народного единства" in reasons and "каникулы: осенние" in reasons
    moved = [r for r in rows if r.get("moved_from")]
    assert moved and all(r["why"] for r in moved)
    text = await world.cli("reminders", "plan", "--from", "2024-10-24", "--to", "2024-11-06")
    assert "Выходные дни в окне:" in text.stdout and "перенесено с" in text.stdout


@ON_BOTH
async def test_a_pause_sends_nothing_and_one_summary_after(world: World) -> None:
    _autumn_2024(world)
    school = await world.add_school("Школа 2", timezone="Europe/Moscow")
    alice = await _join(world, "Алиса", Role.CURATOR, school)
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await _plan(
        world, [school], [("Срок в паузу", date(2024, 11, 12)), ("Срок после", date(2024, 11, 20))]
    )
    world.clock.set(datetime(2024, 11, 11, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await olga.send("/plans")
    await olga.press("1", await olga.expect_reply())
    card = await olga.expect_reply()
    await olga.press("🏖 Каникулы", card)
    listing = await olga.expect_reply("Каникулы и паузы")
    await olga.press("⏸ Поставить на паузу", listing)
    await olga.expect_reply("до какого дня пауза")
    await olga.send("по 15.11 карантин")
    confirmed = await olga.expect_reply("Пауза «карантин»")
    assert "11 ноября, пн – 15 ноября, пт" in confirmed.text
    await _run_until(world, datetime(2024, 11, 19, 12, 0, tzinfo=UTC))

    received = await _received(world, alice)
    paused = [d for d, _ in received if date(2024, 11, 11) <= d <= date(2024, 11, 15)]
    assert not paused, "\n".join(f"{d} {t[:60]!r}" for d, t in received)
    monday = [text for day, text in received if day == date(2024, 11, 18)]
    summaries = [t for t in monday if "Пауза закончилась" in t]
    assert len(summaries) == 1, monday
    assert "Срок в паузу" in summaries[0] and "Срок после" in summaries[0]
    assert "Просрочено: 1" in summaries[0]
    assert not [t for t in monday if t.startswith("⏰")], monday  # no burst of the missed ones


@ON_BOTH
async def test_away_with_a_deputy_who_completes_an_item(world: World) -> None:
    _autumn_2024(world)
    school = await world.add_school("Школа 3", timezone="Europe/Moscow")
    alice = await world.member("Алиса", Role.CURATOR, school, "Тестова")
    # The deputy coordinates the plan: an observer of the school may not take a curator's role.
    boris = await world.member("Борис", Role.COORDINATOR, last_name="Тестова")
    olga = await world.member("Ольга", Role.COORDINATOR, last_name="Тестова")
    await _plan(world, [school], [("Отчёт о практике", date(2024, 11, 20))])
    world.clock.set(datetime(2024, 11, 15, 5, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await alice.send("/away 18.11–22.11")
    ask = await alice.expect_reply("Кто вас замещает?")
    assert "Борис Тестова" in ask.buttons and "Без замещающего" in ask.buttons
    await alice.press("Борис Тестова", ask)
    assert "Замещает: Борис Тестова" in (await alice.expect_edit()).text
    await world.app.reminders.tick(force_plan=True)
    told = await boris.expect_reply("Вы замещаете: Алиса Тестова")
    assert "18 ноября, пн – 22 ноября, пт" in told.text

    await _run_until(world, datetime(2024, 11, 19, 7, 0, tzinfo=UTC))
    reminder = await _next_with(boris, "За коллегу: Алиса Тестова")
    assert "Отчёт о практике" in reminder.text
    assert not [t for d, t in await _received(world, alice) if d >= date(2024, 11, 18)]
    await olga.send("/status")
    status = await _next_with(olga, "Всего")
    assert "Нет на месте" in status.text and "замещает Борис Тестова" in status.text
    await olga.send("/people")
    assert "🏖 нет до 22 ноября, пт включительно" in (await _next_with(olga, "Люди")).text

    await boris.send("/my")  # the colleague's items say whose they are
    assert "👥 за коллегу: Алиса Тестова" in (await boris.expect_reply("Все открытые")).text
    await boris.press("✅ Выполнено", reminder)
    await boris.expect_reply("Отмечаем выполнение")
    await boris.send("сделано за Алису")
    await boris.expect_reply("комментарий есть")
    await boris.press("✅ Отправить")
    await boris.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    # Борис cannot accept his own work ("Борис Тестова": said without a gendered verb).
    assert "Отправлено координатором плана" in request.text
    assert "Кто отправил: Борис Тестова (за коллегу: Алиса Тестова)" in request.text
    async with world.app.session_factory() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "assignment.submit")
        )
        assert entry is not None and (entry.after or {}).get("for_name") == "Алиса Тестова"
    await olga.press("✅ Принять", request)

    # Back on Saturday the 23rd: the summary comes on Monday the 25th, once.
    await _run_until(world, datetime(2024, 11, 26, 12, 0, tzinfo=UTC))
    back = [t for d, t in await _received(world, alice) if "С возвращением" in t]
    assert len(back) == 1
    # A name whose parts disagree ("Борис Тестова") is said without a gendered verb.
    assert "Борис Тестова (за вас): отправлено на проверку: «Отчёт о практике»" in back[0]
    assert "Ольга Тестова приняла" in back[0] and "(а)" not in back[0]

    # The item's history says who acted for whom.
    await olga.send("/status")
    async with world.app.session_factory() as session:
        assignment_id = await session.scalar(select(Assignment.id))
    from core.audit import item_history

    async with world.app.session_factory() as session:
        lines = await item_history(session, int(assignment_id or 0))
    assert any((line.after or {}).get("for_name") == "Алиса Тестова" for line in lines)


async def test_a_deputy_switched_off_gets_nothing_and_no_deputy_tells_the_coordinator(
    world: World,
) -> None:
    _autumn_2024(world)
    school = await world.add_school("Школа 4", timezone="Europe/Moscow")
    alice = await _join(world, "Алиса", Role.CURATOR, school)
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    await _plan(world, [school], [("Отчёт", date(2024, 10, 30))])
    await alice.send("/away 23.10–31.10")
    ask = await alice.expect_reply("Кто вас замещает?")
    await alice.press("Без замещающего", ask)
    await alice.expect_edit()
    await world.app.reminders.tick(force_plan=True)
    alert = await olga.expect_reply("Школа без связи")
    assert "Алиса Тестова" in alert.text
    await olga.press("👥 Назначить замещающего", alert)
    choices = await olga.expect_reply("Кто вас замещает?")
    await olga.press("Ольга Тестова", choices)
    assert "замещает Ольга Тестова" in (await olga.expect_edit()).text
    await world.app.reminders.tick(force_plan=True)
    await olga.expect_reply("Вы замещаете: Алиса Тестова")

    since, until = datetime(2024, 10, 22, tzinfo=UTC), datetime(2024, 11, 2, tzinfo=UTC)
    async with world.app.session_factory() as session:
        planned = await preview(session, since, until, "Europe/Moscow")
        olga_id = await user_id_of(session, olga.id)
    assert any(r.person.user_id == olga_id and r.payload.get("for_user_id") for r in planned)
    async with world.app.session_factory() as session, session.begin():
        await admin.set_active(session, world.clock, EVERYTHING, None, olga_id, False)
    async with world.app.session_factory() as session:
        planned = await preview(session, since, until, "Europe/Moscow")
    assert not [r for r in planned if r.person.user_id == olga_id]


async def _card(person: Person, title: str = "Отчёт о работе") -> Said:
    """The item's card, opened from /my by its number in the list."""
    await person.send("/my")
    listing = await _next_with(person, "Все открытые")
    number = next(
        line.split(".")[0].strip()
        for line in listing.text.splitlines()
        if title in line and line.split(".")[0].strip().isdigit()
    )
    await person.press(number, listing)
    return await person.expect_reply()


async def _request(alice: Person, day: str, reason: str) -> None:
    card = await _card(alice)
    await alice.press("📅 Перенести срок", card)
    await alice.expect_reply("На какую дату")
    await alice.send(day)
    await alice.expect_reply("Почему нужен перенос")
    await alice.send(reason)
    await alice.expect_reply("отправлена координатору")


@ON_BOTH
async def test_deadline_requests_moves_and_a_reimport_that_keeps_them(world: World) -> None:
    first = await world.add_school("Школа 5", timezone="Europe/Moscow")
    second = await world.add_school("Школа 6", timezone="Europe/Moscow")
    alice = await _join(world, "Алиса", Role.CURATOR, first)
    bella = await _join(world, "Белла", Role.CURATOR, second)
    olga = await _join(world, "Ольга", Role.COORDINATOR)
    draft = interpret(read_csv(PLAN_CSV))
    async with world.app.session_factory() as session, session.begin():
        plan_id = (await import_plan(session, world.clock, draft, timezone="Europe/Moscow")).plan_id
        session.add_all([PlanSchool(plan_id=plan_id, school_id=s) for s in (first, second)])
        await session.flush()
        await import_plan(session, world.clock, draft, timezone="Europe/Moscow")
        activity = await session.scalar(
            select(Activity)
            .join(Assignment, Assignment.activity_id == Activity.id)
            .where(Activity.plan_id == plan_id, Assignment.school_id == first)
            .order_by(Assignment.due_date, Assignment.id)
            .limit(1)
        )
        assert activity is not None and activity.due_date is not None
        plan_due = activity.due_date

    # 1. Alice asks; Olga opens the item from the request and moves it for all schools instead.
    await _request(alice, "25.12.2020", "учитель на больничном")
    request = await _next_with(olga, "Просьба перенести срок")
    assert "учитель на больничном" in request.text and "Алиса Тестова" in request.text
    await olga.press("📄 Открыть пункт", request)
    card = await olga.expect_reply()
    await olga.press("📅 Перенести срок", card)
    await olga.press("Все школы", await olga.expect_reply("только для этой школы"))
    await olga.expect_reply("На какую дату")
    await olga.send("20.12.2020")
    await olga.expect_reply("Причина переноса")
    await olga.send("перенос семинара")
    moved = await olga.expect_reply("Срок перенесён")
    assert "для всех школ" in moved.text and "Пунктов изменено: 2" in moved.text
    await world.app.reminders.tick()
    for curator in (alice, bella):
        told = await _next_with(curator, "Срок перенесён")
        assert "20 декабря" in told.text and "перенос семинара" in told.text

    # 2. The request is still open: approved with its date for Alice's school only.
    await olga.press("✅ Перенести на 25.12", request)
    assert "✅ Перенесено на 25 декабря" in (await olga.expect_edit()).text
    await world.app.reminders.tick()
    assert "25 декабря" in (await _next_with(alice, "Срок перенесён")).text

    # 3. Another request: another date; then one declined.
    await _request(alice, "28.12.2020", "ещё неделя")
    again = await _next_with(olga, "Просьба перенести срок")
    await olga.press("📅 Другая дата", again)
    await olga.expect_reply("На какую дату")
    await olga.send("27.12.2020")
    await olga.expect_reply("Перенесено на 27 декабря")
    await world.app.reminders.tick()
    assert "просили 28 декабря" in (await _next_with(alice, "Срок перенесён")).text
    await _request(alice, "30.12.2020", "и ещё")
    last = await _next_with(olga, "Просьба перенести срок")
    await olga.press("✖️ Отклонить", last)
    await olga.expect_edit()
    await world.app.reminders.tick()
    assert "27 декабря" in (await _next_with(alice, "отклонён")).text
    async with world.app.session_factory() as session:
        declined = await session.scalar(select(func.max(DeadlineChange.id)))
    stale = await olga.press_data(
        last, DeadlineDecision(action="approve", change_id=int(declined or 0)).pack()
    )
    assert "уже решили" in str(stale)  # an old button cannot approve a declined request

    async with world.app.session_factory() as session:
        dues = dict(
            (
                await session.execute(
                    select(Assignment.school_id, Assignment.due_date).where(
                        Assignment.activity_id == activity.id, Assignment.school_id.is_not(None)
                    )
                )
            ).all()
        )
    assert dues == {first: date(2020, 12, 27), second: date(2020, 12, 20)}

    # The card and the history show it all; the XLSX has both dates.
    card = await _card(alice)
    assert "По плану было" in card.text
    await alice.press("🕓 История", card)
    history = await alice.expect_reply("История")
    assert "Алиса Тестова попросила перенести срок" in history.text
    assert "перенесла срок на 20.12.2020" in history.text
    assert "Ольга Тестова отклонила перенос срока" in history.text

    # 4. A re-import of the same file keeps both moves and names them.
    async with world.app.session_factory() as session, session.begin():
        report = await import_plan(session, world.clock, draft, timezone="Europe/Moscow")
    kept = {(k["kept"], k["file"]) for k in report.kept_deadlines}
    assert kept == {("2020-12-27", plan_due.isoformat()), ("2020-12-20", plan_due.isoformat())}
    async with world.app.session_factory() as session:
        after = dict(
            (
                await session.execute(
                    select(Assignment.school_id, Assignment.due_date).where(
                        Assignment.activity_id == activity.id, Assignment.school_id.is_not(None)
                    )
                )
            ).all()
        )
    assert after == dues
