"""🏫 Школы of a plan (/plans, after an import): pages of schools, search, attach, detach (asked
first), a new school by name. Who may is decided in core.plan_schools."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import PlanSchools, SchoolToggle
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from core import plan_schools
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.roles import Role

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)
Replan = Callable[[], None]
ASK = "schools_ask"  # FSM data: the plan and direction a typed name is for
RESUME = "pending"  # FSM data of an import's flagged rows still to ask (handlers.plan_import)


class SchoolFlow(StatesGroup):
    find = State()
    new = State()


def view(
    found: plan_schools.Directions | plan_schools.SchoolsPage, head: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of a directions choice or a page of schools."""
    if isinstance(found, plan_schools.Directions):
        return texts.plan_directions(found, head), keyboards.plan_directions(found)
    return texts.plan_schools(found, head), keyboards.plan_schools(found)


async def on_list(
    query: CallbackQuery,
    callback_data: PlanSchools,
    state: FSMContext,
    session: AsyncSession,
    user_ctx: UserContext,
) -> None:
    """Open, page, or ask for a name to find or add."""
    plan_id, direction_id = callback_data.plan_id, callback_data.direction_id or None
    message = query.message
    try:
        if direction_id is None and callback_data.action in ("open", "list"):
            found = await plan_schools.screen(session, user_ctx, plan_id, callback_data.page)
        else:
            found = await plan_schools.page(
                session, user_ctx, plan_id, direction_id, callback_data.page
            )
    except NotFound:
        await query.answer(texts.PLAN_GONE, show_alert=True)
        return
    await query.answer()
    if not isinstance(message, Message):
        return
    if callback_data.action in ("find", "new"):
        await _ask(state, callback_data.action, plan_id, direction_id)
        prompt = texts.SCHOOL_FIND_ASK if callback_data.action == "find" else texts.SCHOOL_NEW_ASK
        await message.answer(prompt)
        return
    text, markup = view(found)
    if callback_data.action == "open":
        await message.answer(text, reply_markup=markup)
    else:
        await message.edit_text(text, reply_markup=markup)


async def _ask(state: FSMContext, action: str, plan_id: int, direction_id: int | None) -> None:
    """Wait for one typed name; an import's date questions still waiting resume after it."""
    data = await state.get_data()
    current = await state.get_state()
    ask = {"plan_id": plan_id, "direction_id": direction_id, "back": None}
    if data.get(RESUME):
        back = data.get(ASK, {}).get("back") if current in SchoolFlow.__state_names__ else current
        await state.update_data({ASK: {**ask, "back": back}})
    else:
        await state.set_data({ASK: ask})
    await state.set_state(SchoolFlow.find if action == "find" else SchoolFlow.new)


async def _answered(state: FSMContext) -> tuple[int, int | None]:
    """The plan and direction asked about; the conversation the question interrupted resumes."""
    ask = (await state.get_data()).get(ASK) or {}
    if ask.get("back"):
        await state.set_state(ask["back"])
        await state.update_data({ASK: None})
    else:
        await state.clear()
    return int(ask.get("plan_id", 0)), ask.get("direction_id")


async def on_find(
    message: Message, state: FSMContext, session: AsyncSession, user_ctx: UserContext
) -> None:
    """A typed name or number: the first matching schools."""
    plan_id, direction_id = await _answered(state)
    try:
        found = await plan_schools.search(
            session, user_ctx, plan_id, direction_id, message.text or ""
        )
    except NotFound:
        await message.answer(texts.PLAN_GONE)
        return
    text, markup = view(found)
    await message.answer(text, reply_markup=markup)


async def on_new(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    replan: Replan | None = None,
) -> None:
    """A typed school name: that school (new, or found by name) takes part."""
    plan_id, direction_id = await _answered(state)
    try:
        change = await plan_schools.add(
            session, clock, user_ctx, plan_id, direction_id, message.text or ""
        )
        found = await plan_schools.page(session, user_ctx, plan_id, direction_id, 0)
    except InvalidInput:
        await message.answer(texts.SCHOOL_NAME_BAD)
        return
    except NotFound:
        await message.answer(texts.PLAN_GONE)
        return
    text, markup = view(found, texts.school_attached(change))
    after_commit(lambda: message.answer(text, reply_markup=markup))
    after_commit.call(replan)


async def on_toggle(
    query: CallbackQuery,
    callback_data: SchoolToggle,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    replan: Replan | None = None,
) -> None:
    """A school's number: attach it; detach it only once the counts were shown and confirmed."""
    data, message = callback_data, query.message
    direction_id = data.direction_id or None
    args = (session, clock, user_ctx, data.plan_id, direction_id, data.school_id)
    try:
        if data.action == "on":
            change = await plan_schools.attach(*args)
            head = texts.school_attached(change)
        elif data.action in ("off", "off_yes"):
            change = await plan_schools.detach(*args, dry_run=data.action == "off")
            head = texts.detach_result(
                change.school, change.cancelled, change.kept,
                done=data.action == "off_yes", direction=change.direction, chat=True,
            )  # fmt: skip
        else:
            await query.answer()
            return
        found = await plan_schools.page(session, user_ctx, data.plan_id, direction_id, data.page)
    except NotFound:
        await query.answer(texts.SCHOOL_GONE, show_alert=True)
        return
    await query.answer()
    if not isinstance(message, Message):
        return
    if data.action == "off" and change.changed:
        markup = keyboards.school_detach(data)
        await message.edit_text(head, reply_markup=markup)
        return
    text, markup = view(found, head if change.changed else None)
    after_commit(lambda: message.edit_text(text, reply_markup=markup))
    after_commit.call(replan)


def build_router() -> Router:
    router = Router(name="plan_schools")
    typed = (F.text, ~F.text.startswith("/"), MANAGERS)
    router.message.register(on_find, SchoolFlow.find, *typed)
    router.message.register(on_new, SchoolFlow.new, *typed)
    router.callback_query.register(on_list, PlanSchools.filter(), MANAGERS)
    router.callback_query.register(on_toggle, SchoolToggle.filter(), MANAGERS)
    return router
