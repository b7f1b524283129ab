"""Group chats: /link to a direction, /unlink, /status totals; silence for everything else."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter, Command
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import AudiencePick, RsvpAction
from bot.filters import HasRole
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.errors import NotFound
from core.groups import group_status, link_chat, unlink_chat
from core.roles import Role
from core.seminars import audience_options
from core.status import scope_of
from handlers.reminders import rsvp
from messengers import messenger_of

MANAGERS = HasRole(Role.COORDINATOR, Role.ADMIN)
GROUPS = F.chat.type.in_({"group", "supergroup"})


async def greet(event: ChatMemberUpdated) -> None:
    await event.answer(texts.GROUP_HELLO)


async def removed(event: ChatMemberUpdated, session: AsyncSession, clock: Clock, bot: Bot) -> None:
    await unlink_chat(session, clock, event.chat.id, None, messenger_of(bot))


async def ask_direction(message: Message, session: AsyncSession, user_ctx: UserContext) -> None:
    options = await audience_options(session, scope_of(user_ctx))
    if not options:
        await message.reply(texts.SEMINAR_NO_PLANS)
        return
    await message.reply(
        texts.GROUP_CHOOSE,
        reply_markup=keyboards.audience(
            "link", [(o.plan_id, [(d[0], d[1]) for d in o.directions]) for o in options]
        ),
    )


async def not_allowed(message: Message) -> None:
    await message.reply(texts.GROUP_ONLY_COORDINATORS)


async def pick_direction(
    query: CallbackQuery,
    callback_data: AudiencePick,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    bot: Bot,
) -> None:
    if user_ctx is None or not user_ctx.roles & {Role.COORDINATOR, Role.ADMIN}:
        await query.answer(texts.GROUP_ONLY_COORDINATORS, show_alert=True)
        return
    if not isinstance(query.message, Message):
        await query.answer()
        return
    try:
        link = await link_chat(
            session,
            clock,
            scope=scope_of(user_ctx),
            actor_user_id=user_ctx.user_id,
            chat_id=query.message.chat.id,
            title=query.message.chat.title,
            plan_id=callback_data.plan_id,
            direction_id=callback_data.direction_id or None,
            messenger=messenger_of(bot),
        )
    except NotFound:
        await query.answer(texts.SEMINAR_GONE, show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(texts.group_linked(link.label))


async def unlink(
    message: Message, session: AsyncSession, clock: Clock, user_ctx: UserContext, bot: Bot
) -> None:
    await unlink_chat(session, clock, message.chat.id, user_ctx.user_id, messenger_of(bot))
    await message.reply(texts.GROUP_UNLINKED)


async def status(
    message: Message, session: AsyncSession, clock: Clock, settings: Settings, bot: Bot
) -> None:
    plans = await group_status(
        session, message.chat.id, clock.now(), settings.default_timezone, messenger_of(bot)
    )
    await message.reply(texts.group_status(plans))


async def help_(message: Message) -> None:
    await message.reply(texts.GROUP_HELP)


def build_router() -> Router:
    """Only commands addressed to this bot get an answer; Command checks the @mention."""
    router = Router(name="groups")
    router.message.filter(GROUPS)
    router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))
    router.my_chat_member.filter(GROUPS)
    router.my_chat_member.register(greet, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.my_chat_member.register(removed, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.message.register(ask_direction, Command("link"), MANAGERS)
    router.message.register(not_allowed, Command("link", "unlink"))
    router.message.register(unlink, Command("unlink"), MANAGERS)
    router.message.register(status, Command("status"))
    router.message.register(help_, Command("help", "start"))
    router.callback_query.register(pick_direction, AudiencePick.filter(F.purpose == "link"))
    router.callback_query.register(rsvp, RsvpAction.filter())
    return router
