"""/seminars: a coordinator edits and cancels seminars and sees who answered (creating one:
handlers/seminar_form.py, registered here)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import (
    AudiencePick,
    LaterDate,
    SeminarAct,
    SeminarDraftAct,
    SeminarNew,
    SeminarOpen,
)
from bot.filters import HasRole
from bot.middlewares import AfterCommit, Kick
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.people import own_zone
from core.reminder_policy import resolve_zone
from core.roles import Role
from core.seminars import cancel_seminar, edit_seminar, seminar_card, set_in_holidays, upcoming
from core.status import scope_of
from core.when import When, WhenError, parse_when
from handlers import seminar_form as form
from handlers.seminar_form import SeminarForm, refuse_when, show, when_of
from handlers.settings import Replan
from handlers.typed_dates import take_later

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)


class SeminarEdit(StatesGroup):
    value = State()


async def _list_view(
    session: AsyncSession, clock: Clock, user_ctx: UserContext
) -> tuple[str, InlineKeyboardMarkup]:
    lines = await upcoming(session, scope_of(user_ctx), clock.now().date())
    mine = await own_zone(session, user_ctx.user_id)
    today = clock.now().astimezone(resolve_zone(mine)).date()
    rows = [
        (texts.seminar_when(s.day, s.starts_at, s.zone, mine or s.zone, today), s.topic)
        for s in lines[:30]
    ]
    return texts.seminar_list(rows), keyboards.seminar_list([s.seminar_id for s in lines[:30]])


async def _card_view(
    session: AsyncSession, clock: Clock, user_ctx: UserContext, seminar_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    card = await seminar_card(session, scope_of(user_ctx), seminar_id)
    mine = await own_zone(session, user_ctx.user_id)
    today = clock.now().astimezone(resolve_zone(mine, card.zone)).date()
    when = texts.seminar_when(card.day, card.starts_at, card.zone, mine or card.zone, today)
    return texts.seminar_card(card, when), keyboards.seminar_card(
        card.seminar_id, card.cancelled, card.in_holidays
    )


async def show_list(
    message: Message, session: AsyncSession, clock: Clock, user_ctx: UserContext
) -> None:
    text, markup = await _list_view(session, clock, user_ctx)
    await message.answer(text, reply_markup=markup)


async def open_seminar(
    query: CallbackQuery,
    callback_data: SeminarOpen,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
) -> None:
    if callback_data.seminar_id == 0:
        await show(query, *await _list_view(session, clock, user_ctx))
        return
    try:
        await show(query, *await _card_view(session, clock, user_ctx, callback_data.seminar_id))
    except NotFound:
        await query.answer(texts.SEMINAR_GONE, show_alert=True)


async def card_action(
    query: CallbackQuery,
    callback_data: SeminarAct,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    seminar_id, action = callback_data.seminar_id, callback_data.action
    try:
        if action == "cancel":
            await seminar_card(session, scope_of(user_ctx), seminar_id)  # in scope?
            await show(
                query, texts.SEMINAR_CANCEL_CONFIRM, keyboards.seminar_cancel_confirm(seminar_id)
            )
        elif action == "cancel_yes":
            count = await cancel_seminar(
                session,
                clock,
                scope=scope_of(user_ctx),
                actor_user_id=user_ctx.user_id,
                seminar_id=seminar_id,
            )
            text, markup = await _card_view(session, clock, user_ctx, seminar_id)
            after_commit(lambda: show(query, f"{texts.seminar_cancelled(count)}\n\n{text}", markup))
            after_commit.call(outbox_kick)
        elif action == "holidays":
            await set_in_holidays(
                session, clock, scope=scope_of(user_ctx), actor_user_id=user_ctx.user_id,
                seminar_id=seminar_id,
            )  # fmt: skip
            text, markup = await _card_view(session, clock, user_ctx, seminar_id)
            after_commit(lambda: show(query, text, markup))
            after_commit.call(replan)
        else:
            card = await seminar_card(session, scope_of(user_ctx), seminar_id)
            if card.cancelled:
                await query.answer(texts.SEMINAR_IS_CANCELLED, show_alert=True)
                return
            await state.set_state(SeminarEdit.value)
            await state.set_data({"seminar_id": seminar_id, "field": action})
            today = clock.now().astimezone(resolve_zone(card.zone)).date()
            prompt = {
                "topic": texts.SEMINAR_ASK_TOPIC,
                "when": texts.seminar_ask_when(card.zone, today),
                "place": texts.SEMINAR_ASK_PLACE,
            }[action]
            await query.answer()
            if isinstance(query.message, Message):
                await query.message.answer(prompt)
    except NotFound:
        await query.answer(texts.SEMINAR_GONE, show_alert=True)


async def take_edit(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    value: str | When = message.text or ""
    if (await state.get_data()).get("field") == "when":
        try:
            card = await seminar_card(
                session, scope_of(user_ctx), int((await state.get_data()).get("seminar_id", 0))
            )
        except NotFound:
            await state.clear()
            await message.answer(texts.SEMINAR_GONE)
            return
        today = clock.now().astimezone(resolve_zone(card.zone)).date()
        try:
            value = parse_when(message.text or "", today, card.school_year)
        except WhenError as exc:
            ask = texts.seminar_ask_when(card.zone, today)
            await refuse_when(message, state, exc, today, ask, "seminar_edit")
            return
    await _edit(message, state, session, clock, user_ctx, after_commit, outbox_kick, value)


async def take_later_when(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    """The later year's day confirmed: the seminar is moved to it."""
    kept = await take_later(query, state)
    if kept is None or not isinstance(query.message, Message):
        return
    when = when_of(kept)
    await _edit(query.message, state, session, clock, user_ctx, after_commit, outbox_kick, when)


async def _edit(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None,
    value: str | When,
) -> None:
    """Change the field the edit asked for; the card again, or why not."""
    data = await state.get_data()
    seminar_id, field = int(data.get("seminar_id", 0)), str(data.get("field", ""))
    scope = scope_of(user_ctx)
    try:
        count = await edit_seminar(
            session,
            clock,
            scope=scope,
            actor_user_id=user_ctx.user_id,
            seminar_id=seminar_id,
            field_name=field,
            value=value,
        )
    except NotFound:
        await state.clear()
        await message.answer(texts.SEMINAR_GONE)
        return
    except InvalidInput as exc:
        if exc.text_key == "seminar_empty_topic":
            await message.answer(texts.SEMINAR_EMPTY_TOPIC)
            return
        await state.clear()
        await message.answer(texts.SEMINAR_IS_CANCELLED)
        return
    await state.clear()
    text, markup = await _card_view(session, clock, user_ctx, seminar_id)
    head = texts.seminar_changed(count) if count else texts.SEMINAR_UNCHANGED
    await message.answer(f"{head}\n\n{text}", reply_markup=markup)
    if count:
        after_commit.call(outbox_kick)


def build_router() -> Router:
    router = Router(name="seminars")
    text = (F.text, ~F.text.startswith("/"))
    router.message.register(show_list, Command("seminars"), MANAGERS)
    router.callback_query.register(open_seminar, SeminarOpen.filter(), MANAGERS)
    router.callback_query.register(form.start_new, SeminarNew.filter(), MANAGERS)
    audience = AudiencePick.filter(F.purpose == "seminar")
    router.callback_query.register(form.pick_audience, audience, SeminarForm.audience, MANAGERS)
    router.message.register(form.take_topic, SeminarForm.topic, *text, MANAGERS)
    router.message.register(form.take_when, SeminarForm.when, *text, MANAGERS)
    router.message.register(form.take_place, SeminarForm.place, *text, MANAGERS)
    router.callback_query.register(form.draft_action, SeminarDraftAct.filter(), MANAGERS)
    router.callback_query.register(card_action, SeminarAct.filter(), MANAGERS)
    router.message.register(take_edit, SeminarEdit.value, *text, MANAGERS)
    later = LaterDate.filter
    router.callback_query.register(
        form.take_later_when, later(F.flow == "seminar"), SeminarForm.when, MANAGERS
    )
    router.callback_query.register(
        take_later_when, later(F.flow == "seminar_edit"), SeminarEdit.value, MANAGERS
    )
    return router
