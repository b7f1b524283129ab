"""Last resort in private chats: forbidden or unknown commands, plain text, orphan buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot import texts
from bot.menus import COMMANDS_BY_ROLE
from core.dto import UserContext

_KNOWN = {c for names in COMMANDS_BY_ROLE.values() for c in names}


async def other_command(message: Message, user_ctx: UserContext | None) -> None:
    """A command nobody handled: either not allowed for this person or unknown."""
    name = (message.text or "").split()[0].lstrip("/").split("@")[0].lower()
    if user_ctx is not None and not user_ctx.is_active:
        await message.answer(texts.DEACTIVATED)
    elif name in _KNOWN:
        await message.answer(
            texts.NO_PERMISSION if user_ctx and user_ctx.memberships else texts.NOT_MEMBER
        )
    else:
        await message.answer(texts.UNKNOWN_COMMAND)


async def plain_text(message: Message, user_ctx: UserContext | None) -> None:
    """Free text outside any conversation: say what the bot does with words and where to go."""
    await message.answer(
        texts.free_text_answer(user_ctx.roles)
        if user_ctx and user_ctx.memberships
        else texts.NOT_MEMBER
    )


async def stray_file(message: Message, user_ctx: UserContext | None) -> None:
    """A file or photo outside any conversation: how to attach it to an item."""
    await message.answer(
        texts.free_text_answer(user_ctx.roles, file=True)
        if user_ctx and user_ctx.memberships
        else texts.NOT_MEMBER
    )


async def other_button(query: CallbackQuery, user_ctx: UserContext | None) -> None:
    """A button no handler took: not this person's, or from a conversation that has ended."""
    if user_ctx is not None and not user_ctx.is_active:
        await query.answer(texts.DEACTIVATED, show_alert=True)
    else:
        await query.answer(texts.BUTTON_GONE)


def build_router() -> Router:
    router = Router(name="fallback")
    router.message.filter(F.chat.type == "private")
    router.message.register(other_command, F.text.startswith("/"))
    router.message.register(plain_text, F.text)
    router.message.register(stray_file, F.document | F.photo | F.video)
    router.callback_query.register(other_button)
    return router
