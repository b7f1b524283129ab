"""The baseline of bench/updates_vs_echo.py: a bare aiogram bot that echoes messages (with one
button) and answers presses with a message, polling TELEGRAM_API_URL as Kurator does.

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python bench/echo_bot.py
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

BUTTON = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="1", callback_data="1")]])


async def echo(message: Message) -> None:
    await message.answer(message.text or "?", reply_markup=BUTTON)


async def press(query: CallbackQuery) -> None:
    await query.answer()
    if query.message is not None:
        await query.message.answer("нажато")


async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dp = Dispatcher()
    dp.message.register(echo)
    dp.callback_query.register(press)
    await dp.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
