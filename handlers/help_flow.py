"""❓ Нужна помощь: a curator's question goes to the coordinators; their answer comes back."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import HelpFollowUp, HelpReply
from bot.middlewares import AfterCommit, Kick
from core.clock import Clock
from core.dto import UserContext
from core.work import WorkError, answer_help, ask_help, follow_up, may_answer, may_ask


class HelpFlow(StatesGroup):
    question = State()
    answer = State()


async def _ask_for_text(
    query: CallbackQuery, state: FSMContext, data: dict[str, int], prompt: str
) -> None:
    """Open the question conversation and ask for its one message."""
    await state.set_state(HelpFlow.question)
    await state.set_data(data)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(prompt)


async def start_help(
    query: CallbackQuery,
    assignment_id: int,
    state: FSMContext,
    session: AsyncSession,
    user_ctx: UserContext | None,
    **_: object,
) -> None:
    """From a card or a reminder: ask for the question (if the person may ask about it)."""
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        await may_ask(session, user_ctx, assignment_id)
    except WorkError as exc:
        await query.answer(texts.work_error(exc.code), show_alert=True)
        return
    await _ask_for_text(query, state, {"assignment_id": assignment_id}, texts.HELP_ASK)


async def start_follow_up(
    query: CallbackQuery,
    callback_data: HelpFollowUp,
    state: FSMContext,
    session: AsyncSession,
    user_ctx: UserContext | None,
) -> None:
    """💬 Ответить under an answer: the curator's reply goes to the coordinators as a thread."""
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        assignment_id = await follow_up(session, user_ctx, callback_data.answer_id)
    except WorkError as exc:
        await query.answer(texts.work_error(exc.code), show_alert=True)
        return
    data = {"assignment_id": assignment_id, "reply_to": callback_data.answer_id}
    await _ask_for_text(query, state, data, texts.HELP_REPLY_ASK)


async def send_question(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    data = await state.get_data()
    assignment_id = int(data.get("assignment_id", 0))
    reply_to = int(data["reply_to"]) if data.get("reply_to") else None
    await state.clear()
    if user_ctx is None:
        await message.answer(texts.NOT_MEMBER)
        return
    try:
        await ask_help(session, clock, user_ctx, assignment_id, message.text or "", reply_to)
    except WorkError as exc:
        await message.answer(texts.work_error(exc.code))
        return
    after_commit(lambda: message.answer(texts.HELP_SENT))
    after_commit.call(outbox_kick)


async def start_answer(
    query: CallbackQuery,
    callback_data: HelpReply,
    state: FSMContext,
    session: AsyncSession,
    user_ctx: UserContext | None,
) -> None:
    if user_ctx is None:
        await query.answer(texts.NOT_MEMBER, show_alert=True)
        return
    try:
        await may_answer(session, user_ctx, callback_data.question_id)
    except WorkError as exc:
        await query.answer(texts.work_error(exc.code), show_alert=True)
        return
    await state.set_state(HelpFlow.answer)
    await state.set_data({"question_id": callback_data.question_id})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(texts.HELP_ANSWER_ASK)


async def send_answer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext | None,
    after_commit: AfterCommit,
    outbox_kick: Kick | None = None,
) -> None:
    question_id = int((await state.get_data()).get("question_id", 0))
    await state.clear()
    if user_ctx is None:
        await message.answer(texts.NOT_MEMBER)
        return
    try:
        await answer_help(session, clock, user_ctx, question_id, message.text or "")
    except WorkError as exc:
        await message.answer(texts.work_error(exc.code))
        return
    after_commit(lambda: message.answer(texts.HELP_ANSWERED))
    after_commit.call(outbox_kick)


def build_router() -> Router:
    router = Router(name="help_flow")
    text = (F.text, ~F.text.startswith("/"), F.chat.type == "private")
    router.message.register(send_question, HelpFlow.question, *text)
    router.message.register(send_answer, HelpFlow.answer, *text)
    router.callback_query.register(start_answer, HelpReply.filter())
    router.callback_query.register(start_follow_up, HelpFollowUp.filter())
    return router
