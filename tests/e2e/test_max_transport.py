"""aiogram's Bot over MaxSession against the project's MAX emulator, wire-level: the same
router code answers /start with a deep link payload, a text, a button press (edit and
alert), a file (downloaded back) and sends a document, all through MAX's HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    WebAppInfo,
)

from emulator.max import MaxEmulatorClient, MaxEmulatorServer
from messengers import MAX, messenger_of
from messengers.max.client import MaxClient
from messengers.max.session import MaxSession, MemoryIds

TOKEN = "max-test-token"


def _router(got: dict[str, bytes]) -> Router:
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message, command: CommandObject) -> None:
        keys = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="✅ Принять", callback_data="rv:accept:7")],
                [
                    InlineKeyboardButton(
                        text="📊 Панель", web_app=WebAppInfo(url="https://k/app/?p=1")
                    )
                ],
            ]
        )
        await message.answer(f"<b>Привет</b>, код: {command.args}", reply_markup=keys)

    @router.callback_query(F.data == "rv:accept:7")
    async def accept(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Принято ✅")
        await query.answer("Готово", show_alert=True)

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        data = await bot.download(message.document.file_id)
        assert data is not None
        got[message.document.file_name or ""] = data.read()
        await message.answer_document(
            BufferedInputFile(b"%PDF-1.4 report", "otchet.pdf"), caption="Отчёт"
        )

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Вы написали: {message.text}")

    return router


@pytest.fixture
async def max_world() -> AsyncIterator[tuple[MaxEmulatorClient, Bot, dict[str, bytes]]]:
    async with contextlib.AsyncExitStack() as stack:
        server = await stack.enter_async_context(MaxEmulatorServer())
        control = await stack.enter_async_context(MaxEmulatorClient(server.url, bot_token=TOKEN))
        me = await control.add_bot(TOKEN, "kurator_bot")
        session = MaxSession(MaxClient(TOKEN, api=server.url), MemoryIds(), app="kurator_bot")
        bot = Bot(f"{me['user_id']}:max", session=session)
        got: dict[str, bytes] = {}
        dispatcher = Dispatcher()
        dispatcher.include_router(_router(got))
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, polling_timeout=1, handle_signals=False)
        )
        try:
            yield control, bot, got
        finally:
            await dispatcher.stop_polling()
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await polling
            await bot.session.close()


async def test_a_conversation_runs_over_max(
    max_world: tuple[MaxEmulatorClient, Bot, dict[str, bytes]],
) -> None:
    control, bot, got = max_world
    assert messenger_of(bot) == MAX
    alice = await control.add_user("Алиса", "Кураторова")
    await alice.start("invite-42")
    hello = await alice.expect_reply("Привет")
    assert "код: invite-42" in hello.text
    assert hello.buttons == ["✅ Принять", "📊 Панель"]
    opened = hello.keyboard[1][0]
    assert opened["type"] == "open_app" and opened["web_app"] == "kurator_bot"

    answer = await alice.press("✅ Принять", hello)
    assert answer is not None and answer["notification"] == "Готово"
    edited = await alice.expect_edit()
    assert edited.text == "Принято ✅"

    await alice.send("просто текст")
    assert (await alice.expect_reply()).text == "Вы написали: просто текст"

    await alice.send_document("приказ.pdf", b"%PDF-1.4 prikaz", caption="вот")
    report = await alice.expect_reply()
    assert report.text == "Отчёт"
    files = [a for a in report.attachments if a["type"] == "file"]
    assert files and files[0]["filename"] == "otchet.pdf"
    assert got == {"приказ.pdf": b"%PDF-1.4 prikaz"}
