"""Issue 27, trust round three, end to end: each finding replayed through the emulator as the
people involved would meet it (deputies, self-review, directions, observers, forged report
buttons), each test failing on the code before the fix."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import pytest
from docx import Document
from sqlalchemy import select

from bot import texts
from bot.callbacks import AwayAct, ReportMake, ReviewAct
from bot.pacing import PaceLimits
from bot.settings import Settings
from core.clock import ManualClock
from core.invitations import create_invitation
from core.roles import Role
from core.states import AssignmentStatus, SubmissionStatus
from db.models import (
    Absence,
    Activity,
    Assignment,
    Direction,
    DirectionSchool,
    Plan,
    PlanSchool,
    Submission,
)
from emulator import EmulatorServer, FakeUser, RateLimits
from emulator.client import BotMessage
from tests.harness import World, emulator_server
from tests.people import user_id_of

WEBAPP = "https://kurator.test/app/"
DUE = date(2020, 11, 20)
AWAY = "/away 02.11–04.11"  # three days from today (the clock's Monday, 2 November)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))  # Monday, 09:00 in Moscow


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": WEBAPP, "webhook_port": 0})


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[EmulatorServer]:
    # Permissions, not Telegram's pace, are under test: both sides lift the per-chat limit.
    async with emulator_server(RateLimits.off(), now=lambda: clock.now().timestamp()) as srv:
        yield srv


@pytest.fixture
async def world(world: World) -> World:
    world.app.pacer.configure(PaceLimits(private_per_second=1000.0, private_burst=1000))
    return world


# --- the world -------------------------------------------------------------------------------


@dataclass
class PlanIds:
    plan: int
    directions: dict[str, int] = field(default_factory=dict)  # code -> id
    items: dict[tuple[str, int], int] = field(default_factory=dict)  # (title, school) -> item


async def _plan(
    world: World, title: str, schools: list[int], items: list[tuple[str, str | None]]
) -> PlanIds:
    """A plan of `schools`, each with every item (title, direction code or None), due DUE."""
    async with world.app.session_factory() as session, session.begin():
        now = world.clock.now()
        plan = Plan(
            title=title, timezone="Europe/Moscow", settings={}, created_at=now, updated_at=now
        )
        session.add(plan)
        await session.flush()
        ids = PlanIds(plan.id)
        session.add_all(PlanSchool(plan_id=plan.id, school_id=s) for s in schools)
        for code in sorted({c for _, c in items if c}):
            direction = Direction(
                plan_id=plan.id,
                code=code,
                title=f"Направление {code}",
                position=len(ids.directions),
            )
            session.add(direction)
            await session.flush()
            ids.directions[code] = direction.id
            session.add_all(
                DirectionSchool(direction_id=direction.id, school_id=s) for s in schools
            )
        for position, (item, in_direction) in enumerate(items):
            activity = Activity(
                plan_id=plan.id, direction_id=ids.directions.get(in_direction or ""),
                source_key=f"k{position}", title=item, due_date=DUE, number=str(position + 1),
                period_kind="deadline", period_flags=[], position=position,
            )  # fmt: skip
            session.add(activity)
            await session.flush()
            for school in schools:
                assignment = Assignment(
                    activity_id=activity.id, school_id=school, status=AssignmentStatus.OPEN,
                    due_date=DUE, version=1, updated_at=now,
                )  # fmt: skip
                session.add(assignment)
                await session.flush()
                ids.items[(item, school)] = assignment.id
    return ids


async def _join(
    world: World,
    person: FakeUser | str,
    role: Role,
    school: int | None = None,
    plan: int | None = None,
    direction: int | None = None,
) -> FakeUser:
    """`person` (a new one when a name is given) redeems an invitation to `role`."""
    if isinstance(person, str):
        first, last = person.split()
        person = await world.person(first, last)
    async with world.app.session_factory() as session, session.begin():
        created = await create_invitation(
            session, world.clock, role=role, school_id=school, plan_id=plan,
            direction_id=direction,
        )  # fmt: skip
    await person.send(f"/start {created.code}")
    await person.expect_reply()
    return person


async def _user_id(world: World, person: FakeUser) -> int:
    async with world.app.session_factory() as session:
        return await user_id_of(session, person.id)


async def _pending(world: World, assignment_id: int, author: FakeUser, comment: str) -> int:
    """A submission of the item waiting for review (handed in by `author`)."""
    author_id = await _user_id(world, author)
    async with world.app.session_factory() as session, session.begin():
        assignment = await session.get(Assignment, assignment_id)
        assert assignment is not None
        assignment.status = AssignmentStatus.SUBMITTED
        submission = Submission(
            assignment_id=assignment_id, user_id=author_id, comment=comment,
            status=SubmissionStatus.PENDING, created_at=world.clock.now(),
        )  # fmt: skip
        session.add(submission)
        await session.flush()
        return submission.id


async def _submission_status(world: World, submission_id: int) -> SubmissionStatus:
    async with world.app.session_factory() as session:
        submission = await session.get(Submission, submission_id)
        assert submission is not None
        return submission.status


async def _deputy(world: World, absent: FakeUser) -> int | None:
    """The deputy of the person's current absence."""
    absent_id = await _user_id(world, absent)
    async with world.app.session_factory() as session:
        absence = await session.scalar(
            select(Absence).where(Absence.user_id == absent_id, Absence.ended_at.is_(None))
        )
        assert absence is not None
        return absence.deputy_id


async def _absence_id(world: World, absent: FakeUser) -> int:
    absent_id = await _user_id(world, absent)
    async with world.app.session_factory() as session:
        found = await session.scalar(select(Absence.id).where(Absence.user_id == absent_id))
        assert found is not None
        return found


# --- the chat --------------------------------------------------------------------------------


async def _next_with(person: FakeUser, text: str) -> BotMessage:
    """The next message containing `text` (notices and files may come in between)."""
    while True:
        message = await person.expect_reply()
        if text in message.text:
            return message


async def _anchor(person: FakeUser) -> BotMessage:
    """A message of the bot's to press forged buttons under (as a stale or crafted one)."""
    await person.send("/help")
    return await _next_with(person, "Команды:")


async def _settled(person: FakeUser) -> None:
    """Everything the person sent is handled: a chat is handled in order."""
    await _anchor(person)


async def _card(person: FakeUser, title: str, view: str | None = None) -> BotMessage:
    """The item's card, opened from /my (switched to `view`, a button, first) by its number."""
    await person.send("/my")
    listing = await _next_with(person, "Все открытые")
    if view is not None:
        await person.press(view, listing)
        listing = await person.expect_edit()
    number = next(
        line.split(".")[0].strip()
        for line in listing.text.splitlines()
        if title in line and line.split(".")[0].strip().isdigit()
    )
    await person.press(number, listing)
    return await _next_with(person, title)


async def _hand_in(
    curator: FakeUser, title: str, comment: str, files: tuple[tuple[str, bytes], ...] = ()
) -> None:
    """✅ Выполнено on the item's card with a comment and files, then ✅ Отправить."""
    card = await _card(curator, title)
    await curator.press("✅ Выполнено", card)
    await _next_with(curator, "Отмечаем выполнение")
    await curator.send(comment)
    await _next_with(curator, "комментарий есть")
    for file in files:
        await curator.upload(file)
        await _next_with(curator, "Файлов:")
    await curator.press("✅ Отправить")
    await _next_with(curator, "Отправлено на проверку")


async def _accept(reviewer: FakeUser, curator: FakeUser, title: str) -> None:
    """The reviewer accepts the item's review request from the chat; the curator hears of it."""
    request = await _next_with(reviewer, "На проверку")
    while title not in request.text:
        request = await _next_with(reviewer, "На проверку")
    answer = await reviewer.press("✅ Принять", request)
    assert answer is not None and "Принято" in str(answer["text"]), answer
    await _next_with(curator, "Принято")


async def _document(world: World, message: BotMessage) -> bytes:
    """The bytes of a document the bot sent."""
    file = await world.app.bot.get_file(message.raw["document"]["file_id"])
    data = await world.app.bot.download_file(file.file_path or "")
    assert data is not None
    return data.read()


# --- the dashboard ---------------------------------------------------------------------------


class Dashboard:
    """The dashboard's API as its page calls it, for one person."""

    def __init__(self, world: World, authorization: str) -> None:
        self.base = f"http://127.0.0.1:{world.app.web_port}/app/"
        self.headers = {"Authorization": authorization}

    async def call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http:
            verb = http.post if body is not None else http.get
            async with verb(self.base + path, headers=self.headers, json=body) as response:
                return response.status, await response.json(content_type=None)

    async def ok(self, path: str) -> Any:
        status, answer = await self.call(path)
        assert status == 200, answer
        return answer


async def _dashboard(world: World, person: FakeUser) -> Dashboard:
    """The page opened from the chat: its signed initData traded for a session."""
    init_data = (await world.client.web_app_data(person.id))["init_data"]
    page = Dashboard(world, f"tma {init_data}")
    try:
        status, answer = await page.call("api/session", {})
    except ValueError:  # not JSON: a build before the exchange, which took initData itself
        return page
    assert status == 200, answer
    return Dashboard(world, f"Bearer {answer['token']}")


# --- 1. a coordinator of one plan never reaches another through a deputy ---------------------


@dataclass
class TwoPlans:
    irina: FakeUser  # a curator of school A (plan 1) and a coordinator of plan 2
    ksenia: FakeUser  # a coordinator of plan 1 only
    petr: FakeUser  # a coordinator of plan 2
    first: PlanIds
    second: PlanIds
    foreign: int  # plan 2's submission (by school B's curator) waiting for review


async def _two_plans(world: World) -> TwoPlans:
    school_a = await world.add_school("Школа А", timezone="Europe/Moscow")
    school_b = await world.add_school("Школа Б", timezone="Europe/Moscow")
    first = await _plan(world, "План один", [school_a], [("Пункт плана один", None)])
    second = await _plan(world, "План два", [school_b], [("Пункт плана два", None)])
    irina = await _join(world, "Ирина Иванова", Role.CURATOR, school_a)
    await _join(world, irina, Role.COORDINATOR, plan=second.plan)
    ksenia = await _join(world, "Ксения Петрова", Role.COORDINATOR, plan=first.plan)
    petr = await _join(world, "Пётр Сидоров", Role.COORDINATOR, plan=second.plan)
    boris = await _join(world, "Борис Орлов", Role.CURATOR, school_b)
    foreign = await _pending(
        world, second.items[("Пункт плана два", school_b)], boris, "отчёт школы Б"
    )
    return TwoPlans(irina, ksenia, petr, first, second, foreign)


async def _no_plan_two_for(world: World, w: TwoPlans, person: FakeUser) -> None:
    """Neither the dashboard nor the chat gives the person plan 2's matrix or its decisions."""
    page = await _dashboard(world, person)
    plans = (await page.ok("api/plans"))["plans"]
    assert [p["id"] for p in plans] == [w.first.plan], plans
    status, answer = await page.call(f"api/matrix?plan={w.second.plan}")
    assert status == 403, answer
    status, answer = await page.call("api/review", {"submission": w.foreign, "accept": True})
    assert status == 403, answer
    press = ReviewAct(action="accept", submission_id=w.foreign).pack()
    answer = await person.press_data(await _anchor(person), press)
    assert answer is not None and answer["text"] == texts.work_error("forbidden"), answer
    assert await _submission_status(world, w.foreign) == SubmissionStatus.PENDING


def _refused(answer: dict[str, Any] | None) -> None:
    """A deputy press answered with an alert that says why not."""
    assert answer is not None and answer["show_alert"], answer
    assert str(answer["text"]).startswith("Нельзя назначить"), answer


async def test_a_coordinator_of_another_plan_cannot_replace_the_chosen_deputy(
    world: World,
) -> None:
    w = await _two_plans(world)
    await w.irina.send(AWAY)
    ask = await w.irina.expect_reply("Кто вас замещает?")
    await w.irina.press("Пётр Сидоров", ask)
    assert "Замещает: Пётр Сидоров" in (await w.irina.expect_edit()).text
    petr_id = await _user_id(world, w.petr)
    absence = await _absence_id(world, w.irina)

    # Ксения asks for the choices of Ирина's absence, then names herself: both refused, why said.
    ksenia_id = await _user_id(world, w.ksenia)
    for press in (
        AwayAct(action="pick", absence_id=absence),
        AwayAct(action="dep", absence_id=absence, user_id=ksenia_id),
    ):
        _refused(await w.ksenia.press_data(await _anchor(w.ksenia), press.pack()))
        assert await _deputy(world, w.irina) == petr_id
    await _settled(w.ksenia)
    assert await _deputy(world, w.irina) == petr_id

    # For the days of the absence Ксения holds nothing of plan 2.
    await _no_plan_two_for(world, w, w.ksenia)


async def test_a_deputy_who_coordinates_one_plan_gains_no_other_plan(world: World) -> None:
    w = await _two_plans(world)
    await w.irina.send(AWAY)
    ask = await w.irina.expect_reply("Кто вас замещает?")
    # Ксения may stand in at school A (plan 1, which she coordinates): Ирина chooses her.
    await w.irina.press("Ксения Петрова", ask)
    assert "Замещает: Ксения Петрова" in (await w.irina.expect_edit()).text
    await world.app.reminders.tick(force_plan=True)
    await _next_with(w.ksenia, "Вы замещаете: Ирина Иванова")

    # She works on school A's items for Ирина…
    await w.ksenia.send("/my")
    listing = await _next_with(w.ksenia, "Все открытые")
    assert "Пункт плана один" in listing.text and "Ирина Иванова" in listing.text
    # …but Ирина's coordinator role of plan 2 is not hers to hold.
    await _no_plan_two_for(world, w, w.ksenia)


async def test_a_coordinator_names_a_deputy_only_of_her_plan_and_only_while_none_is_set(
    world: World,
) -> None:
    w = await _two_plans(world)
    maria = await _join(world, "Мария Смирнова", Role.COORDINATOR, plan=w.first.plan)
    await w.irina.send(AWAY)
    ask = await w.irina.expect_reply("Кто вас замещает?")
    await w.irina.press(texts.BTN_NO_DEPUTY, ask)
    assert "Замещающего нет" in (await w.irina.expect_edit()).text
    await world.app.reminders.tick(force_plan=True)

    # School A is left unreachable: plan 1's coordinators are told, with a button.
    notice = await _next_with(w.ksenia, "Школа без связи")
    assert "Ирина Иванова" in notice.text
    await w.ksenia.press(texts.BTN_PICK_DEPUTY, notice)
    choices = await _next_with(w.ksenia, "Кто вас замещает?")
    # Only people standing in within plan 1: not plan 2's coordinator, and never "nobody".
    assert sorted(choices.buttons) == ["Ксения Петрова", "Мария Смирнова"], choices.buttons
    await w.ksenia.press("Ксения Петрова", choices)
    assert "замещает Ксения Петрова" in (await w.ksenia.expect_edit()).text
    ksenia_id = await _user_id(world, w.ksenia)
    assert await _deputy(world, w.irina) == ksenia_id

    # Named once, never replaced by a coordinator: neither Мария from her notice nor Ксения
    # from hers, nor by the other name of her list (its buttons are gone: pressed as stale).
    maria_id = await _user_id(world, maria)
    absence = await _absence_id(world, w.irina)
    stale = AwayAct(action="dep", absence_id=absence, user_id=maria_id).pack()
    _refused(await maria.press(texts.BTN_PICK_DEPUTY, await _next_with(maria, "без связи")))
    _refused(await w.ksenia.press(texts.BTN_PICK_DEPUTY, notice))
    _refused(await w.ksenia.press_data(choices, stale))
    await _settled(w.ksenia)
    await _settled(maria)
    assert await _deputy(world, w.irina) == ksenia_id
    # Ирина herself still may change her deputy.
    answer = await w.irina.press_data(ask, stale)
    assert answer is not None and not answer["text"], answer
    assert "Замещает: Мария Смирнова" in (await w.irina.expect_edit()).text
    assert await _deputy(world, w.irina) == maria_id


# --- 2. nobody reviews their own work --------------------------------------------------------


async def test_a_coordinator_standing_in_never_reviews_what_they_sent(world: World) -> None:
    school = await world.add_school("Школа А", timezone="Europe/Moscow")
    ids = await _plan(world, "План один", [school], [("Отчёт о практике", None)])
    alice = await _join(world, "Алиса Кузнецова", Role.CURATOR, school)
    boris = await _join(world, "Борис Орлов", Role.COORDINATOR, plan=ids.plan)
    olga = await _join(world, "Ольга Морозова", Role.COORDINATOR, plan=ids.plan)
    await alice.send(AWAY)
    ask = await alice.expect_reply("Кто вас замещает?")
    await alice.press("Борис Орлов", ask)
    assert "Замещает: Борис Орлов" in (await alice.expect_edit()).text
    await world.app.reminders.tick(force_plan=True)
    await _next_with(boris, "Вы замещаете: Алиса Кузнецова")

    # Борис stands in for Алиса and hands the item in.
    await _hand_in(boris, "Отчёт о практике", "сделано за Алису")
    async with world.app.session_factory() as session:
        submission = await session.scalar(select(Submission))
        assert submission is not None and submission.user_id == await _user_id(world, boris)
    request = await _next_with(olga, "На проверку")
    assert "Отчёт о практике" in request.text

    # He may neither accept nor return it: in chat…
    for action in ("accept", "return"):
        press = ReviewAct(action=action, submission_id=submission.id).pack()
        answer = await boris.press_data(await _anchor(boris), press)
        assert await _submission_status(world, submission.id) == SubmissionStatus.PENDING
        own_work = texts.work_error("own_work")
        assert answer is not None and answer["text"] == own_work, (action, answer)
    # …nor on the dashboard, whose card offers no decision.
    page = await _dashboard(world, boris)
    card = await page.ok(f"api/card?activity={await _activity(world, ids.plan)}&school={school}")
    assert card["status"] == "submitted" and not card["canReview"], card
    for accept, comment in ((True, None), (False, "переделать")):
        body = {"submission": submission.id, "accept": accept, "comment": comment}
        status, answer = await page.call("api/review", body)
        assert (status, answer["error"]) == (409, own_work), answer
    assert await _submission_status(world, submission.id) == SubmissionStatus.PENDING

    # Another coordinator of the plan decides, and the request told her why it is hers.
    assert "координатор" in request.text and "не проверяет" in request.text
    answer = await olga.press("✅ Принять", request)
    assert answer is not None and "Принято" in str(answer["text"]), answer
    assert await _submission_status(world, submission.id) == SubmissionStatus.ACCEPTED


async def _activity(world: World, plan_id: int) -> int:
    async with world.app.session_factory() as session:
        found = await session.scalar(select(Activity.id).where(Activity.plan_id == plan_id))
        assert found is not None
        return found


# --- 3. a direction's coordinator gets only that direction's evidence ------------------------

FIRST_FILE, SECOND_FILE = "первое.pdf", "второе.pdf"
FIRST_NOTE, SECOND_NOTE = "отчёт первого направления", "отчёт второго направления"


async def test_a_direction_coordinator_gets_only_that_directions_evidence_and_comments(
    world: World,
) -> None:
    school = await world.add_school("Школа А", timezone="Europe/Moscow")
    ids = await _plan(
        world, "План с направлениями", [school], [("Пункт первый", "I"), ("Пункт второй", "II")]
    )
    alice = await _join(world, "Алиса Кузнецова", Role.CURATOR, school)
    olga = await _join(world, "Ольга Морозова", Role.COORDINATOR, plan=ids.plan)
    dina = await _join(
        world, "Дина Волкова", Role.COORDINATOR, plan=ids.plan, direction=ids.directions["I"]
    )
    for title, note, name in (
        ("Пункт первый", FIRST_NOTE, FIRST_FILE),
        ("Пункт второй", SECOND_NOTE, SECOND_FILE),
    ):
        await _hand_in(alice, title, note, ((name, b"%PDF-1.4 " + name.encode() * 50),))
        await _accept(olga, alice, title)
    await world.app.settled()  # the copies are made after each submission
    await world.app.evidence.sweep()

    # /evidence: direction I's file and comment, nothing of direction II.
    await dina.send("/evidence")
    archive = await _document(world, await _next_with(dina, "Материалы"))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        names = opened.namelist()
        index = opened.read("опись.csv").decode("utf-8-sig")
    assert any(n.endswith(FIRST_FILE) for n in names), names
    assert not any(SECOND_FILE in n for n in names), names
    rows = list(csv.reader(io.StringIO(index), delimiter=";"))
    assert any(FIRST_NOTE in cell for row in rows for cell in row), rows
    assert not any(SECOND_FILE in cell or SECOND_NOTE in cell for row in rows for cell in row)

    # /report → Word: direction I's comment and file, nothing of direction II.
    await dina.send("/report")
    offer = await _next_with(dina, "Отчёт по плану")
    await dina.press(texts.REPORT_BUTTONS["docx"], offer)
    report = await _next_with(dina, "📊 Отчёт по школам")
    document = await asyncio.to_thread(Document, io.BytesIO(await _document(world, report)))
    words = [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    ]
    assert any(FIRST_NOTE in t for t in words) and any(FIRST_FILE in t for t in words), words
    assert not any(SECOND_NOTE in t or SECOND_FILE in t for t in words), words


# --- 4. observers see statuses, never evidence -----------------------------------------------

SECRET_NOTE, SECRET_FILE = "секретный комментарий куратора", "приказ-секрет.pdf"


async def _observed(world: World) -> tuple[FakeUser, int, int]:
    """An observer of a school whose curator handed in an item with a comment and a file:
    (the observer, the school, the item's activity)."""
    school = await world.add_school("Школа А", timezone="Europe/Moscow")
    ids = await _plan(world, "План один", [school], [("Сданный пункт", None), ("Другой", None)])
    alice = await _join(world, "Алиса Кузнецова", Role.CURATOR, school)
    ivan = await _join(world, "Иван Наблюдателев", Role.OBSERVER, school)
    olga = await _join(world, "Ольга Морозова", Role.COORDINATOR, plan=ids.plan)
    await _hand_in(alice, "Сданный пункт", SECRET_NOTE, ((SECRET_FILE, b"%PDF-1.4 secret"),))
    await _next_with(olga, "На проверку")
    return ivan, school, await _activity_titled(world, "Сданный пункт")


async def test_an_observer_sees_the_status_but_no_comment_or_file(world: World) -> None:
    ivan, school, activity = await _observed(world)

    # The chat card: the status, no comment, no file names.
    card = await _card(ivan, "Сданный пункт", view="✅ Готово")
    assert "Статус: на проверке" in card.text, card.text
    assert SECRET_NOTE not in card.text and SECRET_FILE not in card.text, card.text
    assert "Файлы:" not in card.text and "Комментарий:" not in card.text, card.text

    # The dashboard card: the same.
    page = await _dashboard(world, ivan)
    found = await page.ok(f"api/card?activity={activity}&school={school}")
    assert (found["status"], found["statusName"]) == ("submitted", "на проверке"), found
    assert not found["comment"] and not found["files"] and not found["canReview"], found
    assert SECRET_FILE not in str(found), found


async def test_an_observer_reads_no_comment_in_the_items_history(world: World) -> None:
    ivan, school, activity = await _observed(world)
    card = await _card(ivan, "Сданный пункт", view="✅ Готово")
    await ivan.press(texts.BTN_HISTORY, card)
    history = await _next_with(ivan, "История")
    page = await _dashboard(world, ivan)
    found = await page.ok(f"api/card?activity={activity}&school={school}")
    assert "на проверку" in history.text and found["history"], (history.text, found)
    assert SECRET_NOTE not in history.text, history.text
    assert not [line for line in found["history"] if SECRET_NOTE in line], found["history"]


async def _activity_titled(world: World, title: str) -> int:
    async with world.app.session_factory() as session:
        found = await session.scalar(select(Activity.id).where(Activity.title == title))
        assert found is not None
        return found


# --- 5. a school's report only of a plan the school takes part in ----------------------------


async def test_a_forged_school_report_of_another_plan_is_refused(world: World) -> None:
    school_a = await world.add_school("Школа А", timezone="Europe/Moscow")
    school_b = await world.add_school("Школа Б", timezone="Europe/Moscow")
    await _plan(world, "План один", [school_a], [("Пункт плана один", None)])
    second = await _plan(world, "Чужой план два", [school_b], [("Чужой пункт", None)])
    alice = await _join(world, "Алиса Кузнецова", Role.CURATOR, school_a)
    await alice.send("/report")
    offer = await _next_with(alice, "Отчёт по плану")
    assert offer.buttons == ["📄 Word: Школа А"], offer.buttons  # her school's own report

    forged = ReportMake(plan_id=second.plan, kind="school", school_id=school_a).pack()
    answer = await alice.press_data(offer, forged)
    assert answer is not None and answer["show_alert"], answer
    assert answer["text"] == texts.NOT_IN_SCOPE, answer
    await _settled(alice)
    await world.app.settled()
    sent = [e["message"] for e in await world.client.log(alice.id) if e["kind"] == "new"]
    assert not [m for m in sent if "document" in m], sent
    assert not [m for m in sent if "Чужой план два" in str(m)], sent
