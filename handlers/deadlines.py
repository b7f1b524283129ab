"""📅 Перенести срок: a curator asks for a new date (with a reason), a coordinator approves,
picks another date or declines from the request; a coordinator moves a date directly."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import DeadlineDecision, DeadlineScope, LaterDate
from bot.middlewares import AfterCommit, Kick
from bot.settings import Settings
from core import deadlines
from core.clock import Clock
from core.deadlines import DeadlineError
from core.dto import UserContext
from core.errors import InvalidInput
from core.reminder_policy import local_today
from core.timeoff import parse_span
from core.when import later_fit
from core.work import WorkError, item_card
from handlers.settings import Replan
from handlers.typed_dates import refuse_past, take_later


class DeadlineFlow(StatesGroup):
    date = State()
    reason = State()


def _today(clock: Clock, settings: Settings) -> date:
    return local_today(clock.now(), settings.default_timezone)


async def _ask(
    query: CallbackQuery, state: FSMContext, data: dict[str, object], year: int | None, today: date
) -> None:
    """The date question; `year`: the plan's school year, where a day without a year falls."""
    await state.set_state(DeadlineFlow.date)
    await state.set_data({**data, "year": year})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.deadline_ask_date(today))


async def start_move(
    query: CallbackQuery,
    assignment_id: int,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    **_: object,
) -> None:
    """From the card: a curator asks; a coordinator chooses this school or all, then the date."""
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        card = await item_card(session, user_ctx, assignment_id)
    except WorkError as exc:
        await query.answer(texts.work_error(exc.code), show_alert=True)
        return
    if card.can_move:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(
                texts.DEADLINE_ASK_SCOPE, reply_markup=keyboards.deadline_scope(assignment_id)
            )
    elif card.can_act:
        year = await deadlines.school_year(session, assignment_id=assignment_id)
        data = {"mode": "ask", "ref": assignment_id}
        await _ask(query, state, data, year, _today(clock, settings))
    else:
        await query.answer(texts.DEADLINE_ERRORS["wrong_state"], show_alert=True)


async def on_scope(
    query: CallbackQuery,
    callback_data: DeadlineScope,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
) -> None:
    """A coordinator's move: this school only, or every school; then the date."""
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    ref = callback_data.assignment_id
    try:
        card = await item_card(session, user_ctx, ref)
    except WorkError as exc:
        await query.answer(texts.work_error(exc.code), show_alert=True)
        return
    if not card.can_move or callback_data.action not in ("one", "all"):
        await query.answer(texts.DEADLINE_ERRORS["forbidden"], show_alert=True)
        return
    year = await deadlines.school_year(session, assignment_id=ref)
    data = {"mode": callback_data.action, "ref": ref}
    await _ask(query, state, data, year, _today(clock, settings))


async def on_decision(
    query: CallbackQuery,
    callback_data: DeadlineDecision,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
    replan: Replan | None = None,
) -> None:
    """Approve or decline a request from its message (edited to say so), or ask another date."""
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    action, ref = callback_data.action, callback_data.change_id
    try:
        if action == "other":
            await deadlines.check_decider(session, user_ctx, ref)
            year = await deadlines.school_year(session, change_id=ref)
            today = _today(clock, settings)
            await _ask(query, state, {"mode": "other", "ref": ref}, year, today)
            return
        if action not in ("approve", "decline"):
            raise DeadlineError("not_found")
        info = await deadlines.decide(session, clock, user_ctx, ref, action == "approve")
    except DeadlineError as exc:
        await query.answer(texts.DEADLINE_ERRORS.get(exc.code, exc.code), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        message = query.message
        markup = keyboards.open_item(info.assignment_id) if info.assignment_id else None
        text = texts.deadline_request(info, _today(clock, settings))
        after_commit(lambda: message.edit_text(text, reply_markup=markup))
    after_commit.call(outbox_kick)
    after_commit.call(replan)


async def on_date(
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
    """The new date (in the plan's school year when typed without a year); a past one is refused
    at once and asked again, with the same day of a later year offered to confirm."""
    today, year = _today(clock, settings), (await state.get_data()).get("year")
    try:
        first, last, inferred = parse_span(message.text or "", today, year)
        one_day = first == last
    except InvalidInput:
        one_day = False
    if not one_day:
        await message.answer(texts.deadline_bad_date(today))
        return
    if first < today:
        later = later_fit(first, today) if inferred else None
        offer = (texts.full_date(later), {"day": later.isoformat()}) if later else None
        typed, ask = texts.day_month(first, today), texts.deadline_ask_date(today)
        await refuse_past(message, state, "deadline", typed, ask, offer)
        return
    await _take_date(
        message, state, session, clock, settings, user_ctx, after_commit, outbox_kick, replan, first
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
    """The later year's date confirmed: the flow goes on as if it had been typed."""
    kept = await take_later(query, state)
    if kept is None or not isinstance(query.message, Message):
        return
    day = date.fromisoformat(str(kept["day"]))
    await _take_date(
        query.message, state, session, clock, settings, user_ctx, after_commit, outbox_kick,
        replan, day,
    )  # fmt: skip


async def _take_date(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None,
    replan: Replan | None,
    first: date,
) -> None:
    """Requests and moves then ask for a reason, "another date" decides now."""
    data = await state.get_data()
    if data.get("mode") != "other":
        await state.update_data(day=first.isoformat())
        await state.set_state(DeadlineFlow.reason)
        ask = texts.DEADLINE_ASK_REASON if data.get("mode") == "ask" else texts.DEADLINE_ASK_NOTE
        await message.answer(ask)
        return
    await state.clear()
    if user_ctx is None:
        await message.answer(texts.NOT_MEMBER)
        return
    try:
        info = await deadlines.decide(
            session, clock, user_ctx, int(str(data["ref"])), True, other_date=first
        )
    except DeadlineError as exc:
        await message.answer(texts.DEADLINE_ERRORS.get(exc.code, exc.code))
        return
    after_commit(lambda: message.answer(texts.deadline_request(info, _today(clock, settings))))
    after_commit.call(outbox_kick)
    after_commit.call(replan)


async def on_reason(
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
    """The reason: the request goes to the coordinators, or the move is made."""
    data = await state.get_data()
    await state.clear()
    if user_ctx is None:
        await message.answer(texts.NOT_MEMBER)
        return
    day = date.fromisoformat(str(data["day"]))
    reason = (message.text or "").strip()
    ref = int(str(data["ref"]))
    try:
        if data.get("mode") == "ask":
            await deadlines.request_change(
                session, clock, user_ctx, ref, day, reason, _today(clock, settings)
            )
            reply = texts.deadline_sent(day, _today(clock, settings))
        else:
            activity_id, school_id = await deadlines.item_of(session, ref)
            info, count = await deadlines.move(
                session, clock, user_ctx, activity_id, day,
                None if data.get("mode") == "all" else school_id,
                None if reason == "-" else reason,
            )  # fmt: skip
            reply = texts.deadline_moved(info, _today(clock, settings), count)
    except (DeadlineError, WorkError) as exc:
        await message.answer(texts.DEADLINE_ERRORS.get(exc.code, exc.code))
        return
    after_commit(lambda: message.answer(reply))
    after_commit.call(outbox_kick)
    after_commit.call(replan)


def build_router() -> Router:
    router = Router(name="deadlines")
    text = (F.text, ~F.text.startswith("/"))
    router.message.register(on_date, DeadlineFlow.date, *text)
    router.message.register(on_reason, DeadlineFlow.reason, *text)
    router.callback_query.register(
        on_later, LaterDate.filter(F.flow == "deadline"), DeadlineFlow.date
    )
    router.callback_query.register(on_scope, DeadlineScope.filter())
    router.callback_query.register(on_decision, DeadlineDecision.filter())
    return router
