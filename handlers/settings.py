"""/settings (a person's reminders) and /plans (a plan's reminders, archive) for coordinators."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import PlanArchive, PlanOpen, SettingPick
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from core import plan_schools
from core.clock import Clock
from core.dto import UserContext
from core.errors import NotFound
from core.roles import Role
from core.settings import (
    PERSON_KEYS,
    PLAN_KEYS,
    SettingError,
    person_settings,
    plan_settings,
    plans_in_scope,
    set_archived,
    set_person_setting,
    set_plan_setting,
)
from core.status import scope_of
from handlers.plan_schools import view as schools_view

MEMBERS = HasRole(*Role)
MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)
Replan = Callable[[], None]


class SettingEdit(StatesGroup):
    value = State()


async def _my_view(
    session: AsyncSession, user_ctx: UserContext
) -> tuple[str, InlineKeyboardMarkup]:
    values = await person_settings(session, user_ctx.user_id)
    return (
        texts.settings_view(texts.COMMAND_DESCRIPTIONS["settings"], values),
        keyboards.settings("me", 0, PERSON_KEYS),
    )


async def _plan_view(
    session: AsyncSession, user_ctx: UserContext, plan_id: int
) -> tuple[str, InlineKeyboardMarkup]:
    scope = scope_of(user_ctx)
    values = await plan_settings(session, scope, plan_id)
    plan = next(p for p in await plans_in_scope(session, scope) if p.plan_id == plan_id)
    return (
        texts.plan_card(plan.title, plan.archived, values),
        keyboards.plan_card(plan_id, plan.archived, PLAN_KEYS),
    )


async def show_settings(message: Message, session: AsyncSession, user_ctx: UserContext) -> None:
    text, markup = await _my_view(session, user_ctx)
    await message.answer(text, reply_markup=markup)


async def show_plans(message: Message, session: AsyncSession, user_ctx: UserContext) -> None:
    """The plans the person manages, then those they give to schools by direction only."""
    managed = await plans_in_scope(session, scope_of(user_ctx))
    plans = [(p.plan_id, p.title, p.archived) for p in managed]
    plans += [(i, t, False) for i, t in await plan_schools.direction_plans(session, user_ctx)]
    await message.answer(
        texts.plan_list([(title, archived) for _, title, archived in plans]),
        reply_markup=keyboards.plan_list([i for i, _, _ in plans]) if plans else None,
    )


async def open_plan(
    query: CallbackQuery, callback_data: PlanOpen, session: AsyncSession, user_ctx: UserContext
) -> None:
    """The plan's card; for a direction's coordinator, its schools (their part of /plans)."""
    try:
        text, markup = await _plan_view(session, user_ctx, callback_data.plan_id)
    except NotFound:
        try:
            text, markup = schools_view(
                await plan_schools.screen(session, user_ctx, callback_data.plan_id)
            )
        except NotFound:
            await query.answer(texts.PLAN_GONE, show_alert=True)
            return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup)


async def archive(
    query: CallbackQuery,
    callback_data: PlanArchive,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    replan: Replan | None = None,
) -> None:
    try:
        await set_archived(
            session,
            clock,
            scope=scope_of(user_ctx),
            actor_user_id=user_ctx.user_id,
            plan_id=callback_data.plan_id,
            archived=bool(callback_data.archived),
        )
        text, markup = await _plan_view(session, user_ctx, callback_data.plan_id)
    except NotFound:
        await query.answer(texts.PLAN_GONE, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)
    after_commit.call(replan)


async def pick(
    query: CallbackQuery,
    callback_data: SettingPick,
    state: FSMContext,
    session: AsyncSession,
    user_ctx: UserContext,
) -> None:
    keys = PLAN_KEYS if callback_data.target == "plan" else PERSON_KEYS
    if callback_data.key not in keys:
        await query.answer()
        return
    if callback_data.target == "plan":
        try:
            await plan_settings(session, scope_of(user_ctx), callback_data.plan_id)
        except NotFound:
            await query.answer(texts.PLAN_GONE, show_alert=True)
            return
    await state.set_state(SettingEdit.value)
    await state.set_data(callback_data.model_dump())
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.SETTING_PROMPTS[callback_data.key])


async def take_value(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    replan: Replan | None = None,
) -> None:
    data = await state.get_data()
    target, key, plan_id = data.get("target"), str(data.get("key")), int(data.get("plan_id", 0))
    try:
        if target == "plan":
            await set_plan_setting(
                session,
                clock,
                scope=scope_of(user_ctx),
                actor_user_id=user_ctx.user_id,
                plan_id=plan_id,
                key=key,
                text=message.text or "",
            )
            text, markup = await _plan_view(session, user_ctx, plan_id)
        else:
            await set_person_setting(session, clock, user_ctx.user_id, key, message.text or "")
            text, markup = await _my_view(session, user_ctx)
    except SettingError as exc:
        await message.answer(texts.SETTING_ERRORS[exc.key])
        return
    except NotFound:
        await state.clear()
        await message.answer(texts.PLAN_GONE)
        return
    await state.clear()
    await message.answer(f"{texts.SETTING_SAVED}\n\n{text}", reply_markup=markup)
    after_commit.call(replan)


def build_router() -> Router:
    router = Router(name="settings")
    router.message.register(show_settings, Command("settings"), MEMBERS)
    router.message.register(show_plans, Command("plans"), MANAGERS)
    router.callback_query.register(open_plan, PlanOpen.filter(), MANAGERS)
    router.callback_query.register(archive, PlanArchive.filter(), MANAGERS)
    router.callback_query.register(pick, SettingPick.filter(F.target == "me"), MEMBERS)
    router.callback_query.register(pick, SettingPick.filter(F.target == "plan"), MANAGERS)
    router.message.register(take_value, SettingEdit.value, F.text, ~F.text.startswith("/"), MEMBERS)
    return router
