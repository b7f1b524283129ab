"""Onboarding: /start with or without an invitation code, /help and /me."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menus, texts
from bot.middlewares import AfterCommit, Kick
from bot.profiles import profile_of
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvitationError
from core.invitations import redeem_invitation
from core.people import mark_unblocked
from messengers import messenger_of


async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    after_commit: AfterCommit,
    settings: Settings,
    outbox_kick: Kick | None = None,
) -> None:
    """/start <code>: redeem the invitation; greet with school and role once it is stored."""
    assert message.from_user is not None and command.args is not None
    try:
        result = await redeem_invitation(
            session,
            clock,
            code=command.args.strip(),
            profile=profile_of(message.from_user, messenger_of(bot), message.chat.id),
        )
    except InvitationError as exc:
        await message.answer(texts.INVITATION_ERRORS[exc.code])
        return
    greeting = texts.greeting(
        message.from_user.first_name, result.membership, result.already_member
    )

    async def welcome() -> None:
        await menus.publish_menu(bot, message.chat.id, result.context.roles, settings.webapp_url)
        await message.answer(greeting)

    after_commit(welcome)
    after_commit.call(outbox_kick)  # the coordinators hear who joined


async def start_plain(
    message: Message,
    user_ctx: UserContext | None,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """/start alone: explain how to join, or show who the person is. Pressing Start again
    after blocking the bot makes them reachable again (MAX says so only this way)."""
    if user_ctx is not None and message.from_user is not None:
        await mark_unblocked(session, clock, messenger_of(bot), message.from_user.id)
    if user_ctx and user_ctx.memberships:
        await message.answer(texts.me(user_ctx))
    else:
        await message.answer(texts.START_NO_CODE)


async def show_help(message: Message, user_ctx: UserContext | None) -> None:
    """/help: the commands this person can use."""
    roles = user_ctx.roles if user_ctx and user_ctx.is_active else frozenset()
    await message.answer(texts.help_text(menus.commands_for(roles), user_ctx))


async def show_me(message: Message, user_ctx: UserContext | None) -> None:
    """/me: roles and schools."""
    await message.answer(texts.me(user_ctx) if user_ctx else texts.NOT_MEMBER)


def build_router() -> Router:
    router = Router(name="onboarding")
    router.message.filter(F.chat.type == "private")
    router.message.register(start_with_code, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    router.message.register(show_help, Command("help"))
    router.message.register(show_me, Command("me"))
    return router
