"""/plans → 🏖 Каникулы: a plan's school holidays and pauses, listed, added, lifted."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import BreakAct, BreakLift
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core import timeoff
from core.clock import Clock
from core.daysoff import HOLIDAYS, PAUSE
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.reminder_policy import local_today
from core.roles import Role
from core.status import scope_of
from handlers.settings import Replan

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)


class BreakFlow(StatesGroup):
    text = State()


def _today(clock: Clock, settings: Settings) -> date:
    return local_today(clock.now(), settings.default_timezone)


async def _listing(
    session: AsyncSession, user_ctx: UserContext, plan_id: int, today: date
) -> tuple[str, object]:
    title = await timeoff.plan_title(session, scope_of(user_ctx), plan_id)
    rows = await timeoff.list_breaks(session, plan_id, today)
    return texts.breaks_list(title, rows, today), keyboards.breaks(plan_id, [r.id for r in rows])


async def on_button(
    query: CallbackQuery,
    callback_data: BreakAct,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    """The list, or the prompt for new holidays or a pause."""
    if not isinstance(query.message, Message):
        return
    plan_id = callback_data.plan_id
    try:
        text, markup = await _listing(session, user_ctx, plan_id, _today(clock, settings))
    except NotFound:
        await query.answer(texts.PLAN_GONE, show_alert=True)
        return
    await query.answer()
    if callback_data.action not in ("holidays", "pause"):
        await query.message.answer(text, reply_markup=markup)  # type: ignore[arg-type]
        return
    kind = PAUSE if callback_data.action == "pause" else HOLIDAYS
    await state.set_state(BreakFlow.text)
    await state.set_data({"plan_id": plan_id, "kind": kind})
    today = _today(clock, settings)
    await query.message.answer(
        texts.pause_ask(today) if kind == PAUSE else texts.holidays_ask(today)
    )


async def on_lift(
    query: CallbackQuery,
    callback_data: BreakLift,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    replan: Replan | None = None,
) -> None:
    """✖️ N: holidays removed, or a pause ended now (its summary follows)."""
    if not isinstance(query.message, Message):
        return
    message, today = query.message, _today(clock, settings)
    try:
        plan_id = await timeoff.break_plan(session, callback_data.break_id)
        await timeoff.plan_title(session, scope_of(user_ctx), plan_id)  # in scope, or NotFound
        row = await timeoff.lift(session, clock, callback_data.break_id, today, user_ctx.user_id)
        text, markup = await _listing(session, user_ctx, plan_id, today)
    except NotFound:
        await query.answer(texts.PLAN_GONE, show_alert=True)
        return
    await query.answer()
    after_commit(lambda: message.answer(texts.break_lifted(row)))
    after_commit(lambda: message.answer(text, reply_markup=markup))  # type: ignore[arg-type]
    after_commit.call(replan)


async def on_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    replan: Replan | None = None,
) -> None:
    """ "26.10–03.11 осенние" or "по 10.12 карантин — 21" (a pause of school 21 only)."""
    data = await state.get_data()
    today = _today(clock, settings)
    plan_id, kind = int(data["plan_id"]), str(data["kind"])
    try:
        await timeoff.plan_title(session, scope_of(user_ctx), plan_id)
        first, last, title, school_id, _ = await timeoff.parse_entry(
            session, plan_id, kind, message.text or "", today
        )
        row = await timeoff.add_break(
            session, clock, plan_id, kind, first, last, title,
            school_id=school_id, actor_user_id=user_ctx.user_id,
        )  # fmt: skip
    except InvalidInput:
        await message.answer(texts.break_bad(today))
        return
    except NotFound:
        await state.clear()
        await message.answer(texts.PLAN_GONE)
        return
    await state.clear()
    text, markup = await _listing(session, user_ctx, plan_id, today)
    after_commit(lambda: message.answer(texts.break_added(row, today)))
    after_commit(lambda: message.answer(text, reply_markup=markup))  # type: ignore[arg-type]
    after_commit.call(replan)


def build_router() -> Router:
    router = Router(name="holidays")
    router.message.register(on_text, BreakFlow.text, F.text, ~F.text.startswith("/"), MANAGERS)
    router.callback_query.register(on_button, BreakAct.filter(), MANAGERS)
    router.callback_query.register(on_lift, BreakLift.filter(), MANAGERS)
    return router
