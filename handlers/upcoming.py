"""/upcoming: the reminders a coordinator's plans will produce in the next week."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import HasRole
from bot.settings import Settings
from core.clock import Clock
from core.dto import UserContext
from core.reminder_policy import local_today
from core.reminders import upcoming_for
from core.roles import Role

DAYS = 7


async def show_upcoming(
    message: Message, session: AsyncSession, clock: Clock, settings: Settings, user_ctx: UserContext
) -> None:
    scoped = [m for m in user_ctx.memberships if m.role in (Role.ADMIN, Role.COORDINATOR)]
    plan_ids = (
        None if any(m.plan_id is None for m in scoped) else {m.plan_id for m in scoped if m.plan_id}
    )
    found = await upcoming_for(session, clock, plan_ids, DAYS, settings.default_timezone)
    rows = [
        (
            r.scheduled_at.astimezone(r.person.zone).date(),
            r.kind,
            str(r.payload.get("title") or r.payload.get("topic")),
        )
        for r in found
    ]
    today = local_today(clock.now(), settings.default_timezone)
    await message.answer(texts.upcoming(rows, DAYS, today))


def build_router() -> Router:
    router = Router(name="upcoming")
    router.message.register(
        show_upcoming, Command("upcoming"), HasRole(Role.ADMIN, Role.COORDINATOR)
    )
    return router
