"""/seminars: a coordinator creates, edits and cancels seminars and sees who answered."""

from __future__ import annotations

from datetime import date, time

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import AudiencePick, SeminarAct, SeminarDraftAct, SeminarNew, SeminarOpen
from bot.filters import HasRole
from bot.middlewares import AfterCommit, Kick
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.people import own_zone
from core.reminder_policy import resolve_zone
from core.roles import Role
from core.seminars import (
    audience_options,
    cancel_seminar,
    create_seminar,
    edit_seminar,
    plan_today,
    plan_zone,
    seminar_card,
    set_in_holidays,
    upcoming,
)
from core.status import scope_of
from core.when import When, WhenError, parse_when
from handlers.settings import Replan

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)


class SeminarForm(StatesGroup):
    audience = State()
    topic = State()
    when = State()
    place = State()
    confirm = State()


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


async def _show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message under the pressed button (one message, not a stream of them)."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


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
        await _show(query, *await _list_view(session, clock, user_ctx))
        return
    try:
        await _show(query, *await _card_view(session, clock, user_ctx, callback_data.seminar_id))
    except NotFound:
        await query.answer(texts.SEMINAR_GONE, show_alert=True)


async def start_new(
    query: CallbackQuery, state: FSMContext, session: AsyncSession, user_ctx: UserContext
) -> None:
    options = await audience_options(session, scope_of(user_ctx))
    if not options:
        await query.answer(texts.SEMINAR_NO_PLANS, show_alert=True)
        return
    await state.set_state(SeminarForm.audience)
    await state.set_data({})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            texts.SEMINAR_ASK_AUDIENCE,
            reply_markup=keyboards.audience(
                "seminar", [(o.plan_id, [(d[0], d[1]) for d in o.directions]) for o in options]
            ),
        )


async def pick_audience(
    query: CallbackQuery,
    callback_data: AudiencePick,
    state: FSMContext,
    session: AsyncSession,
    user_ctx: UserContext,
) -> None:
    options = await audience_options(session, scope_of(user_ctx))
    plan = next((o for o in options if o.plan_id == callback_data.plan_id), None)
    direction = next(
        (d for d in (plan.directions if plan else []) if d[0] == callback_data.direction_id), None
    )
    if plan is None or (callback_data.direction_id and direction is None):
        await query.answer(texts.SEMINAR_GONE, show_alert=True)
        return
    audience = f"{direction[1]}. {direction[2]}" if direction else texts.BTN_WHOLE_PLAN.lower()
    await state.update_data(
        plan_id=plan.plan_id,
        plan_title=plan.title,
        direction_id=callback_data.direction_id or None,
        audience=audience,
    )
    await state.set_state(SeminarForm.topic)
    await _show(query, texts.SEMINAR_ASK_TOPIC, None)


async def take_topic(message: Message, state: FSMContext, session: AsyncSession) -> None:
    topic = " ".join((message.text or "").split())
    if not topic:
        await message.answer(texts.SEMINAR_EMPTY_TOPIC)
        return
    await state.update_data(topic=topic[:500])
    await state.set_state(SeminarForm.when)
    zone = await plan_zone(session, int((await state.get_data()).get("plan_id", 0)))
    await message.answer(texts.seminar_ask_when(zone))


async def take_when(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    data = await state.get_data()
    today = await plan_today(session, clock, int(data.get("plan_id", 0)))
    try:
        when = parse_when(message.text or "", today)
    except WhenError as exc:
        await message.answer(texts.WHEN_ERRORS[exc.code])
        return
    await state.update_data(day=when.day.isoformat(), at=when.at.isoformat() if when.at else None)
    await state.set_state(SeminarForm.place)
    await message.answer(texts.SEMINAR_ASK_PLACE, reply_markup=keyboards.skip_place())


async def _to_confirm(
    session: AsyncSession, clock: Clock, state: FSMContext, place: str | None
) -> str:
    await state.update_data(place=place)
    await state.set_state(SeminarForm.confirm)
    data = await state.get_data()
    when = _when(data)
    zone = await plan_zone(session, int(data.get("plan_id", 0)))
    label = texts.zone_label(zone) if when.at else ""
    today = await plan_today(session, clock, int(data.get("plan_id", 0)))
    return texts.seminar_draft(
        data["plan_title"],
        data["audience"],
        data["topic"],
        texts.when_text(when.day, when.at, today) + label,
        place,
    )


def _when(data: dict[str, object]) -> When:
    at = data.get("at")
    return When(date.fromisoformat(str(data["day"])), time.fromisoformat(str(at)) if at else None)


async def take_place(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    text = await _to_confirm(session, clock, state, (message.text or "").strip()[:500] or None)
    await message.answer(text, reply_markup=keyboards.seminar_draft())


async def draft_action(
    query: CallbackQuery,
    callback_data: SeminarDraftAct,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    current = await state.get_state()
    if callback_data.action == "skip" and current == SeminarForm.place.state:
        await _show(
            query, await _to_confirm(session, clock, state, None), keyboards.seminar_draft()
        )
        return
    if callback_data.action == "create" and current == SeminarForm.confirm.state:
        data = await state.get_data()
        await state.clear()
        try:
            _, count = await create_seminar(
                session,
                clock,
                scope=scope_of(user_ctx),
                actor_user_id=user_ctx.user_id,
                plan_id=int(data["plan_id"]),
                direction_id=data.get("direction_id"),
                topic=str(data["topic"]),
                when=_when(data),
                place=data.get("place"),
            )
        except NotFound:
            await query.answer(texts.SEMINAR_GONE, show_alert=True)
            return
        after_commit(lambda: _show(query, texts.seminar_created(count), None))
        after_commit.call(outbox_kick)
        return
    await state.clear()
    await _show(query, texts.SEMINAR_DISCARDED, None)


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
            await _show(
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
            after_commit(
                lambda: _show(query, f"{texts.seminar_cancelled(count)}\n\n{text}", markup)
            )
            after_commit.call(outbox_kick)
        elif action == "holidays":
            await set_in_holidays(
                session, clock, scope=scope_of(user_ctx), actor_user_id=user_ctx.user_id,
                seminar_id=seminar_id,
            )  # fmt: skip
            text, markup = await _card_view(session, clock, user_ctx, seminar_id)
            after_commit(lambda: _show(query, text, markup))
            after_commit.call(replan)
        else:
            card = await seminar_card(session, scope_of(user_ctx), seminar_id)
            if card.cancelled:
                await query.answer(texts.SEMINAR_IS_CANCELLED, show_alert=True)
                return
            await state.set_state(SeminarEdit.value)
            await state.set_data({"seminar_id": seminar_id, "field": action})
            prompt = {
                "topic": texts.SEMINAR_ASK_TOPIC,
                "when": texts.seminar_ask_when(card.zone),
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
    data = await state.get_data()
    seminar_id, field = int(data.get("seminar_id", 0)), str(data.get("field", ""))
    scope = scope_of(user_ctx)
    value: str | When = message.text or ""
    try:
        if field == "when":
            card = await seminar_card(session, scope, seminar_id)
            today = clock.now().astimezone(resolve_zone(card.zone)).date()
            value = parse_when(message.text or "", today)
        count = await edit_seminar(
            session,
            clock,
            scope=scope,
            actor_user_id=user_ctx.user_id,
            seminar_id=seminar_id,
            field_name=field,
            value=value,
        )
    except WhenError as exc:
        await message.answer(texts.WHEN_ERRORS[exc.code])
        return
    except NotFound:
        await state.clear()
        await message.answer(texts.SEMINAR_GONE)
        return
    except InvalidInput as exc:
        if str(exc) == "empty topic":
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
    router.callback_query.register(start_new, SeminarNew.filter(), MANAGERS)
    router.callback_query.register(
        pick_audience, AudiencePick.filter(F.purpose == "seminar"), SeminarForm.audience, MANAGERS
    )
    router.message.register(take_topic, SeminarForm.topic, *text, MANAGERS)
    router.message.register(take_when, SeminarForm.when, *text, MANAGERS)
    router.message.register(take_place, SeminarForm.place, *text, MANAGERS)
    router.callback_query.register(draft_action, SeminarDraftAct.filter(), MANAGERS)
    router.callback_query.register(card_action, SeminarAct.filter(), MANAGERS)
    router.message.register(take_edit, SeminarEdit.value, *text, MANAGERS)
    return router
