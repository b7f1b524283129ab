"""/mydata sends a person everything Kurator keeps about them; /forget removes it."""

from __future__ import annotations

import json

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, menus, texts
from bot.callbacks import ForgetAct
from bot.middlewares import AfterCommit, Kick
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.filenames import document_name
from core.privacy import forget, my_data
from core.reminder_policy import local_today


async def send_my_data(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
) -> None:
    if user_ctx is None:
        await message.answer(texts.MYDATA_NONE)
        return
    today = local_today(clock.now(), settings.default_timezone)
    document = json.dumps(await my_data(session, user_ctx.user_id), ensure_ascii=False, indent=2)
    await message.answer_document(
        BufferedInputFile(
            document.encode(), filename=document_name(texts.MYDATA_FILE, "json", day=today)
        ),
        caption=texts.MYDATA_CAPTION,
    )


async def ask_forget(message: Message, user_ctx: UserContext | None) -> None:
    if user_ctx is None:
        await message.answer(texts.MYDATA_NONE)
        return
    await message.answer(texts.FORGET_CONFIRM, reply_markup=keyboards.forget_confirm())


async def confirm_forget(
    query: CallbackQuery,
    callback_data: ForgetAct,
    session: AsyncSession,
    clock: Clock,
    state: FSMContext,
    bot: Bot,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    settings: Settings,
    outbox_kick: Kick | None = None,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    chat_id, reply = query.message.chat.id, query.message
    if callback_data.action != "yes" or user_ctx is None:
        await reply.edit_text(texts.FORGET_KEPT if user_ctx else texts.MYDATA_NONE)
        return
    await forget(session, clock, user_ctx.user_id)
    await state.clear()

    async def done() -> None:
        await menus.publish_menu(bot, chat_id, frozenset(), settings.webapp_url)
        await reply.edit_text(texts.FORGET_DONE)

    after_commit(done)
    after_commit.call(outbox_kick)  # the coordinators hear that a member left


def build_router() -> Router:
    router = Router(name="privacy")
    router.message.register(send_my_data, Command("mydata"))
    router.message.register(ask_forget, Command("forget"))
    router.callback_query.register(confirm_forget, ForgetAct.filter())
    return router
