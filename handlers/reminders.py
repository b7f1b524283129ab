"""Buttons under reminders and seminar RSVPs; the bot learning it was blocked or unblocked."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import RsvpAction
from bot.middlewares import AfterCommit
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound
from core.people import mark_blocked, mark_unblocked
from core.seminars import NotInvited, answer_rsvp
from core.states import RsvpAnswer
from messengers import messenger_of


async def rsvp(
    query: CallbackQuery,
    callback_data: RsvpAction,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
) -> None:
    """Record Буду / Не смогу for the seminar."""
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    answer = RsvpAnswer.YES if callback_data.answer == "yes" else RsvpAnswer.NO
    try:
        await answer_rsvp(
            session,
            clock,
            seminar_id=callback_data.seminar_id,
            user=user_ctx,
            answer=answer,
        )
    except NotInvited:
        await query.answer(texts.RSVP_NOT_INVITED, show_alert=True)
        return
    except (NotFound, InvalidInput):
        await query.answer(texts.RSVP_CANCELLED, show_alert=True)
        return
    after_commit(lambda: query.answer(texts.RSVP_THANKS[answer.value]))
    message = query.message
    if isinstance(message, Message) and message.chat.type == "private" and message.html_text:
        # The message answered now shows the answer instead of asking again.
        after_commit(
            lambda: message.edit_text(
                texts.with_answer(message.html_text, answer.value),
                reply_markup=keyboards.rsvp(callback_data.seminar_id, answer),
            )
        )


async def blocked(
    event: ChatMemberUpdated,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    user_ctx: UserContext | None,
) -> None:
    if user_ctx is not None:
        await mark_blocked(session, clock, user_ctx.user_id, messenger_of(bot))


async def unblocked(
    event: ChatMemberUpdated, session: AsyncSession, clock: Clock, bot: Bot
) -> None:
    await mark_unblocked(session, clock, messenger_of(bot), event.from_user.id)


def build_router() -> Router:
    router = Router(name="reminders")
    router.callback_query.register(rsvp, RsvpAction.filter())
    private = F.chat.type == "private"
    router.my_chat_member.register(blocked, private, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.my_chat_member.register(unblocked, private, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    return router
