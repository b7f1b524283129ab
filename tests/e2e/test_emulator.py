"""The emulator answers like Telegram: validation, 403s, flood limits, faults, files, updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
    Update,
)

from core.clock import ManualClock
from emulator import EmulatorClient, EmulatorServer, FakeUser
from emulator.client import ControlError
from tests.harness import TOKEN


@pytest.fixture
def clock() -> ManualClock:
    """The emulator's behaviour does not depend on the calendar: one fixed moment, so CI's
    extra moments leave these tests out."""
    return ManualClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00"
    + b"\x00" * 40
)


def make_bot(server: EmulatorServer, token: str = TOKEN, timeout: float = 5) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.url), timeout=timeout)
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def next_update(bot: Bot, predicate: Callable[[Update], bool]) -> Update:
    """Poll (confirming offsets) until an update matches."""
    offset = None
    for _ in range(20):
        for update in await bot.get_updates(offset=offset, timeout=2):
            offset = update.update_id + 1
            if predicate(update):
                await bot.get_updates(offset=offset, timeout=0)
                return update
    raise AssertionError("no matching update")


@pytest.fixture
async def bot(server) -> AsyncIterator[Bot]:
    instance = make_bot(server)
    yield instance
    await instance.session.close()


@pytest.fixture
async def alice(client) -> FakeUser:
    person: FakeUser = await client.add_user("Алиса")
    await person.send("/start")
    return person


async def test_get_me_names_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "kurator_test_bot" and me.id == 123456789


async def test_unknown_token_is_unauthorized(server) -> None:
    stranger = make_bot(server, token="42:nope")
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()


async def test_text_length_limits(bot: Bot, alice: FakeUser) -> None:
    assert (await bot.send_message(alice.id, "я" * 4096)).text == "я" * 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice.id, "   ")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice.id, "<b></b>")


async def test_markup_is_parsed_into_entities_or_refused(bot: Bot, alice: FakeUser) -> None:
    sent = await bot.send_message(alice.id, "<b>Срок</b> &lt;10.11&gt;")
    assert sent.text == "Срок <10.11>"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    for bad in ("<b>открыт", "<blink>x</blink>", "a & b &nbsp;"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(alice.id, bad)
    with pytest.raises(TelegramBadRequest, match="reserved"):
        await bot.send_message(alice.id, "до 10.11", parse_mode=ParseMode.MARKDOWN_V2)


async def test_callback_data_limit(bot: Bot, alice: FakeUser) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data=data)]]
        )

    await bot.send_message(alice.id, "ok", reply_markup=keyboard("x" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "no", reply_markup=keyboard("ж" * 33))  # 66 bytes


async def test_unknown_chat_blocked_user_and_stranger(
    bot: Bot, client: EmulatorClient, alice: FakeUser
) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "hi")
    stranger = await client.add_user("Незнакомец")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(stranger.id, "hi")
    await alice.block()
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(alice.id, "hi")
    await alice.unblock()
    assert (await bot.send_message(alice.id, "снова")).text == "снова"


async def test_private_chat_flood_limit_answers_429_with_retry_after(
    bot: Bot, alice: FakeUser
) -> None:
    for index in range(3):  # the burst allowance
        await bot.send_message(alice.id, f"m{index}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "one too many")
    assert caught.value.retry_after >= 1


async def test_group_flood_limit_is_20_per_minute(
    bot: Bot, client: EmulatorClient, alice: FakeUser
) -> None:
    group_id = await client.add_group("РМО", [alice])
    for index in range(20):
        await bot.send_message(group_id, f"g{index}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(group_id, "21st")
    assert caught.value.retry_after >= 3  # one message per 3 s refills


async def test_global_budget_spans_chats(bot: Bot, client: EmulatorClient) -> None:
    # A burst of 30 refilled at 1/s: the 31st send in well under a second is refused
    # (with the real 30/s refill the outcome would depend on how fast this machine is).
    await client.set_limits(global_per_second=1, global_burst=30, private_per_second=None)
    people = []
    for index in range(31):
        person = await client.add_user(f"P{index}")
        await person.send("/start")
        people.append(person)
    for person in people[:30]:
        await bot.send_message(person.id, "hi")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(people[30].id, "hi")
    stats = await client.stats()
    assert stats["rate_limited"] == 1 and stats["early_retries"] == 0
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(people[30].id, "too early")
    assert (await client.stats())["early_retries"] == 1


async def test_injected_faults_map_to_aiogram_exceptions(
    server, client: EmulatorClient, alice: FakeUser
) -> None:
    bot = make_bot(server, timeout=0.5)
    try:
        await client.set_faults(1.0, ["500"])
        with pytest.raises(TelegramServerError):
            await bot.send_message(alice.id, "x")
        await client.set_faults(1.0, ["429"], retry_after=7)
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(alice.id, "x")
        assert caught.value.retry_after == 7
        await client.set_faults(1.0, ["timeout"], hang_seconds=2)
        with pytest.raises(TelegramNetworkError):
            await bot.send_message(alice.id, "x")
        await client.set_faults(0.0)
        assert (await bot.send_message(alice.id, "ok")).text == "ok"
        assert (await client.stats())["faults"] == 3
    finally:
        await bot.session.close()


async def test_accepted_faults_deliver_the_message_and_lose_the_answer(
    server, client: EmulatorClient, alice: FakeUser
) -> None:
    bot = make_bot(server, timeout=0.5)
    try:
        for kind in ("accepted_timeout", "accepted_disconnect"):
            await client.set_faults(1.0, [kind], hang_seconds=2)
            with pytest.raises(TelegramNetworkError):
                await bot.send_message(alice.id, kind)
            await alice.expect_reply(kind)  # delivered although the client saw no answer
        await client.set_faults(0.0)
        with pytest.raises(ControlError, match="fault kinds"):
            await client.set_faults(1.0, ["accepted"])
    finally:
        await bot.session.close()


async def test_faults_for_a_while_by_the_clock_or_by_count(
    bot: Bot, client: EmulatorClient, alice: FakeUser, clock: ManualClock
) -> None:
    await client.set_limits(off=True)
    await client.set_faults(1.0, ["429", "500"], seconds=60, seed=1)
    for _ in range(3):
        with pytest.raises((TelegramRetryAfter, TelegramServerError)):
            await bot.send_message(alice.id, "x")
    clock.advance(timedelta(seconds=60))  # the emulator's clock: the while is over
    assert (await bot.send_message(alice.id, "ok")).text == "ok"
    await client.set_faults(1.0, ["502"], count=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(alice.id, "x")
    assert (await bot.send_message(alice.id, "ok")).text == "ok"


async def test_faults_at_a_rate_are_reproducible_with_a_seed(
    bot: Bot, client: EmulatorClient
) -> None:
    async def outcomes() -> list[bool]:
        await client.set_faults(0.5, ["500"], seed=7)
        results = []
        for _ in range(20):
            try:
                await bot.send_message(person.id, "x")
                results.append(True)
            except TelegramServerError:
                results.append(False)
        return results

    await client.set_limits(off=True)
    person = await client.add_user("Вера")
    await person.send("/start")
    first, second = await outcomes(), await outcomes()
    assert first == second and 0 < sum(first) < 20


async def test_get_updates_long_polls_and_forgets_confirmed_offsets(
    bot: Bot, client: EmulatorClient
) -> None:
    person = await client.add_user("Борис")
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0)  # let the poll reach the server before the message exists
    await person.send("привет")
    updates = await waiting
    assert [u.message.text for u in updates if u.message] == ["привет"]
    assert len(await bot.get_updates(timeout=0)) == 1  # not confirmed yet
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []


async def test_second_poller_terminates_the_first(server, bot: Bot) -> None:
    other = make_bot(server)
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(other.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError):
        await first
    assert await second == []
    await other.session.close()


async def test_documents_photos_albums_and_downloads(
    bot: Bot, client: EmulatorClient, alice: FakeUser
) -> None:
    await client.set_limits(off=True)
    payload = "Протокол заседания".encode() * 100
    sent = await bot.send_document(
        alice.id, BufferedInputFile(payload, "протокол.docx"), caption="<i>файл</i>"
    )
    assert sent.document is not None and sent.document.file_name == "протокол.docx"
    assert sent.caption == "файл"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_size == len(payload)
    assert (await bot.download_file(file.file_path)).read() == payload  # type: ignore[union-attr, arg-type]

    photo = await bot.send_photo(alice.id, BufferedInputFile(PNG, "p.png"))
    assert photo.photo is not None and (photo.photo[-1].width, photo.photo[-1].height) == (2, 3)
    album = await bot.send_media_group(
        alice.id,
        [InputMediaPhoto(media=BufferedInputFile(PNG, f"{i}.png")) for i in range(3)],
    )
    assert len({m.media_group_id for m in album}) == 1 and len(album) == 3
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(alice.id, BufferedInputFile(b"x", "a.txt"), caption="я" * 1025)
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_user_uploads_reach_the_bot_as_files(bot: Bot, alice: FakeUser) -> None:
    await alice.upload(("справка.pdf", b"%PDF-1.4 test"), caption="отчёт")
    update = await next_update(bot, lambda u: bool(u.message and u.message.document))
    document = update.message.document  # type: ignore[union-attr]
    assert document is not None and document.file_name == "справка.pdf"
    assert update.message.caption == "отчёт"  # type: ignore[union-attr]
    file = await bot.get_file(document.file_id)
    assert (await bot.download_file(file.file_path)).read() == b"%PDF-1.4 test"  # type: ignore[union-attr, arg-type]


async def test_edits_deletes_and_callback_answers(
    bot: Bot, client: EmulatorClient, alice: FakeUser
) -> None:
    await client.set_limits(off=True)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Готово", callback_data="done:1")]]
    )
    sent = await bot.send_message(alice.id, "пункт", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "пункт", chat_id=alice.id, message_id=sent.message_id, reply_markup=markup
        )
    edited = await bot.edit_message_text("пункт ✅", chat_id=alice.id, message_id=sent.message_id)
    assert edited.text == "пункт ✅" and edited.reply_markup is None  # type: ignore[union-attr]
    await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=markup
    )

    pressing = asyncio.create_task(alice.press("Готово"))
    query = (await next_update(bot, lambda u: u.callback_query is not None)).callback_query
    assert query is not None
    assert query.data == "done:1"
    await bot.answer_callback_query(query.id, text="Принято")
    answer = await pressing
    assert answer is not None and answer["text"] == "Принято" and answer["show_alert"] is False
    assert 0 <= answer["seconds"] < 15  # recorded against the press: what Telegram would allow
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)

    assert await bot.delete_message(alice.id, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_commands_per_scope(bot: Bot, alice: FakeUser) -> None:
    from aiogram.types import BotCommandScopeChat

    await bot.set_my_commands([BotCommand(command="help", description="Помощь")])
    await bot.set_my_commands(
        [BotCommand(command="status", description="Статус")],
        scope=BotCommandScopeChat(chat_id=alice.id),
    )
    assert await alice.menu() == ["status"]
    assert [c.command for c in await bot.get_my_commands()] == ["help"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])


async def test_entities_of_the_wrong_shape_are_a_400_not_a_crash(
    bot: Bot, server: EmulatorServer, alice: FakeUser
) -> None:
    import aiohttp

    url = f"{server.url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as http:
        for entities in (5, "[1]", [{"type": "bold"}], "not json"):
            payload = {"chat_id": alice.id, "text": "срок", "entities": entities}
            async with http.post(url, json=payload) as answer:
                body = await answer.json()
                assert answer.status == 400 and "entities" in body["description"], body


async def test_get_updates_delivers_only_the_types_asked_for(
    bot: Bot, client: EmulatorClient
) -> None:
    person = await client.add_user("Вера")
    await person.send("сообщение")
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == []
    await person.send("ещё одно")  # the setting stays until changed, as in Telegram
    assert await bot.get_updates(timeout=0) == []
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert updates == []  # updates of types not asked for are not kept
    await person.send("третье")
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["третье"]


@pytest.mark.parametrize("kind", ["photo", "video", "audio", "voice", "video_note"])
async def test_a_file_id_is_sent_only_with_the_method_of_its_kind(
    bot: Bot, client: EmulatorClient, alice: FakeUser, kind: str
) -> None:
    await client.set_limits(off=True)
    (message,) = await alice.upload((f"x.{kind}", b"data of " + kind.encode()), kind=kind)
    raw = message[kind]
    file_id = (raw[-1] if isinstance(raw, list) else raw)["file_id"]
    update = await next_update(bot, lambda u: bool(u.message and getattr(u.message, kind)))
    assert update.message is not None  # aiogram parsed the user's file of this kind
    send: Callable[[int, str], Awaitable[Message]] = {  # type: ignore[assignment]
        "photo": bot.send_photo,
        "video": bot.send_video,
        "audio": bot.send_audio,
        "voice": bot.send_voice,
        "video_note": bot.send_video_note,
    }[kind]
    sent = await send(alice.id, file_id)
    assert getattr(sent, kind) is not None
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await bot.send_document(alice.id, file_id)
    (document,) = await alice.upload(("a.pdf", b"%PDF"))
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await send(alice.id, document["document"]["file_id"])


async def test_a_reply_to_a_missing_message_is_refused_unless_allowed(
    bot: Bot, client: EmulatorClient, alice: FakeUser
) -> None:
    await client.set_limits(off=True)
    first = await bot.send_message(alice.id, "первое")
    reply = await bot.send_message(
        alice.id, "ответ", reply_parameters=ReplyParameters(message_id=first.message_id)
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == first.message_id
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(alice.id, "мимо", reply_parameters=ReplyParameters(message_id=999))
    loose = await bot.send_message(
        alice.id,
        "без ответа",
        reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True),
    )
    assert loose.reply_to_message is None


async def test_a_bot_cannot_edit_what_a_person_wrote(bot: Bot, alice: FakeUser) -> None:
    sent = await alice.send("моё сообщение")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("чужое", chat_id=alice.id, message_id=sent["message_id"])


async def test_block_and_unblock_updates_parse_in_aiogram(bot: Bot, alice: FakeUser) -> None:
    await alice.block()
    await alice.unblock()
    updates = await bot.get_updates(timeout=0, allowed_updates=["my_chat_member"])
    changes = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in updates
        if u.my_chat_member
    ]
    assert changes == [("member", "kicked"), ("kicked", "member")]
