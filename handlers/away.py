"""/away: "Меня нет с … по …", choosing a deputy, "Я вернулся"; a coordinator's choice of a
deputy for a school left without one."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import AwayAct, LaterDate
from bot.middlewares import AfterCommit, Kick
from bot.settings import Settings
from core import absences
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound, Refused
from core.reminder_policy import local_today
from core.timeoff import parse_span
from core.when import academic_year, later_span
from handlers.settings import Replan
from handlers.typed_dates import refuse_past, take_later


class AwayFlow(StatesGroup):
    dates = State()


async def away(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    """/away DATES sets an absence and asks for a deputy; bare /away shows the current one, or
    asks for the dates."""
    if user_ctx is None or not user_ctx.memberships:
        await message.answer(texts.NOT_MEMBER)
        return
    today = local_today(clock.now(), settings.default_timezone)
    if not (command.args or "").strip():
        now = await absences.current(session, user_ctx.user_id, today)
        if now is None:
            await state.set_state(AwayFlow.dates)
            await message.answer(texts.away_ask(today))
        else:
            await message.answer(
                texts.away_status(now.first, now.last, now.deputy, today),
                reply_markup=keyboards.away_back(now.id),
            )
        return
    await _read(
        message, state, session, clock, user_ctx, after_commit, outbox_kick, replan, today,
        command.args or "",
    )  # fmt: skip


async def on_dates(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    """The dates asked for after a bare /away or a refused answer."""
    if user_ctx is None or not user_ctx.memberships:
        await state.clear()
        await message.answer(texts.NOT_MEMBER)
        return
    today = local_today(clock.now(), settings.default_timezone)
    await _read(
        message, state, session, clock, user_ctx, after_commit, outbox_kick, replan, today,
        message.text or "",
    )  # fmt: skip


async def _read(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None,
    replan: Replan | None,
    today: date,
    text: str,
) -> None:
    """Dates of this school year when typed without a year; past or unclear ones are refused at
    once and asked again (a later year's offered to confirm)."""
    try:
        first, last, inferred = parse_span(text, today, academic_year(today))
    except InvalidInput:
        await state.set_state(AwayFlow.dates)
        await message.answer(texts.away_bad_dates(today))
        return
    if last < today:
        await state.set_state(AwayFlow.dates)
        later = later_span(first, last, today) if inferred else None
        offer = None
        if later:
            keep = {"first": later[0].isoformat(), "last": later[1].isoformat()}
            offer = (texts.full_span(*later), keep)
        typed, ask = texts.span(first, last, today), texts.away_ask(today)
        await refuse_past(message, state, "away", typed, ask, offer, several=first != last)
        return
    await _set(
        message,
        state,
        session,
        clock,
        user_ctx,
        after_commit,
        outbox_kick,
        replan,
        first,
        last,
        today,
    )


async def on_later(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    """The later year's dates confirmed: the absence is set with them."""
    kept = await take_later(query, state)
    if kept is None or user_ctx is None or not isinstance(query.message, Message):
        return
    first, last = date.fromisoformat(kept["first"]), date.fromisoformat(kept["last"])
    today = local_today(clock.now(), settings.default_timezone)
    await _set(
        query.message, state, session, clock, user_ctx, after_commit, outbox_kick, replan,
        first, last, today,
    )  # fmt: skip


async def _set(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None,
    replan: Replan | None,
    first: date,
    last: date,
    today: date,
) -> None:
    """Record the absence, then ask for a deputy (or say there is nobody to pick)."""
    try:
        row = await absences.set_away(session, clock, user_ctx, user_ctx.user_id, first, last, None)
    except InvalidInput:
        await state.set_state(AwayFlow.dates)
        await message.answer(texts.away_bad_dates(today))
        return
    await state.clear()
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
    text = (F.text, ~F.text.startswith("/"), F.chat.type == "private")
    router.message.register(on_dates, AwayFlow.dates, *text)
    router.callback_query.register(on_later, LaterDate.filter(F.flow == "away"), AwayFlow.dates)
    router.callback_query.register(on_button, AwayAct.filter())
    return router
