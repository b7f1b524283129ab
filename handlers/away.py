"""/away: "Меня нет с … по …", choosing a deputy, "Я вернулся"; a coordinator's choice of a
deputy for a school left without one."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import AwayAct
from bot.middlewares import AfterCommit, Kick
from bot.settings import Settings
from core import absences
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound, Refused
from core.reminder_policy import local_today
from core.timeoff import parse_span
from handlers.settings import Replan


async def away(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    """/away DATES sets an absence and asks for a deputy; bare /away shows the current one."""
    if user_ctx is None or not user_ctx.memberships:
        await message.answer(texts.NOT_MEMBER)
        return
    today = local_today(clock.now(), settings.default_timezone)
    if not (command.args or "").strip():
        now = await absences.current(session, user_ctx.user_id, today)
        if now is None:
            await message.answer(texts.AWAY_USAGE)
        else:
            await message.answer(
                texts.away_status(now.first, now.last, now.deputy, today),
                reply_markup=keyboards.away_back(now.id),
            )
        return
    try:
        first, last, _ = parse_span(command.args or "", today)
        if last < today:
            raise InvalidInput("past")
        row = await absences.set_away(session, clock, user_ctx, user_ctx.user_id, first, last, None)
    except InvalidInput:
        await message.answer(texts.AWAY_BAD_DATES)
        return
    choices = await absences.deputy_choices(session, user_ctx.user_id)
    if not choices:
        after_commit(lambda: message.answer(texts.away_set(first, last, None, today)))
        after_commit(lambda: message.answer(texts.AWAY_NOBODY_TO_PICK))
        after_commit.call(outbox_kick)
        after_commit.call(replan)
        return
    markup = keyboards.deputies(row.id, choices, with_none=True)
    ask = texts.away_ask_deputy(first, last, today)
    after_commit(lambda: message.answer(ask, reply_markup=markup))
    after_commit.call(replan)


async def on_button(
    query: CallbackQuery,
    callback_data: AwayAct,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    """A deputy chosen (by the person or a coordinator), the choices listed, or back early."""
    if user_ctx is None or not user_ctx.is_active or not isinstance(query.message, Message):
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    message = query.message
    today = local_today(clock.now(), settings.default_timezone)
    try:
        if callback_data.action == "back":
            if not await absences.come_back(session, clock, user_ctx.user_id, today):
                await query.answer(texts.AWAY_NOT_AWAY, show_alert=True)
                return
            await query.answer()
            after_commit(lambda: message.edit_text(texts.AWAY_BACK_DONE))
            after_commit.call(outbox_kick)
            after_commit.call(replan)
            return
        row = await absences.info(session, callback_data.absence_id)
        if row.last < today:
            raise NotFound("over")
        if callback_data.action == "pick":
            await absences.check_may_name(session, user_ctx, row.id)
            choices = await absences.deputy_choices(session, row.user_id, user_ctx)
            await query.answer()
            await message.answer(
                texts.AWAY_CHOOSE_DEPUTY, reply_markup=keyboards.deputies(row.id, choices, False)
            )
            return
        chosen = await absences.set_deputy(
            session, clock, user_ctx, row.id, callback_data.user_id or None
        )
    except NotFound:
        await query.answer(texts.AWAY_GONE, show_alert=True)
        return
    except Refused as refused:
        await query.answer(texts.away_refused(refused.reason, refused.detail), show_alert=True)
        return
    except InvalidInput:
        await query.answer(texts.AWAY_DEPUTY_BAD, show_alert=True)
        return
    await query.answer()
    text = texts.away_set(chosen.first, chosen.last, chosen.deputy, today)
    if user_ctx.user_id != chosen.user_id:
        text = texts.away_someone(chosen.name, chosen.first, chosen.last, chosen.deputy, today)
    after_commit(lambda: message.edit_text(text))
    after_commit.call(outbox_kick)
    after_commit.call(replan)


def build_router() -> Router:
    router = Router(name="away")
    router.message.register(away, Command("away"), F.chat.type == "private")
    router.callback_query.register(on_button, AwayAct.filter())
    return router
