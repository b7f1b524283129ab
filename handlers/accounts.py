"""One person in two messengers: /connect gives a one-time code, the other messenger's
/start link-<code> (or /connect <code>) joins its account, and buttons choose where reminders go."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import MessengerChoice
from bot.middlewares import AfterCommit
from bot.profiles import profile_of
from bot.settings import Settings
from core.accounts import (
    LINK_PREFIX,
    LinkError,
    choose_messenger,
    link_account,
    messengers_of,
    new_link_code,
)
from core.clock import Clock
from core.dto import UserContext
from messengers import MAX, MESSENGERS, TELEGRAM, messenger_of


async def connect(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    settings: Settings,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
) -> None:
    """/connect: a code for the other messenger; /connect <code>: join this account."""
    if command.args:
        await _link(message, command.args.strip(), session, clock, bot, after_commit)
        return
    if user_ctx is None or not user_ctx.is_active or not user_ctx.memberships:
        await message.answer(texts.CONNECT_NEEDS_PERSON)
        return
    code = await new_link_code(session, clock, user_ctx.user_id)
    text = texts.connect_code(code, _deep_links(settings, code, messenger_of(bot)))
    after_commit(lambda: message.answer(text))  # the code works once it is stored


async def start_link(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    after_commit: AfterCommit,
) -> None:
    """/start link-<code> from a deep link made by /connect in the other messenger."""
    assert command.args is not None
    code = command.args.strip().removeprefix(LINK_PREFIX)
    await _link(message, code, session, clock, bot, after_commit)


async def _link(
    message: Message,
    code: str,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    after_commit: AfterCommit,
) -> None:
    assert message.from_user is not None
    profile = profile_of(message.from_user, messenger_of(bot), message.chat.id)
    try:
        linked = await link_account(session, clock, code, profile)
    except LinkError as exc:
        await message.answer(texts.CONNECT_ERRORS[exc.code])
        return
    text = texts.connected(linked.messengers, linked.reminders_to, linked.already)
    markup = keyboards.messenger_choice(linked.messengers, linked.reminders_to)
    after_commit(lambda: message.answer(text, reply_markup=markup))  # once the link is kept


async def choose(
    query: CallbackQuery,
    callback_data: MessengerChoice,
    session: AsyncSession,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
) -> None:
    """A press on "🔔 Напоминания в …": reminders, queued ones included, go there from now."""
    if user_ctx is None or callback_data.messenger not in MESSENGERS:
        await query.answer()
        return
    if not await choose_messenger(session, user_ctx.user_id, callback_data.messenger):
        await query.answer(texts.CONNECT_ERRORS["unknown"], show_alert=True)
        return
    linked = await messengers_of(session, user_ctx.user_id)
    markup = keyboards.messenger_choice(linked.messengers, linked.reminders_to)

    async def show() -> None:  # once the choice is kept
        await query.answer(texts.messenger_chosen(callback_data.messenger))
        if query.message is not None and hasattr(query.message, "edit_reply_markup"):
            await query.message.edit_reply_markup(reply_markup=markup)

    after_commit(show)


def _deep_links(settings: Settings, code: str, here: str) -> list[tuple[str, str]]:
    """The other messengers' deep links to this bot, where their usernames are known."""
    payload = f"{LINK_PREFIX}{code}"
    found = []
    if here != TELEGRAM and settings.bot_username:
        found.append(("Telegram", f"https://t.me/{settings.bot_username}?start={payload}"))
    if here != MAX and settings.max_bot_username:
        found.append(("MAX", f"https://max.ru/{settings.max_bot_username}?start={payload}"))
    return found


def build_router() -> Router:
    router = Router(name="accounts")
    router.message.register(
        start_link, CommandStart(deep_link=True, magic=F.args.startswith(LINK_PREFIX))
    )
    router.message.register(connect, Command("connect"))
    router.callback_query.register(choose, MessengerChoice.filter())
    return router
