"""/people: find a person, change or remove their role, move them, switch them off or on."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, menus, texts
from bot.callbacks import PersonAct, PersonMove, PersonOpen, PersonRole
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core.accounts import chat_in
from core.admin import (
    change_role,
    invitable_roles,
    list_people,
    move_to_school,
    person,
    schools_in_scope,
    set_active,
)
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.reminder_policy import local_today
from core.roles import Role
from core.status import scope_of
from messengers import messenger_of

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)
PAGE = 20


async def show_people(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    """/people [search]: up to 20 people (who is away says so), a number opens the card."""
    today = local_today(clock.now(), settings.default_timezone)
    rows = await list_people(
        session, scope_of(user_ctx), search=(command.args or "").strip() or None, today=today
    )
    await message.answer(
        texts.people_list(rows[:PAGE], today),
        reply_markup=keyboards.numbered(
            [(str(i), PersonOpen(user_id=p.user_id)) for i, p in enumerate(rows[:PAGE], 1)]
        )
        if rows
        else None,
    )


def _today(clock: Clock, settings: Settings) -> date:
    return local_today(clock.now(), settings.default_timezone)


async def _card(
    query: CallbackQuery,
    session: AsyncSession,
    user_ctx: UserContext,
    user_id: int,
    today: date,
    after_commit: AfterCommit | None = None,
) -> None:
    """Show the card: as a new message, or (after a change) edited once the change is saved."""
    found = await person(session, scope_of(user_ctx), user_id)
    text = texts.person_card(found, today)
    markup = keyboards.person_card(user_id, found.active)
    if after_commit is None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(text, reply_markup=markup)
        return

    async def edit() -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(text, reply_markup=markup)

    after_commit(edit)


async def open_person(
    query: CallbackQuery,
    callback_data: PersonOpen,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    try:
        await _card(query, session, user_ctx, callback_data.user_id, _today(clock, settings))
    except NotFound:
        await query.answer(texts.PERSON_GONE, show_alert=True)


async def act(
    query: CallbackQuery,
    callback_data: PersonAct,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    settings: Settings,
) -> None:
    scope, user_id = scope_of(user_ctx), callback_data.user_id
    try:
        found = await person(session, scope, user_id)
        if callback_data.action == "role":
            roles = tuple(r.value for r in invitable_roles(scope))
            await query.answer()
            if isinstance(query.message, Message):
                await query.message.edit_text(
                    f"{texts.person_card(found, _today(clock, settings))}\n\n{texts.CHOOSE_ROLE}",
                    reply_markup=keyboards.role_choice(user_id, roles),
                )
            return
        if callback_data.action == "move":
            schools = await schools_in_scope(session, scope)
            await query.answer()
            if isinstance(query.message, Message):
                text, markup = keyboards.school_choice(
                    f"{texts.person_card(found, _today(clock, settings))}\n\n{texts.CHOOSE_SCHOOL}",
                    schools,
                    lambda school_id: PersonMove(user_id=user_id, school_id=school_id),
                )
                await query.message.edit_text(text, reply_markup=markup)
            return
        if callback_data.action in ("activate", "deactivate"):
            await set_active(
                session, clock, scope, user_ctx.user_id, user_id, callback_data.action == "activate"
            )
        elif callback_data.action == "revoke":
            await change_role(session, clock, scope, user_ctx.user_id, user_id, None)
        await _menu_after(after_commit, bot, session, user_ctx, user_id, settings)
        await _card(query, session, user_ctx, user_id, _today(clock, settings), after_commit)
    except NotFound:
        await query.answer(texts.PERSON_GONE, show_alert=True)
    except InvalidInput:
        await query.answer(texts.NOT_YOURSELF, show_alert=True)


async def _menu_after(
    after_commit: AfterCommit,
    bot: Bot,
    session: AsyncSession,
    user_ctx: UserContext,
    user_id: int,
    settings: Settings,
) -> None:
    """Once committed, the person's command menu follows their new roles."""
    found = await person(session, scope_of(user_ctx), user_id)
    roles = frozenset(r.role for r in found.roles) if found.active else frozenset()
    chat = await chat_in(session, user_id, messenger_of(bot))
    if found.started and not found.blocked and chat is not None:
        after_commit(lambda: menus.publish_menu(bot, chat, roles, settings.webapp_url))


async def set_role(
    query: CallbackQuery,
    callback_data: PersonRole,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    settings: Settings,
) -> None:
    try:
        role = Role(callback_data.role)
        await change_role(
            session, clock, scope_of(user_ctx), user_ctx.user_id, callback_data.user_id, role
        )
        await _menu_after(after_commit, bot, session, user_ctx, callback_data.user_id, settings)
        today = _today(clock, settings)
        await _card(query, session, user_ctx, callback_data.user_id, today, after_commit)
    except (NotFound, ValueError):
        await query.answer(texts.PERSON_GONE, show_alert=True)


async def move(
    query: CallbackQuery,
    callback_data: PersonMove,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    try:
        await move_to_school(
            session,
            clock,
            scope_of(user_ctx),
            user_ctx.user_id,
            callback_data.user_id,
            callback_data.school_id,
        )
        today = _today(clock, settings)
        await _card(query, session, user_ctx, callback_data.user_id, today, after_commit)
    except NotFound:
        await query.answer(texts.PERSON_GONE, show_alert=True)


def build_router() -> Router:
    router = Router(name="people")
    router.message.register(show_people, Command("people"), MANAGERS)
    router.callback_query.register(open_person, PersonOpen.filter(), MANAGERS)
    router.callback_query.register(act, PersonAct.filter(), MANAGERS)
    router.callback_query.register(set_role, PersonRole.filter(), MANAGERS)
    router.callback_query.register(move, PersonMove.filter(), MANAGERS)
    return router
