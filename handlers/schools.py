"""Schools list for coordinators and admins."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import HasRole
from core.roles import Role
from core.schools import list_schools


async def show_schools(message: Message, session: AsyncSession) -> None:
    """/schools: every school with its time zone."""
    schools = await list_schools(session)
    await message.answer(texts.schools_list([(s.name, s.timezone) for s in schools]))


def build_router() -> Router:
    router = Router(name="schools")
    router.message.register(show_schools, Command("schools"), HasRole(Role.ADMIN, Role.COORDINATOR))
    return router
