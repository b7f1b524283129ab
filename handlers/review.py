"""Coordinators review submissions: /review, accept, or return with a comment."""

from __future__ import annotations

from collections.abc import Mapping

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import ReviewAct, ReviewOpen
from bot.filters import HasRole
from bot.middlewares import AfterCommit, Kick
from bot.submission_view import show_submission
from core.clock import Clock
from core.dto import UserContext
from core.roles import Role
from core.work import (
    WorkError,
    may_decide,
    review,
    submission_for,
    undo_review,
    waiting_review,
)


class ReturnFlow(StatesGroup):
    comment = State()


async def show_waiting(message: Message, session: AsyncSession, user_ctx: UserContext) -> None:
    rows = await waiting_review(session, user_ctx)
    await message.answer(
        texts.review_list(rows), reply_markup=keyboards.review_list([r[0] for r in rows])
    )


async def open_submission(
    query: CallbackQuery,
    callback_data: ReviewOpen,
    session: AsyncSession,
    bot: Bot,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    bots: Mapping[str, Bot] | None = None,
) -> None:
    """The reviewer asked for it: the request and every file, to this chat only."""
    try:
        info = await submission_for(session, user_ctx, callback_data.submission_id)
    except WorkError as exc:
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return
    await query.answer()
    # The chat pressed in: in MAX a dialog's id is not the person's id (Telegram's is).
    chat_id = query.message.chat.id if query.message else query.from_user.id
    after_commit(lambda: show_submission(bot, chat_id, info, bots))


async def decide(
    query: CallbackQuery,
    callback_data: ReviewAct,
    session: AsyncSession,
    clock: Clock,
    state: FSMContext,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    """Accept now; Return asks for the comment first; Undo takes a decision back."""
    if callback_data.action == "undo":
        if await _undo(query, callback_data.submission_id, session, clock, user_ctx, after_commit):
            after_commit.call(outbox_kick)
        return
    if callback_data.action == "return":
        try:
            await may_decide(session, user_ctx, callback_data.submission_id)
        except WorkError as exc:
            await query.answer(texts.work_error_of(exc), show_alert=True)
            return
        await state.set_state(ReturnFlow.comment)
        await state.set_data({"submission_id": callback_data.submission_id})
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(texts.RETURN_ASK)
        return
    try:
        await review(
            session, clock, user_ctx, callback_data.submission_id, accept=True, comment=None
        )
    except WorkError as exc:
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return
    after_commit(lambda: query.answer(texts.review_done(True), show_alert=True))
    message = query.message
    if isinstance(message, Message):  # the request now offers to take the decision back
        markup = keyboards.review_decided(callback_data.submission_id)
        after_commit(lambda: message.edit_reply_markup(reply_markup=markup))
    after_commit.call(outbox_kick)


async def _undo(
    query: CallbackQuery,
    submission_id: int,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> bool:
    """Take the decision back; False (and the reason shown) when it may not be."""
    try:
        await undo_review(session, clock, user_ctx, submission_id)
    except WorkError as exc:
        await query.answer(texts.work_error_of(exc), show_alert=True)
        return False
    after_commit(lambda: query.answer(texts.REVIEW_UNDONE, show_alert=True))
    message = query.message
    if isinstance(message, Message):  # Принять / Вернуть again, where the undo was pressed
        markup = keyboards.review(submission_id)
        after_commit(lambda: message.edit_reply_markup(reply_markup=markup))
    return True


async def return_comment(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    state: FSMContext,
    user_ctx: UserContext,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    submission_id = int((await state.get_data()).get("submission_id", 0))
    await state.clear()
    try:
        await review(session, clock, user_ctx, submission_id, accept=False, comment=message.text)
    except WorkError as exc:
        await message.answer(texts.work_error_of(exc))
        return
    markup = keyboards.review_decided(submission_id)
    after_commit(lambda: message.answer(texts.review_done(False), reply_markup=markup))
    after_commit.call(outbox_kick)


def build_router() -> Router:
    router = Router(name="review")
    reviewer = HasRole(Role.ADMIN, Role.COORDINATOR)
    router.message.register(show_waiting, Command("review"), reviewer)
    router.callback_query.register(open_submission, ReviewOpen.filter(), reviewer)
    router.callback_query.register(decide, ReviewAct.filter(), reviewer)
    router.message.register(
        return_comment, ReturnFlow.comment, F.text, ~F.text.startswith("/"), reviewer
    )
    return router
