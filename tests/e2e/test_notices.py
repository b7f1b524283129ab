"""Notices to other people go through the outbox: durable, per recipient, retried, in order.

Review requests and results, help questions and answers: an unreachable coordinator costs
only their own notice, a failed file is retried without repeating what arrived, the acting
curator's chat is never held while notices are paced out, and evidence copies are made by a
sweeper that retries until the copy exists or Telegram says the file is gone.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import texts
from core.clock import ManualClock
from core.notices import NOTICE_KINDS, REVIEW_REQUEST
from core.roles import Role
from core.states import OutboxStatus
from db.models import DeliveryAttempt, EvidenceFile, OutboxMessage
from emulator import FakeUser
from tests.e2e.test_curator_flows import (  # noqa: F401  (fixtures of the curator world)
    _setup,
    _start_done,
    clock,
    settings,
)
from tests.harness import World
from tests.people import by_telegram


async def _coordinator(world: World, name: str) -> FakeUser:
    person = await world.person(name)
    await person.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await person.expect_reply("координатор")
    return person


def _advance(world: World, by: timedelta) -> None:
    assert isinstance(world.clock, ManualClock)
    world.clock.advance(by)


async def _notices(world: World) -> list[OutboxMessage]:
    async with world.app.session_factory() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.kind.in_(NOTICE_KINDS))
                .order_by(OutboxMessage.id)
            )
        )


async def _settled(world: World) -> None:
    """Wait until the background delivery and copies started by the last actions are done."""
    await asyncio.wait_for(world.app.settled(), 60)


async def _submit(
    alice: FakeUser,
    *files: tuple[str, bytes],
    before_send: Callable[[], Awaitable[None]] | None = None,
) -> None:
    await _start_done(alice)
    if files:
        await alice.upload(*files)
        await alice.expect_reply("Файлов: 1")
        for count in range(2, len(files) + 1):
            assert f"Файлов: {count}" in (await alice.expect_edit()).text
    else:
        await alice.send("готово")
        await alice.expect_reply("комментарий есть")
    if before_send is not None:
        await before_send()
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")


async def test_an_unreachable_coordinator_costs_only_their_own_notice(world: World) -> None:
    alice, olga, _ = await _setup(world)
    boris = await _coordinator(world, "Борис")
    vera = await _coordinator(world, "Вера")
    await boris.block(silent=True)  # the bot learns of it only from the 403
    await _submit(alice, ("приказ.pdf", b"%PDF-1.4 prikaz"), ("план.pdf", b"%PDF-1.4 plan"))
    for person in (olga, vera):
        request = await person.expect_reply("На проверку")
        assert "Издание приказа" in request.text
        names = [(await person.expect_reply()).raw["document"]["file_name"] for _ in range(2)]
        assert sorted(names) == ["план.pdf", "приказ.pdf"]
    await _settled(world)
    await alice.expect_silence()  # no "Что-то пошло не так" after "Отправлено на проверку"
    rows = {row.chat_id: row for row in await _notices(world)}
    assert rows[boris.id].status == OutboxStatus.FAILED and "forbidden" in (
        rows[boris.id].last_error or ""
    )
    assert rows[olga.id].status == rows[vera.id].status == OutboxStatus.SENT
    async with world.app.session_factory() as session:
        blocked = await session.scalar(by_telegram(boris.id))
    assert blocked is not None and blocked.blocked_at is not None
    # Olga accepts: the curator is told through the outbox too, with the item one tap away.
    await olga.press("✅ Принять", request)
    result = await alice.expect_reply("✅ Принято")
    assert result.buttons == [texts.BTN_OPEN_ITEM]


async def test_a_failed_file_is_retried_without_repeating_what_arrived(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _submit(
        alice,
        ("а.pdf", b"%PDF a"),
        ("б.pdf", b"%PDF b"),
        ("в.pdf", b"%PDF c"),
        before_send=lambda: world.client.set_faults(1.0, ["500"], methods=["sendMediaGroup"]),
    )
    await olga.expect_reply("На проверку")
    await _settled(world)
    (row,) = [r for r in await _notices(world) if r.kind == REVIEW_REQUEST]
    assert row.status == OutboxStatus.PENDING and row.payload["parts_sent"] == 1
    await world.client.set_faults(0.0)
    _advance(world, timedelta(minutes=5))  # past the back-off
    assert await world.app.reminders.deliver() == 1
    album = [await olga.expect_reply() for _ in range(3)]
    assert sorted(m.raw["document"]["file_name"] for m in album) == ["а.pdf", "б.pdf", "в.pdf"]
    await olga.expect_silence()  # the request text was not sent again
    (row,) = [r for r in await _notices(world) if r.kind == REVIEW_REQUEST]
    assert row.status == OutboxStatus.SENT


@pytest.mark.parametrize(
    ("fault", "rounds"),
    [
        # Every text and album delivered, each answer too late for the bot, four rounds.
        ("accepted_timeout", [["sendMessage", "sendMediaGroup"]] * 4),
        # The text's answer dropped after delivery, then the album's.
        ("accepted_disconnect", [["sendMessage"], ["sendMediaGroup"]]),
    ],
)
async def test_lost_answers_repeat_each_part_of_a_request_at_most_once(
    world: World, monkeypatch: pytest.MonkeyPatch, fault: str, rounds: list[list[str]]
) -> None:
    alice, olga, _ = await _setup(world)
    deliver = world.app.reminders.deliver

    async def busy() -> int:  # the background kick sends nothing: the test drives delivery
        return 0

    monkeypatch.setattr(world.app.reminders, "deliver", busy)
    # Answers held 2 s miss a 1 s timeout; the send after one with no answer waits 4 s.
    monkeypatch.setattr(world.app.bot.session, "timeout", 1.0)
    await _submit(alice, ("а.pdf", b"%PDF a"), ("б.pdf", b"%PDF b"))
    for methods in rounds:
        await world.client.set_faults(1.0, [fault], methods=methods, hang_seconds=2)
        await deliver()
        _advance(world, timedelta(minutes=30))
    await world.client.set_faults(0.0)
    await deliver()
    got = [e["message"] for e in await world.client.log(olga.id) if e["kind"] == "new"]
    requests = [m for m in got if "На проверку" in m.get("text", "")]
    files = Counter(m["document"]["file_name"] for m in got if "document" in m)
    assert len(requests) == 2 and files == {"а.pdf": 2, "б.pdf": 2}  # each part twice
    (row,) = [r for r in await _notices(world) if r.kind == REVIEW_REQUEST]
    assert row.status == OutboxStatus.SENT
    async with world.app.session_factory() as session:
        uncertain = await session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.outbox_id == row.id, DeliveryAttempt.result == "uncertain")
        )
    assert uncertain == 2  # one send of unknown outcome for the text, one for the album


async def test_a_notice_nobody_could_deliver_for_a_day_fails(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, olga, _ = await _setup(world)
    deliver = world.app.reminders.deliver

    async def busy() -> int:
        return 0

    monkeypatch.setattr(world.app.reminders, "deliver", busy)
    await _submit(alice)
    await world.client.set_faults(1.0, ["500"], methods=["sendMessage"])
    for _ in range(12):  # more than the eight attempts that used to fail it: still retried
        await deliver()
        _advance(world, timedelta(minutes=30))
    (row,) = [r for r in await _notices(world) if r.kind == REVIEW_REQUEST]
    assert row.status == OutboxStatus.PENDING and row.not_after is None
    _advance(world, timedelta(hours=19))  # a day after the first attempt
    await deliver()
    (row,) = [r for r in await _notices(world) if r.kind == REVIEW_REQUEST]
    assert row.status == OutboxStatus.FAILED
    assert (row.last_error or "").startswith("no delivery within 24 h: TelegramServerError")
    await world.client.set_faults(0.0)
    await olga.expect_silence()


async def test_a_request_taken_back_before_delivery_is_not_sent(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, olga, _ = await _setup(world)
    deliver = world.app.reminders.deliver

    async def busy() -> int:  # the sender has not reached the row yet
        return 0

    monkeypatch.setattr(world.app.reminders, "deliver", busy)
    await _submit(alice)
    await alice.press(texts.BTN_UNDO)
    await alice.expect_edit()
    await deliver()
    (row,) = await _notices(world)
    assert row.status == OutboxStatus.CANCELLED
    await olga.expect_silence()


async def test_the_curators_chat_is_free_while_notices_are_paced_out(world: World) -> None:
    alice, _, _ = await _setup(world)
    for name in ("Борис", "Вера", "Галина"):
        await _coordinator(world, name)
    names = [(f"фото_{i:02}.pdf", b"%PDF " + bytes([i])) for i in range(10)]
    await _start_done(alice)
    await alice.upload(*names)
    await alice.expect_reply("Файлов: 1")
    for _ in range(9):
        await alice.expect_edit()
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    # Four coordinators each get a text and an album of ten: tens of seconds at Telegram's pace.
    await alice.send("/my")
    await alice.expect_reply("Все открытые")
    unsent = [r for r in await _notices(world) if r.status != OutboxStatus.SENT]
    assert unsent, "the answer to /my waited for the notices to other people"
    await _settled(world)


async def test_the_full_return_comment_is_one_tap_away(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _submit(alice)
    request = await olga.expect_reply("На проверку")
    await olga.press("↩️ Вернуть", request)
    await olga.expect_reply("Напишите, что нужно исправить")
    comment = " ".join(f"исправить{i}" for i in range(360))  # about 4,000 characters
    await olga.send(comment)
    await olga.expect_reply("Возвращено")
    returned = await alice.expect_reply("Возвращено на доработку")
    await alice.press(texts.BTN_OPEN_ITEM, returned)
    card = await alice.expect_reply("Ответ координатора")
    assert "…" in card.text
    await alice.press(texts.BTN_FULL_COMMENTS, card)
    assert (await alice.expect_reply("Комментарий куратора")).text.endswith("готово")
    parts = [await alice.expect_reply("Ответ координатора (1/2)")]
    parts.append(await alice.expect_reply("Ответ координатора (2/2)"))
    shown = " ".join(part.text.split("\n\n", 1)[1] for part in parts)
    assert shown.split() == comment.split()
    assert all(len(part.text) <= 4096 for part in parts)


async def test_help_question_and_answer_go_through_the_outbox(world: World) -> None:
    alice, olga, _ = await _setup(world)
    boris = await _coordinator(world, "Борис")
    await boris.block(silent=True)
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые")
    await alice.press("2", listing)
    card = await alice.expect_reply()
    await alice.press(texts.BTN_HELP, card)
    await alice.expect_reply()
    await alice.send("Кого включить в рабочую группу?")
    await alice.expect_reply(texts.HELP_SENT)
    question = await olga.expect_reply("Вопрос куратора")
    await olga.expect_reply("Борис заблокировал")  # learnt from the 403 on Boris's copy
    await olga.press(texts.BTN_ANSWER, question)
    await olga.expect_reply()
    await olga.send("Завуча и двух учителей.")
    await olga.expect_reply(texts.HELP_ANSWERED)
    answer = await alice.expect_reply("Ответ координатора")
    assert "Завуча и двух учителей." in answer.text
    await _settled(world)
    kinds = {(row.kind, row.chat_id): row.status for row in await _notices(world)}
    assert kinds[("help_question", olga.id)] == OutboxStatus.SENT
    assert kinds[("help_question", boris.id)] == OutboxStatus.FAILED
    assert kinds[("help_answer", alice.id)] == OutboxStatus.SENT
    for row in await _notices(world):  # ids only: the people's words stay in their own rows
        assert "Завуча" not in str(row.payload) and "рабочую" not in str(row.payload)


async def test_evidence_copies_are_retried_until_made_or_marked_missing(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await _submit(
        alice,
        ("приказ.pdf", b"%PDF-1.4 prikaz"),
        ("план.pdf", b"%PDF-1.4 plan"),
        before_send=lambda: world.client.set_faults(1.0, ["500"], methods=["getFile"]),
    )
    await olga.expect_reply("На проверку")
    await _settled(world)
    async with world.app.session_factory() as session:
        files = list(await session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
    assert all(f.stored_path is None and f.copy_attempts == 1 for f in files)
    assert all(f.copy_next_at is not None and f.copy_missing_at is None for f in files)
    await world.client.set_faults(0.0)
    # One file is gone from Telegram meanwhile: it is marked, not retried for ever.
    world.server.emulator.files.pop(files[1].telegram_file_id, None)
    _advance(world, timedelta(minutes=2))
    assert await world.app.evidence.sweep() == 1
    async with world.app.session_factory() as session:
        files = list(await session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
        pending = await session.scalar(
            select(func.count()).select_from(EvidenceFile).where(EvidenceFile.stored_path.is_(None))
        )
    assert files[0].stored_path
    copy = await asyncio.to_thread(Path(files[0].stored_path).read_bytes)
    assert copy == b"%PDF-1.4 prikaz"
    assert files[1].copy_missing_at is not None and files[1].stored_path is None
    assert pending == 1
    _advance(world, timedelta(hours=2))
    assert await world.app.evidence.sweep() == 0  # nothing due: one made, one given up
    # The card says so.
    await alice.send("/my")
    await alice.press("✅ Готово", await alice.expect_reply("Все открытые"))
    card = await alice.expect_edit()
    await alice.press("1", card)
    shown = await alice.expect_reply()
    assert "копии не сохранены: план.pdf" in shown.text


async def test_evidence_with_a_long_cyrillic_name_is_stored(world: World) -> None:
    # 115 letters are 230 bytes: with the id prefix and ".part" a cut by characters overflowed
    # the 255 bytes Linux allows ("File name too long") and the copy was never made.
    alice, olga, _ = await _setup(world)
    name = ("ПротоколЗаседанияРабочейГруппы" * 4)[:115] + ".pdf"
    await _submit(alice, (name, b"%PDF-1.4 long"), ("CON.pdf", b"%PDF-1.4 con"))
    await olga.expect_reply("На проверку")
    await _settled(world)
    async with world.app.session_factory() as session:
        files = list(await session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
    assert [f.copy_error for f in files] == [None, None]
    assert [f.file_name for f in files] == [name, "CON.pdf"]  # the name as sent is kept
    long_copy, con_copy = (Path(f.stored_path or "") for f in files)
    assert await asyncio.to_thread(long_copy.read_bytes) == b"%PDF-1.4 long"
    # On disk the name is cut between letters, keeping ".pdf", to leave room for ".part".
    assert len((long_copy.name + ".part").encode()) <= 255 and long_copy.suffix == ".pdf"
    assert name.startswith(long_copy.stem.split("_", 1)[1])
    assert con_copy.name.endswith("_CON.pdf")


async def test_taking_back_edits_the_request_the_coordinators_already_have(world: World) -> None:
    alice, olga, _ = await _setup(world)
    vera = await _coordinator(world, "Вера")
    await _submit(alice)
    requests = {p.id: await p.expect_reply("На проверку") for p in (olga, vera)}
    await _settled(world)
    await alice.press(texts.BTN_UNDO)
    assert "Отправка отменена" in (await alice.expect_edit()).text
    for person in (olga, vera):
        edited = await person.expect_edit()
        assert edited.message_id == requests[person.id].message_id
        assert "отозвал" in edited.text and edited.buttons == []  # nothing left to accept
    await _settled(world)
    await olga.expect_silence()
