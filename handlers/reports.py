"""/report: each plan's report as a spreadsheet or a Word document, or a school's own."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import ReportMake
from bot.filters import HasRole
from bot.progress import ChatProgress
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.errors import NotFound
from core.filenames import document_name
from core.permissions import may_report
from core.report_data import report_scope, schools_in_plan
from core.roles import Role
from core.status import plan_status, scope_of
from reports.build import write_docx, write_xlsx

KINDS = ("xlsx", "docx", "docx_all", "school")


async def offer_report(
    message: Message, session: AsyncSession, clock: Clock, settings: Settings, user_ctx: UserContext
) -> None:
    """The formats of each plan in scope (up to five); a curator's or observer's: their school's."""
    plans = await plan_status(session, scope_of(user_ctx), clock.now(), settings.default_timezone)
    if not plans:
        await message.answer(texts.NO_STATUS)
        return
    for plan in plans[:5]:
        markup: InlineKeyboardMarkup | None
        if may_report(user_ctx, plan.plan_id, None):
            markup = keyboards.report_formats(plan.plan_id)
        else:
            own = {m.school_id: m.school_name or "" for m in user_ctx.memberships if m.school_id}
            found = await schools_in_plan(session, plan.plan_id, set(own))
            markup = keyboards.report_schools(plan.plan_id, [(i, own[i]) for i in sorted(found)])
        await message.answer(texts.report_choose(plan.title), reply_markup=markup)


async def make_report(
    query: CallbackQuery,
    callback_data: ReportMake,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    """Build the chosen report off the event loop, with progress, and send it here."""
    kind, plan_id = callback_data.kind, callback_data.plan_id
    school_id = callback_data.school_id or None if kind == "school" else None
    chat_id = query.message.chat.id if query.message else query.from_user.id
    try:
        if kind not in KINDS or (kind == "school" and school_id is None):
            raise NotFound(kind)
        scope = await report_scope(session, user_ctx, plan_id, school_id)
    except NotFound:
        await query.answer(texts.NOT_IN_SCOPE, show_alert=True)
        return
    await query.answer()  # building takes a while: the button stops spinning first
    progress = ChatProgress(
        bot,
        chat_id,
        partial(texts.report_progress, texts.REPORT_KIND[kind]),
        waiting=partial(texts.report_waiting, texts.REPORT_KIND[kind]),
        after=settings.progress_after_seconds,
    )
    # Only read so far: the transaction ends here, so no connection is held while a big report
    # waits for its turn and is made in processes of its own.
    await session.commit()
    now = clock.now()
    suffix = "xlsx" if kind == "xlsx" else "docx"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"report.{suffix}"
        try:
            if kind == "xlsx":
                report = await write_xlsx(
                    session, plan_id, now, settings.default_timezone, path, progress, scope
                )
            else:
                template = Path(settings.report_template) if settings.report_template else None
                report = await write_docx(
                    session,
                    plan_id,
                    now,
                    settings.default_timezone,
                    path,
                    progress,
                    template=template,
                    aggregated=kind == "docx_all",
                    school_id=school_id,
                    scope=scope,
                )
        except NotFound:
            await progress.finish()
            await bot.send_message(chat_id, texts.NOT_IN_SCOPE)
            return
        await progress.finish()
        school = report.schools[0][1] if kind == "school" and report.schools else None
        day = report.local(report.generated).date()
        name = document_name(texts.REPORT_FILE[kind], suffix, school, report.title, day=day)
        await bot.send_document(
            chat_id,
            FSInputFile(path, name),
            caption=texts.report_caption(kind, report.title, school),
        )


def build_router() -> Router:
    router = Router(name="reports")
    router.message.register(offer_report, Command("report"), HasRole(*Role))
    router.callback_query.register(make_report, ReportMake.filter(), HasRole(*Role))
    return router
