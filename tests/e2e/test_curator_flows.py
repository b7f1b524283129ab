"""Curator flows end to end: /my, done with evidence, undo, postpone, review, permissions."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select, update

from bot import texts
from bot.settings import Settings
from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus, SubmissionStatus
from db.models import (
    Activity,
    Assignment,
    AuditEntry,
    EvidenceFile,
    OutboxMessage,
    Plan,
    Submission,
    User,
)
from emulator import FakeUser
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import TOKEN, World
from tests.people import ON_BOTH, Person, by_telegram, said, user_id_of
from tests.plan_files import seed_text

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    + b"\x00" * 40
)


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
        _env_file=None,
    )


async def _setup(world: World) -> tuple[FakeUser, FakeUser, int]:
    """A school, its curator Алиса and the coordinator Ольга in Telegram, and seed plan 001."""
    return await _setup_with(world, world.person)


async def _setup_here(world: World) -> tuple[Person, Person, int]:
    """As `_setup`, with Алиса and Ольга in the story's messenger."""
    return await _setup_with(world, world.participant)


P = TypeVar("P", bound=Person)


async def _setup_with(world: World, make: Callable[[str], Awaitable[P]]) -> tuple[P, P, int]:
    school = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»")
    alice = await make("Алиса")
    await alice.join(await world.invite(Role.CURATOR, school))
    await alice.expect_reply("куратор")
    olga = await make("Ольга")
    await olga.join(await world.invite(Role.COORDINATOR))
    await olga.expect_reply("координатор")
    async with world.app.session_factory() as session, session.begin():
        await import_plan(
            session,
            world.clock,
            interpret(read_text(seed_text("001"))),
            timezone="Asia/Yekaterinburg",
        )
    return alice, olga, school


async def _assignment(world: World, title_start: str) -> Assignment:
    async with world.app.session_factory() as session:
        found = await session.scalar(
            select(Assignment)
            .join(Activity, Activity.id == Assignment.activity_id)
            .where(Activity.title.startswith(title_start))
        )
        assert found is not None
        return found


async def _open_card(alice: Person, number: int):
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые")
    await alice.press(str(number), listing)
    return await alice.expect_reply()


async def _start_done(alice: Person, number: int = 2):  # 2: the order, due Nov 10
    card = await _open_card(alice, number)
    await alice.press("✅ Выполнено", card)
    return await alice.expect_reply("Отмечаем выполнение")


async def test_my_items_pages_filters_and_card(world: World) -> None:
    alice, _, _ = await _setup(world)
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые: 23")
    assert "стр. 1/5" in listing.text and "⚠️" in listing.text  # item 9 (Nov 2019) is overdue
    assert listing.buttons[:6] == ["1", "2", "3", "4", "5", "▶️"]
    await alice.press("▶️", listing)
    assert "стр. 2/5" in (await alice.expect_edit()).text
    await alice.press("⚠️ Просрочено", listing)
    overdue = await alice.expect_edit()
    assert "Просроченные: 1" in overdue.text and "классных руководителей" in overdue.text
    card = await _open_card(alice, 2)
    assert "Издание приказа" in card.text and "Ожидаемый результат: Рабочая группа" in card.text
    assert "«до 10.11.2020»" in card.text and card.buttons[0] == "✅ Выполнено"


@ON_BOTH
@pytest.mark.max_postgres  # the smoke story of MAX on PostgreSQL
async def test_done_with_a_document_accepted_and_stored(world: World) -> None:
    alice, olga, _ = await _setup_here(world)
    hint = await _start_done(alice)
    assert "По плану ожидается: Рабочая группа" in hint.text
    payload = b"%PDF-1.4 prikaz " * 500
    await alice.upload(("приказ.pdf", payload))
    await alice.expect_reply("Файлов: 1")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    assert "Издание приказа" in request.text
    document = await olga.expect_reply()
    assert document.file_names == ["приказ.pdf"]
    await olga.press("✅ Принять", request)
    assert "✅ Принято" in (await alice.expect_reply()).text
    assignment = await _assignment(world, "Издание приказа")
    assert assignment.status == AssignmentStatus.ACCEPTED
    async with world.app.session_factory() as session:
        stored = list(await session.scalars(select(EvidenceFile)))
    assert len(stored) == 1 and stored[0].stored_path
    assert await asyncio.to_thread(Path(stored[0].stored_path).read_bytes) == payload
    assert stored[0].sha256 == hashlib.sha256(payload).hexdigest()


async def test_an_album_of_three_photos_is_one_submission(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _start_done(alice)
    await alice.upload(("1.png", PNG), ("2.png", PNG + b"2"), ("3.png", PNG + b"3"), kind="photo")
    await alice.expect_reply("Файлов: 1")  # one answer for the whole album, edited as it grows
    assert "Файлов: 2" in (await alice.expect_edit()).text
    assert "Файлов: 3" in (await alice.expect_edit()).text
    await alice.expect_silence()
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    await olga.expect_reply("Файлов: 3")
    album = [await olga.expect_reply() for _ in range(3)]
    assert len({m.raw.get("media_group_id") for m in album}) == 1 and all(
        "photo" in m.raw for m in album
    )
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 1
        groups = set(await session.scalars(select(EvidenceFile.media_group_id)))
    assert len(groups) == 1 and None not in groups


async def test_text_only_and_cancel_midway(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _start_done(alice, 3)
    await alice.send("Диагностика проведена, справка у завуча")
    await alice.expect_reply("комментарий есть")
    await alice.press("✖️ Отмена")
    await alice.expect_reply("пункт остаётся открытым")
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0
    await _start_done(alice, 3)
    await alice.send("Диагностика проведена")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    assert "Диагностика проведена" in (await olga.expect_reply("На проверку")).text


async def test_undo_within_ten_minutes_only(world: World) -> None:
    alice, _, _ = await _setup(world)
    await _start_done(alice)
    await alice.send("готово")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    sent = await alice.expect_reply("Отправлено на проверку")
    answer = await alice.press("↩️ Отменить отправку", sent)
    assert answer is not None and "снова открыт" in (answer["text"] or "")
    edited = await alice.expect_edit()  # no stale "можно отменить" left on screen
    assert edited.text.startswith("↩️ Отправка отменена: Издание приказа")
    assert "10 минут" not in edited.text and not edited.buttons
    assert (await _assignment(world, "Издание приказа")).status == AssignmentStatus.OPEN

    await _start_done(alice)
    await alice.send("готово ещё раз")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    again = await alice.expect_reply("Отправлено на проверку")
    world.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    late = await alice.press("↩️ Отменить отправку", again)
    assert late is not None and "больше 10 минут" in (late["text"] or "")
    assert (await _assignment(world, "Издание приказа")).status == AssignmentStatus.SUBMITTED


async def test_oversized_and_forbidden_files_are_refused_and_the_flow_goes_on(world: World) -> None:
    alice, _, _ = await _setup(world)
    await _start_done(alice)
    await alice.upload(("setup.exe", b"MZ" * 100))
    await alice.expect_reply("такого типа не принимается")
    await alice.upload(("scan.pdf", b"0" * (20 * 1024 * 1024 + 1)))
    await alice.expect_reply("больше 20 МБ")
    await alice.upload(("protocol.pdf", b"%PDF ok"))
    await alice.expect_reply("Файлов: 1")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    async with world.app.session_factory() as session:
        names = list(await session.scalars(select(EvidenceFile.file_name)))
    assert names == ["protocol.pdf"]


@ON_BOTH
async def test_postpone_moves_the_next_reminder_not_the_deadline(world: World) -> None:
    alice, _, _ = await _setup_here(world)
    await world.app.reminders.plan()
    card = await _open_card(alice, 2)
    answer = said(await alice.press("⏰ Напомнить завтра", card))
    assert "напомню 3 ноября" in answer
    assignment = await _assignment(world, "Издание приказа")
    assert assignment.snoozed_until is not None and assignment.due_date is not None
    assert assignment.due_date.isoformat() == "2020-11-10"
    # 09:00 where she is (her school: Yekaterinburg), not in the bot's default zone (Moscow).
    assert assignment.snoozed_until == datetime(2020, 11, 3, 4, 0, tzinfo=UTC)
    assert "в 09:00" in answer
    async with world.app.session_factory() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.target_type == "assignment",
                OutboxMessage.target_id == assignment.id,
                OutboxMessage.status == "pending",
            )
        )
    assert pending == 0


@ON_BOTH
async def test_return_with_a_comment_and_resubmit(world: World) -> None:
    alice, olga, _ = await _setup_here(world)
    await _start_done(alice)
    await alice.send("черновик приказа")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    assert "повторно" not in request.text
    await olga.press("↩️ Вернуть", request)
    await olga.expect_reply("Напишите, что нужно исправить")
    await olga.send("Нужен подписанный приказ с номером")
    await olga.expect_reply("Возвращено")
    returned = await alice.expect_reply("Возвращено на доработку")
    assert "подписанный приказ" in returned.text
    assert returned.buttons == ["✅ Исправить и отправить", "📄 Открыть пункт"]
    assert (await _assignment(world, "Издание приказа")).status == AssignmentStatus.RETURNED
    await alice.press("✅ Исправить и отправить", returned)  # right there, no detour via /my
    await alice.expect_reply("Отмечаем выполнение")
    await alice.upload(("приказ-344.pdf", b"%PDF signed"))
    await alice.expect_reply("Файлов: 1")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    second = await olga.expect_reply("На проверку")
    # The second request says it comes back after a return, and what was asked then.
    assert second.text.startswith("📥 На проверку (повторно, после доработки): Издание приказа")
    assert "При возврате просили: «Нужен подписанный приказ с номером»" in second.text
    await olga.press("✅ Принять", second)
    await alice.expect_reply("✅ Принято")
    async with world.app.session_factory() as session:
        statuses = list(await session.scalars(select(Submission.status).order_by(Submission.id)))
    assert statuses == [SubmissionStatus.RETURNED, SubmissionStatus.ACCEPTED]


async def _snapshot(world: World) -> list[tuple[int, str, int]]:
    async with world.app.session_factory() as session:
        rows = (
            await session.execute(
                select(Assignment.id, Assignment.status, Assignment.version).order_by(Assignment.id)
            )
        ).all()
    return [(r[0], r[1].value, r[2]) for r in rows]


async def test_stale_and_forged_buttons_change_nothing(world: World) -> None:
    alice, olga, _ = await _setup(world)
    other_school = await world.add_school("МАОУ «Лицей № 82 г. Челябинска»")
    async with world.app.session_factory() as session, session.begin():
        activity = await session.scalar(
            select(Activity).where(Activity.title.startswith("Издание приказа"))
        )
        assert activity is not None
        foreign = Assignment(
            activity_id=activity.id,
            school_id=other_school,
            status=AssignmentStatus.OPEN,
            due_date=activity.due_date,
            version=1,
            updated_at=world.clock.now(),
        )
        session.add(foreign)
    card = await _open_card(alice, 2)
    await alice.press("✅ Выполнено", card)
    await alice.expect_reply("Отмечаем выполнение")
    await alice.send("готово")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    before = await _snapshot(world)

    stale = await alice.press("✅ Выполнено", card)  # the card is older than the submission
    assert stale is not None and "на проверке" in (stale["text"] or "")
    forged = await alice.press_data(card, f"ia:done:{foreign.id}")  # another school's item
    assert forged is not None and "Нет доступа" in (forged["text"] or "")
    forged_review = await alice.press_data(card, "rv:accept:1")  # a curator cannot review
    # No handler of a curator takes it: the catch-all answers, nothing is reviewed.
    assert forged_review is not None and forged_review["text"] == texts.BUTTON_GONE
    assert await _snapshot(world) == before

    await olga.press("✅ Принять", request)
    await alice.expect_reply("✅ Принято")
    after_accept = await _snapshot(world)
    async with world.app.session_factory() as session:
        submission_id = await session.scalar(select(func.max(Submission.id)))
    # The request now offers only the undo; an old copy of its button (another coordinator's,
    # or one pressed twice quickly) is stale.
    twice = await olga.press_data(request, f"rv:accept:{submission_id}")
    assert twice is not None and "устарела" in (twice["text"] or "")
    assert await _snapshot(world) == after_accept


async def test_a_coordinator_of_another_direction_cannot_review(world: World) -> None:
    alice, olga, _ = await _setup(world)
    async with world.app.session_factory() as session, session.begin():
        from db.models import Direction, Membership, Plan

        plan = await session.scalar(select(Plan))
        assert plan is not None
        other = Direction(plan_id=plan.id, code="II", title="Другое направление", position=1)
        session.add(other)
        await session.flush()
        olga_user = await session.scalar(by_telegram(olga.id))
        assert olga_user is not None
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == olga_user.id)
        )
        assert membership is not None
        membership.plan_id, membership.direction_id = plan.id, other.id
        activity = await session.scalar(
            select(Activity).where(Activity.title.startswith("Издание приказа"))
        )
        assert activity is not None
        activity.direction_id = None
        first = Direction(plan_id=plan.id, code="I", title="Направление", position=0)
        session.add(first)
        await session.flush()
        activity.direction_id = first.id
    await _start_done(alice)
    await alice.send("готово")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    before = await _snapshot(world)
    async with world.app.session_factory() as session:
        submission_id = await session.scalar(select(Submission.id))
    await olga.send("/review")
    listing = await olga.expect_reply()
    assert "Нет отметок" in listing.text
    forged = await olga.press_data(listing, f"rv:accept:{submission_id}")
    assert forged is not None and "Нет доступа" in (forged["text"] or "")
    assert await _snapshot(world) == before


@ON_BOTH
async def test_help_question_and_the_coordinators_answer(world: World) -> None:
    alice, olga, _ = await _setup_here(world)
    card = await _open_card(alice, 2)
    await alice.press("❓ Нужна помощь", card)
    await alice.expect_reply("Напишите вопрос")
    await alice.send("Какой номер приказа указывать?")
    await alice.expect_reply("Вопрос отправлен")
    question = await olga.expect_reply("Вопрос куратора")
    assert "Издание приказа" in question.text and "Какой номер приказа" in question.text
    await olga.press("💬 Ответить", question)
    await olga.expect_reply("Напишите ответ")
    await olga.send("Номер из журнала регистрации приказов")
    await olga.expect_reply("Ответ отправлен")
    answer = await alice.expect_reply("Ответ координатора")
    assert "журнала регистрации" in answer.text
    async with world.app.session_factory() as session:
        actions = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("help.%")))
        )
    assert actions == ["help.ask", "help.answer"]
    # A curator cannot answer questions, not even with a forged button.
    question_id = question.data_of("💬 Ответить").split(":")[1]
    forged = await alice.press_data(answer, f"hr:{question_id}")
    assert "Нет доступа" in said(forged)

    # /mydata returns her own words kept elsewhere: the question and the answer she got.
    await alice.send("/mydata")
    data = json.loads(await world.file_of(await alice.expect_reply()))
    assert [(q["question"], [a["answer"] for a in q["answers"]]) for q in data["questions"]] == [
        ("Какой номер приказа указывать?", ["Номер из журнала регистрации приказов"])
    ]
    asked = [a for a in data["actions"] if a["action"] == "help.ask"]
    assert asked[0]["details"] == {"question": "Какой номер приказа указывать?"}


async def test_history_on_the_card_and_the_audit_cli(world: World) -> None:
    alice, olga, _ = await _setup(world)
    card = await _open_card(alice, 2)
    assert card.buttons[-1] == "🕓 История"
    await alice.press("🕓 История", card)
    assert "Пока ничего не происходило" in (await alice.expect_reply("История")).text

    await alice.press("✅ Выполнено", card)
    await alice.expect_reply("Отмечаем выполнение")
    await alice.send("Приказ подписан")
    await alice.press("✅ Отправить", await alice.expect_reply("комментарий есть"))
    await alice.expect_reply("Отправлено на проверку")
    await olga.press("✅ Принять", await olga.expect_reply("На проверку"))
    await alice.expect_reply("✅ Принято")

    await alice.press("🕓 История", card)
    history = (await alice.expect_reply("История")).text
    assert "Алиса отправила на проверку: «Приказ подписан»" in history
    assert "Ольга приняла" in history and "(а)" not in history
    assert history.index("отправил") < history.index("принял")
    assert "Время по Екатеринбургу" in history  # Алиса's school's zone, said once

    import json

    assignment = await _assignment(world, "Издание приказа")
    async with world.app.session_factory() as session:
        plan_title = (
            await session.execute(
                select(Plan.title).join(Activity).where(Activity.id == assignment.activity_id)
            )
        ).scalar_one()
    result = await world.cli("audit", "--plan", plan_title[:40], "--json")
    entries = json.loads(result.stdout)
    item = [e for e in entries if e["entity"] == f"assignment:{assignment.id}"]
    async with world.app.session_factory() as session:
        alice_id, olga_id = await user_id_of(session, alice.id), await user_id_of(session, olga.id)
    assert [(e["action"], e["actor_user_id"]) for e in item] == [
        ("assignment.submit", alice_id),
        ("assignment.accept", olga_id),
    ]
    mine = json.loads((await world.cli("audit", "--user", str(alice.id), "--json")).stdout)
    assert mine and {e["actor_user_id"] for e in mine} == {alice_id}
    later = await world.cli("audit", "--since", "2030-01-01")
    assert later.stdout == "" and "записей: 0" in later.stderr
    bad = await world.cli("audit", "--since", "вчера", check=False)
    assert bad.returncode == 1 and "--since" in bad.stderr


async def test_a_press_answered_too_late_is_still_handled_without_an_apology(
    world: World,
) -> None:
    # Telegram refuses a callback answer ~15 s after the press (or for an update delivered
    # again after a crash); the press's work must still happen and the person get no error.
    alice, _, _ = await _setup(world)
    card = await _open_card(alice, 2)
    world.server.emulator.callback_answer_window = 0.0
    answer = await alice.press("✅ Выполнено", card)
    assert answer == {"refused": "query is too old"}
    await alice.expect_reply("Отмечаем выполнение")
    await alice.expect_silence(wait=0.5)  # no "Что-то пошло не так" after it


async def _until_shown(world: World, person: FakeUser, text: str) -> None:
    """Wait (long-polling the chat log) until a message or an edit shows `text`."""
    seen = 0
    while True:
        events = await world.client.log(person.id, after=seen, wait=10)
        assert events, f"{text!r} never shown"
        seen = events[-1]["seq"]
        if any(text in (e["message"].get("text") or "") for e in events):
            for kind in ("new", "edit"):  # what came before is read
                person.cursors[(person.id, kind)] = seen
            return


async def test_twenty_files_all_reach_the_reviewer(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _start_done(alice)
    names = [f"справка_{i:02}.pdf" for i in range(20)]
    for batch in (names[:10], names[10:]):  # two albums of ten, as a phone sends them
        await alice.upload(*[(n, b"%PDF-1.4 " + n.encode()) for n in batch])
    await _until_shown(world, alice, "Файлов: 20")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    await olga.expect_reply("Файлов: 20")
    olga.timeout = 40  # an album counts as ten messages: the chat's pace spaces the second one
    received = [await olga.expect_reply() for _ in range(20)]
    assert sorted(m.raw["document"]["file_name"] for m in received) == names
    assert len({m.raw.get("media_group_id") for m in received}) == 2  # two albums of ten


async def test_a_return_comment_near_telegrams_limit_still_reaches_the_curator(
    world: World,
) -> None:
    alice, olga, _ = await _setup(world)
    await _start_done(alice)
    await alice.send("слово " * 700)  # a 4,200-character report comment
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    assert request.text.rstrip().endswith("…") or "…" in request.text
    await olga.press("↩️ Вернуть", request)
    await olga.expect_reply("Напишите, что нужно исправить")
    await olga.send("исправить " * 409)  # 4,090 characters: Telegram's limit for the message
    await olga.expect_reply("Возвращено")
    returned = await alice.expect_reply("Возвращено на доработку")
    assert "исправить" in returned.text and returned.text.endswith("…")
    assert len(returned.text) <= 4096
    # The full comment is one tap away: the item card keeps it.
    assert (await _assignment(world, "Издание приказа")).status == AssignmentStatus.RETURNED


async def test_a_press_on_a_conversation_lost_in_a_restart_gets_a_fitting_answer(
    world: World,
) -> None:
    alice, _, _ = await _setup(world)
    await _start_done(alice)
    await alice.send("готово")
    collected = await alice.expect_reply("комментарий есть")
    # A restart without Redis forgets conversations: the same as clearing the storage.
    key = StorageKey(bot_id=world.app.bot.id, chat_id=alice.id, user_id=alice.id)
    await world.app.dispatcher.storage.set_state(key, None)
    answer = await alice.press("✅ Отправить", collected)
    assert answer is not None and answer["text"] == texts.DONE_STALE
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0


async def test_a_file_or_text_outside_any_flow_gets_a_helpful_answer(world: World) -> None:
    alice, _, _ = await _setup(world)
    await alice.upload(("приказ.pdf", b"%PDF-1.4 stray"))
    assert (await alice.expect_reply()).text == texts.STRAY_FILE
    await alice.upload(("фото.png", PNG), kind="photo")
    assert (await alice.expect_reply()).text == texts.STRAY_FILE
    await alice.send("добрый день")
    assert "/my" in (await alice.expect_reply()).text
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0


async def test_an_observer_sees_the_schools_items_read_only(world: World) -> None:
    _, _, school = await _setup(world)
    ivan = await world.person("Иван")
    await ivan.send(f"/start {await world.invite(Role.OBSERVER, school)}")
    await ivan.expect_reply("наблюдатель")
    await ivan.send("/my")
    listing = await ivan.expect_reply("Все открытые: 23")
    await ivan.press("2", listing)
    card = await ivan.expect_reply("Издание приказа")
    assert "✅ Выполнено" not in card.buttons and "❓ Нужна помощь" not in card.buttons
    forged = await ivan.press_data(card, f"ia:done:{(await _assignment(world, 'Издание')).id}")
    assert forged is not None and "Нет доступа" in (forged["text"] or "")


async def test_a_command_ends_the_done_flow_visibly_and_later_files_are_not_attached(
    world: World,
) -> None:
    alice, olga, _ = await _setup(world)
    await _start_done(alice)
    await alice.upload(("приказ.pdf", b"%PDF-1.4 prikaz"))
    tally = await alice.expect_reply("Файлов: 1")
    assert "Добавлено к «Издание приказа" in tally.text and "Принято" not in tally.text
    await alice.send("/my")
    stopped = await alice.expect_reply("прервана")
    assert "Издание приказа" in stopped.text and "файлы (1) не отправлены" in stopped.text
    await alice.expect_reply("Все открытые")  # the command itself still works
    await alice.upload(("позже.pdf", b"%PDF-1.4 later"))
    assert (await alice.expect_reply()).text == texts.STRAY_FILE
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0
    await olga.expect_silence()


async def test_section_time_and_note_are_named_in_my_items_the_card_and_status(
    world: World,
) -> None:
    alice, olga, _ = await _setup(world)
    async with world.app.session_factory() as session, session.begin():
        order = await session.scalar(select(Activity).where(Activity.title.startswith("Издание")))
        assert order is not None
        order.section = "1. Организационная работа"
        order.due_time, order.due_zone, order.period_note = "18:00", "Europe/Moscow", "в РЦОКО"
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые: 23")
    assert "· 1. Организационная работа" in listing.text
    card = await _open_card(alice, 2)
    assert "Раздел: 1. Организационная работа" in card.text
    assert ", 18:00 по Москве — " in card.text and "К сроку: в РЦОКО" in card.text
    await olga.send("/status")
    status = await olga.expect_reply("Всего")
    assert "1. Организационная работа — ✅ 0/1 (0%)" in status.text
    assert "Без раздела — ✅ 0/22 (0%)" in status.text


async def test_an_idle_done_flow_ends_itself_with_a_message(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _start_done(alice)
    await alice.upload(("приказ.pdf", b"%PDF-1.4 prikaz"))
    await alice.expect_reply("Файлов: 1")
    world.clock.advance(timedelta(minutes=29))  # type: ignore[attr-defined]
    assert await world.app.flows.sweep() == 0  # still within the half hour
    await alice.send("Приказ подписан")
    await alice.expect_reply("комментарий есть")  # and the half hour starts again
    world.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    assert await world.app.flows.sweep() == 1
    ended = await alice.expect_reply("закрыта")
    assert "Издание приказа" in ended.text and "30 мин." in ended.text
    assert "файлы (1) не отправлены" in ended.text
    await alice.upload(("позже.pdf", b"%PDF-1.4 later"))
    assert (await alice.expect_reply()).text == texts.STRAY_FILE
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0
    await olga.expect_silence()


async def test_a_flow_gone_idle_while_the_bot_was_away_is_not_continued(world: World) -> None:
    alice, _, _ = await _setup(world)
    await _start_done(alice)
    world.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]  # no sweep ran
    await alice.upload(("позже.pdf", b"%PDF-1.4 later"))
    assert "закрыта" in (await alice.expect_reply()).text
    assert (await alice.expect_reply()).text == texts.STRAY_FILE
    async with world.app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0


async def _until(person: FakeUser, fragment: str, limit: int = 6):
    """The first of the next few messages that contains `fragment` (digests may come first)."""
    for _ in range(limit):
        message = await person.expect_reply()
        if fragment in message.text:
            return message
    raise AssertionError(f"no message with {fragment!r}")


async def test_submissions_escalations_and_overdue_name_the_person_and_the_school(
    world: World,
) -> None:
    alice, olga, _ = await _setup(world)
    async with world.app.session_factory() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == await user_id_of(session, alice.id))
            .values(full_name="Алиса Кураторова")
        )
    await olga.send("/overdue")
    overdue = await olga.expect_reply("Просрочено по школам")
    assert "1. МАОУ «СОШ № 21 г. Челябинска» — 1 · куратор: Алиса Кураторова" in overdue.text

    await _start_done(alice, 3)
    await alice.send("Информация направлена")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    request = await olga.expect_reply("На проверку")
    assert "Школа: МАОУ «СОШ № 21 г. Челябинска»" in request.text
    assert "Отправила: Алиса Кураторова" in request.text

    # Three days after "до 10.11.2020": the coordinator is told, with the school and its curator.
    world.clock.set(datetime(2020, 11, 13, 6, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    escalation = await _until(olga, "Просрочено (")
    assert "Издание приказа" in escalation.text
    assert "— МАОУ «СОШ № 21 г. Челябинска»" in escalation.text
    assert "куратор: Алиса Кураторова" in escalation.text


async def test_grouped_reminders_still_say_the_plan_and_what_to_attach(world: World) -> None:
    alice, _, _ = await _setup(world)
    # 24 May 2021, 09:00 in Yekaterinburg: a week before two items due on 31 May.
    world.clock.set(datetime(2021, 5, 24, 4, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    await world.app.reminders.tick(force_plan=True)
    grouped = await _until(alice, "Напоминания (")
    assert grouped.text.count("Что приложить:") >= 2
    assert "План: ДОРОЖНАЯ КАРТА" in grouped.text


@ON_BOTH
async def test_a_coordinator_nudges_a_school_from_overdue_once_a_day(world: World) -> None:
    alice, olga, _ = await _setup_here(world)
    await olga.send("/overdue")
    overdue = await olga.expect_reply("Просрочено по школам")
    assert overdue.buttons == ["🔔 1"] and "напомнить кураторам школы" in overdue.text
    answer = await olga.press("🔔 1", overdue)
    assert said(answer) == "🔔 Напоминание отправлено: 1 куратору."
    nudge = await alice.expect_reply("напоминает о просроченных пунктах (1)")
    assert "Координатор Ольга" in nudge.text and "классных руководителей" in nudge.text
    assert "просрочено на" in nudge.text and "/my" in nudge.text
    again = await olga.press("🔔 1", overdue)
    assert "сегодня уже напоминали" in said(again)
    await alice.expect_silence()
    async with world.app.session_factory() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("school.nudge") == 1


@ON_BOTH
async def test_a_coordinator_takes_back_a_mistaken_accept_and_return(world: World) -> None:
    alice, olga, _ = await _setup_here(world)
    await _start_done(alice)
    await alice.send("Приказ № 344")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    await olga.press("✅ Принять", request)
    decided = await olga.expect_edit()
    assert decided.buttons == ["↩️ Отменить решение"]
    await alice.expect_reply("✅ Принято")
    answer = await olga.press("↩️ Отменить решение", decided)
    assert "снова на проверке" in said(answer)
    assert (await olga.expect_edit()).buttons == ["✅ Принять", "↩️ Вернуть"]
    told = await alice.expect_reply("отменил решение")
    assert "Издание приказа" in told.text and "снова на проверке" in told.text
    assert (await _assignment(world, "Издание приказа")).status == AssignmentStatus.SUBMITTED

    await olga.press("↩️ Вернуть", request)
    await olga.expect_reply("Напишите, что нужно исправить")
    await olga.send("Нужна подпись")
    confirm = await olga.expect_reply("Возвращено")
    await alice.expect_reply("Возвращено на доработку")
    await olga.press("↩️ Отменить решение", confirm)
    await alice.expect_reply("отменил решение")
    await olga.press("✅ Принять", request)  # decided again: the curator hears of it again
    await alice.expect_reply("✅ Принято")
    assert (await _assignment(world, "Издание приказа")).status == AssignmentStatus.ACCEPTED

    world.clock.advance(timedelta(hours=25))  # type: ignore[attr-defined]
    late = await olga.press("↩️ Отменить решение", request)
    assert "нельзя" in said(late)
    async with world.app.session_factory() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert actions.count("assignment.review_undone") == 2


@ON_BOTH
async def test_the_curator_replies_to_the_coordinators_answer(world: World) -> None:
    alice, olga, _ = await _setup_here(world)
    card = await _open_card(alice, 2)
    await alice.press("❓ Нужна помощь", card)
    await alice.expect_reply("Напишите вопрос")
    await alice.send("Какой номер приказа указывать?")
    await alice.expect_reply("Вопрос отправлен")
    question = await olga.expect_reply("Вопрос куратора")
    await olga.press("💬 Ответить", question)
    await olga.expect_reply("Напишите ответ")
    await olga.send("Номер из журнала регистрации")
    await olga.expect_reply("Ответ отправлен")
    answer = await alice.expect_reply("Ответ координатора")
    assert answer.buttons == ["💬 Ответить"]  # not a dead end
    await alice.press("💬 Ответить", answer)
    await alice.expect_reply("Напишите ответ координатору")
    await alice.send("А если журнала нет?")
    await alice.expect_reply("Вопрос отправлен")
    reply = await olga.expect_reply("Куратор отвечает")
    assert "Вы писали: «Номер из журнала регистрации»" in reply.text
    assert "А если журнала нет?" in reply.text and "Издание приказа" in reply.text
    await olga.press("💬 Ответить", reply)  # and the thread goes on
    await olga.expect_reply("Напишите ответ")
    await olga.send("Тогда номер из книги приказов")
    await olga.expect_reply("Ответ отправлен")
    await alice.expect_reply("книги приказов")
    # Only the person who asked may reply under an answer.
    answer_id = answer.data_of("💬 Ответить").split(":")[1]
    forged = await olga.press_data(reply, f"hf:{answer_id}")
    assert "Нет доступа" in said(forged)


async def test_upcoming_counts_match_the_list_and_status_has_no_placeholders(
    world: World,
) -> None:
    _, olga, _ = await _setup(world)
    order = await _assignment(world, "Издание приказа")  # due 10 November
    async with world.app.session_factory() as session, session.begin():
        base = await session.get(Activity, order.activity_id)
        assert base is not None
        for n in range(6):  # six more items due the same day: seven reminders on 3 November
            extra = Activity(
                plan_id=base.plan_id,
                source_key=f"extra-{n}",
                title=f"Дополнительный пункт {n + 1}",
                period_kind="deadline",
                due_date=base.due_date,
                period_flags=[],
                position=100 + n,
            )
            session.add(extra)
            await session.flush()
            session.add(
                Assignment(
                    activity_id=extra.id,
                    school_id=order.school_id,
                    status=AssignmentStatus.OPEN,
                    due_date=base.due_date,
                    version=1,
                    updated_at=world.clock.now(),
                )
            )
    await olga.send("/upcoming")
    upcoming = await olga.expect_reply("Напоминания на 7 дней")
    block = upcoming.text.split("3 ноября, вт — 7")[1].split("\n\n")[0]
    assert block.count("\n• ") == 5 and "… и ещё 2" in block

    await olga.send("/status")  # plan 001 has no directions
    status = await olga.expect_reply("Всего")
    assert "—." not in status.text and "«»" not in status.text
    assert "—" not in status.buttons and all(b.strip() for b in status.buttons)
