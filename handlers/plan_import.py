"""Plan import in chat: a coordinator sends the file, sees a preview, confirms, then fixes dates."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from functools import partial
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import FixAction, ImportAction
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core import plan_schools
from core.activities import activity_brief, set_activity_period
from core.clock import Clock
from core.dto import UserContext
from core.errors import InvalidInput, NotFound, Refused
from core.import_diff import import_diff
from core.permissions import may_attach_schools
from core.plan_import import file_digest, import_plan, plan_terms
from core.roles import Role
from handlers.plan_schools import view as schools_view
from importer.draft import PlanDraft
from importer.files import MAX_FILE_BYTES, ImportFileError, plan_of, read_document


class ImportFlow(StatesGroup):
    confirm = State()
    fix = State()


PROGRESS_MIN_PAGES = 10  # a shorter PDF reads in a few seconds: no progress message
PROGRESS_EVERY_SECONDS = 3.0


class _Progress:
    """Pages of a long PDF read so far, in one message edited every few seconds; told from the
    reading thread, shown on the event loop, never out of order."""

    def __init__(self, message: Message) -> None:
        self.message = message
        self.loop = asyncio.get_running_loop()
        self.lock = asyncio.Lock()
        self.sent: Message | None = None
        self.shown = 0
        self.told = 0.0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if total < PROGRESS_MIN_PAGES or (
            done < total and now - self.told < PROGRESS_EVERY_SECONDS
        ):
            return
        self.told, self.total = now, total
        asyncio.run_coroutine_threadsafe(self._show(done, total), self.loop)

    async def _show(self, done: int, total: int) -> None:
        async with self.lock:
            if done <= self.shown:
                return
            self.shown = done
            text = texts.IMPORT_PROGRESS.format(done=done, total=total)
            if done == total:
                text = texts.IMPORT_PROGRESS_DONE.format(total=total)
            if self.sent is None:
                self.sent = await self.message.answer(text)
            else:
                await self.sent.edit_text(text)


async def _load(
    bot: Bot, session: AsyncSession, file_id: str, name: str, chat: Message | None = None
) -> tuple[PlanDraft, bytes]:
    buffer = await bot.download(file_id)
    assert buffer is not None
    data = buffer.read()
    progress = _Progress(chat) if chat is not None else None
    # Parsing is CPU work on a whole document: keep the event loop free meanwhile. The file is
    # read once; a plan with its own term boundaries is interpreted again with them.
    document = await asyncio.to_thread(read_document, data, name, progress)
    draft = await asyncio.to_thread(plan_of, document, name)
    terms = await plan_terms(session, draft.title)  # the plan's own term boundaries, if set
    if terms is not None:
        draft = await asyncio.to_thread(partial(plan_of, document, name, terms=terms))
    if progress is not None and progress.total:
        await progress._show(progress.total, progress.total)  # the last page, whatever the pace
    return draft, data


async def receive_file(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, user_ctx: UserContext
) -> None:
    """A document from an admin or coordinator: preview it and ask to confirm."""
    document = message.document
    assert document is not None
    name = document.file_name or "plan"
    if document.file_size and document.file_size > MAX_FILE_BYTES:
        await message.answer(texts.IMPORT_FILE_ERRORS["too_big"])
        return
    try:
        draft, _ = await _load(bot, session, document.file_id, name, message)
    except ImportFileError as exc:
        await message.answer(texts.import_file_error(exc.code, exc.rows))
        return
    diff = await import_diff(session, draft)
    # Told before the preview, not after it; `import_plan` itself refuses the same at storing.
    if diff.plan_id is not None and not may_attach_schools(user_ctx, diff.plan_id):
        await message.answer(texts.import_not_yours(draft.title))
        return
    await state.set_state(ImportFlow.confirm)
    await state.set_data({"file_id": document.file_id, "name": name})
    await message.answer(texts.import_preview(draft, diff), reply_markup=keyboards.import_confirm())


async def confirm(
    query: CallbackQuery,
    callback_data: ImportAction,
    state: FSMContext,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    """Store the previewed plan in this update's transaction, then walk the flagged rows."""
    data: dict[str, Any] = await state.get_data()
    message = query.message
    if (
        await state.get_state() != ImportFlow.confirm.state
        or "file_id" not in data
        or not isinstance(message, Message)
    ):
        await query.answer(texts.IMPORT_STALE, show_alert=True)
        return
    if callback_data.action == "cancel":
        await state.clear()
        await query.answer()
        await message.edit_text(texts.IMPORT_CANCELLED)
        return
    await query.answer()
    draft, raw = await _load(bot, session, data["file_id"], data["name"], message)
    try:
        report = await import_plan(
            session,
            clock,
            draft,
            timezone=settings.default_timezone,
            source_file=data["name"],
            source_sha256=file_digest(raw),
            actor_user_id=user_ctx.user_id,
            actor=user_ctx,
        )
    except Refused:
        await state.clear()
        await message.answer(texts.import_not_yours(draft.title))
        return
    done = texts.import_done(
        report.created,
        report.counts,
        len(report.added),
        len(report.changed),
        len(report.removed),
        len(report.flagged_activity_ids),
        report.kept_deadlines,
    )
    after_commit(lambda: message.edit_reply_markup(reply_markup=None))
    await _offer_schools(message, session, user_ctx, report.plan_id, done, after_commit)
    if report.flagged_activity_ids:
        await state.set_state(ImportFlow.fix)
        flagged = report.flagged_activity_ids
        await state.set_data({"pending": flagged, "total": len(flagged)})
        await _show_next(message, state, session, after_commit, clock.now().date())
    else:
        await state.clear()


async def _offer_schools(
    message: Message,
    session: AsyncSession,
    user_ctx: UserContext,
    plan_id: int,
    done: str,
    after_commit: AfterCommit,
) -> None:
    """Who takes part, right after the import: the choice at once for a plan no school has
    yet, else a 🏫 Школы button; nothing for whom may not choose."""
    try:
        found = await plan_schools.screen(session, user_ctx, plan_id)
    except NotFound:
        after_commit(lambda: message.answer(done))
        return
    if (
        found.taking_part
        if isinstance(found, plan_schools.SchoolsPage)
        else any(d.schools for d in found.lines)
    ):
        after_commit(
            lambda: message.answer(done, reply_markup=keyboards.plan_schools_button(plan_id))
        )
        return
    text, markup = schools_view(found, texts.SCHOOLS_NONE_YET)
    after_commit(lambda: message.answer(done))
    after_commit(lambda: message.answer(text, reply_markup=markup))


async def _show_next(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    after_commit: AfterCommit,
    today: date,
) -> None:
    """Queue the prompt for the next flagged row (sent once the transaction is stored)."""
    data = await state.get_data()
    pending: list[int] = data.get("pending", [])
    if not pending:
        await state.clear()
        after_commit(lambda: message.answer(texts.FIX_DONE))
        return
    total = int(data.get("total", len(pending)))
    brief = await activity_brief(session, pending[0])
    prompt = texts.fix_prompt(total - len(pending) + 1, total, brief, today)
    after_commit(lambda: message.answer(prompt, reply_markup=keyboards.fix_row(brief.id)))


async def fix_date(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    """The coordinator's date for the row shown."""
    pending: list[int] = (await state.get_data()).get("pending", [])
    if not pending:
        await state.clear()
        return
    try:
        period = await set_activity_period(
            session, clock, pending[0], message.text or "", actor_user_id=user_ctx.user_id
        )
    except InvalidInput:
        await message.answer(texts.fix_not_understood(clock.now().date()))
        return
    after_commit(lambda: message.answer(texts.fix_saved(period.due)))
    await state.update_data(pending=pending[1:])
    await _show_next(message, state, session, after_commit, clock.now().date())


async def fix_button(
    query: CallbackQuery,
    callback_data: FixAction,
    state: FSMContext,
    session: AsyncSession,
    clock: Clock,
    after_commit: AfterCommit,
) -> None:
    """Skip the row shown, or stop reviewing."""
    pending: list[int] = (await state.get_data()).get("pending", [])
    message = query.message
    if not pending or pending[0] != callback_data.activity_id or not isinstance(message, Message):
        await query.answer(texts.IMPORT_STALE, show_alert=True)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    if callback_data.action == "stop":
        await state.clear()
        await message.answer(texts.FIX_STOPPED)
        return
    await state.update_data(pending=pending[1:])
    await _show_next(message, state, session, after_commit, clock.now().date())


def build_router() -> Router:
    router = Router(name="plan_import")
    can_import = HasRole(Role.ADMIN, Role.COORDINATOR)
    router.message.filter(F.chat.type == "private")
    router.message.register(receive_file, F.document, StateFilter(None), can_import)
    router.callback_query.register(confirm, ImportAction.filter(), can_import)
    router.message.register(fix_date, ImportFlow.fix, F.text, ~F.text.startswith("/"), can_import)
    router.callback_query.register(fix_button, FixAction.filter(), ImportFlow.fix, can_import)
    return router
