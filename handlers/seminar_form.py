"""➕ Новый семинар: a coordinator chooses the audience, then the topic, day and time, place,
and confirms; a past day is refused at once, a later year's only confirmed."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import AudiencePick, SeminarDraftAct
from bot.middlewares import AfterCommit, Kick
from core.clock import Clock
from core.dto import UserContext
from core.errors import NotFound
from core.seminars import (
    audience_options,
    create_seminar,
    plan_school_year,
    plan_today,
    plan_zone,
)
from core.status import scope_of
from core.when import When, WhenError, parse_when
from handlers.typed_dates import refuse_past, take_later


class SeminarForm(StatesGroup):
    audience = State()
    topic = State()
    when = State()
    place = State()
    confirm = State()


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replace the message under the pressed button (one message, not a stream of them)."""
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


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
    await show(query, texts.SEMINAR_ASK_TOPIC, None)


async def take_topic(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    topic = " ".join((message.text or "").split())
    if not topic:
        await message.answer(texts.SEMINAR_EMPTY_TOPIC)
        return
    await state.update_data(topic=topic[:500])
    await state.set_state(SeminarForm.when)
    plan_id = int((await state.get_data()).get("plan_id", 0))
    today = await plan_today(session, clock, plan_id)
    await message.answer(texts.seminar_ask_when(await plan_zone(session, plan_id), today))


async def take_when(
    message: Message, state: FSMContext, session: AsyncSession, clock: Clock
) -> None:
    """The day (of the plan's school year when typed without a year) and time; a past one is
    refused at once and asked again, a later year's offered to confirm."""
    plan_id = int((await state.get_data()).get("plan_id", 0))
    today = await plan_today(session, clock, plan_id)
    try:
        when = parse_when(message.text or "", today, await plan_school_year(session, plan_id))
    except WhenError as exc:
        ask = texts.seminar_ask_when(await plan_zone(session, plan_id), today)
        await refuse_when(message, state, exc, today, ask, "seminar")
        return
    await _take_when(message, state, when)


async def _take_when(message: Message, state: FSMContext, when: When) -> None:
    await state.update_data(day=when.day.isoformat(), at=when.at.isoformat() if when.at else None)
    await state.set_state(SeminarForm.place)
    await message.answer(texts.SEMINAR_ASK_PLACE, reply_markup=keyboards.skip_place())


async def refuse_when(
    message: Message, state: FSMContext, exc: WhenError, today: date, ask: str, flow: str
) -> None:
    """A day not understood, or past (the question stays open)."""
    if exc.code != "past" or exc.day is None:
        await message.answer(texts.when_unclear(today))
        return
    at = f", {exc.at:%H:%M}" if exc.at else ""
    later = exc.later
    keep = {"day": later.isoformat(), "at": exc.at.isoformat() if exc.at else None} if later else {}
    offer = (texts.full_date(later) + at, keep) if later else None
    await refuse_past(message, state, flow, texts.day_month(exc.day, today) + at, ask, offer)


async def take_later_when(query: CallbackQuery, state: FSMContext) -> None:
    """The later year's day confirmed: the new seminar goes on."""
    kept = await take_later(query, state)
    if kept is not None and isinstance(query.message, Message):
        await _take_when(query.message, state, when_of(kept))


async def _to_confirm(
    session: AsyncSession, clock: Clock, state: FSMContext, place: str | None
) -> str:
    await state.update_data(place=place)
    await state.set_state(SeminarForm.confirm)
    data = await state.get_data()
    when = when_of(data)
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


def when_of(data: dict[str, Any]) -> When:
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
        await show(query, await _to_confirm(session, clock, state, None), keyboards.seminar_draft())
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
                when=when_of(data),
                place=data.get("place"),
            )
        except NotFound:
            await query.answer(texts.SEMINAR_GONE, show_alert=True)
            return
        after_commit(lambda: show(query, texts.seminar_created(count), None))
        after_commit.call(outbox_kick)
        return
    await state.clear()
    await show(query, texts.SEMINAR_DISCARDED, None)
