"""/evidence [школа]: the accepted evidence of each plan in scope (or of one school) as ZIP
parts under Telegram's upload limit, with an index; built off the event loop with progress."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import FSInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import HasRole
from bot.progress import ChatProgress
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.errors import NotFound
from core.evidence_archive import evidence_entries
from core.filenames import document_name
from core.permissions import may_report
from core.reminder_policy import local_today
from core.report_data import plan_zone
from core.roles import Role
from core.schools import find_school
from core.status import plan_status, scope_of
from reports.evidence_zip import write_archive


async def send_evidence(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
) -> None:
    school_id = None
    if command.args:
        try:
            school_id = (await find_school(session, command.args.strip())).id
        except NotFound:
            await message.answer(texts.EVIDENCE_NO_SCHOOL)
            return
    plans = await plan_status(session, scope_of(user_ctx), clock.now(), settings.default_timezone)
    plans = [p for p in plans if may_report(user_ctx, p.plan_id, None)][:5]
    if not plans:
        await message.answer(texts.NO_STATUS)
        return
    today = local_today(clock.now(), settings.default_timezone)
    for plan in plans:
        entries = await evidence_entries(session, user_ctx, plan.plan_id, school_id)
        if not entries:
            await message.answer(texts.evidence_none(plan.title))
            continue
        progress = ChatProgress(
            bot,
            message.chat.id,
            partial(texts.evidence_progress, plan.title),
            after=settings.progress_after_seconds,
        )
        with tempfile.TemporaryDirectory() as folder:
            name = document_name(texts.EVIDENCE_FILE, "zip", plan.title, day=today)
            base = Path(folder) / name
            limit = int(settings.evidence_part_mb * 1000 * 1000)
            zone = await plan_zone(session, plan.plan_id, settings.default_timezone)
            paths, made = await write_archive(entries, base, zone, limit, progress)
            await progress.finish()
            for number, path in enumerate(paths, 1):
                caption = texts.evidence_caption(
                    plan.title, number, len(paths), len(entries), len(made.missing)
                )
                await message.answer_document(FSInputFile(path, path.name), caption=caption)


def build_router() -> Router:
    router = Router(name="evidence_archive")
    router.message.register(
        send_evidence, Command("evidence"), HasRole(Role.ADMIN, Role.COORDINATOR)
    )
    return router
