"""/health: the state of delivery in one message, for admins (facts: core/ops.py, ops/)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import HasRole
from core.clock import Clock
from core.ops import health_facts
from core.roles import Role


async def show_health(message: Message, session: AsyncSession, clock: Clock, ops: Any) -> None:
    now = clock.now()
    facts = await health_facts(session, now)
    await message.answer(texts.ops_health(facts, await ops.status(), now))


def build_router() -> Router:
    router = Router(name="health")
    router.message.register(show_health, Command("health"), HasRole(Role.ADMIN))
    return router
