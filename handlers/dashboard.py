"""/dashboard: the button that opens the dashboard (Mini App), or how to switch it on."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import keyboards, texts
from bot.filters import HasRole
from bot.settings import Settings
from core.roles import Role


async def open_dashboard(message: Message, settings: Settings) -> None:
    if not settings.webapp_url:
        await message.answer(texts.DASHBOARD_OFF)
        return
    await message.answer(
        texts.DASHBOARD_OPEN, reply_markup=keyboards.dashboard(settings.webapp_url)
    )


def build_router() -> Router:
    router = Router(name="dashboard")
    router.message.register(open_dashboard, Command("dashboard"), HasRole(*Role))
    return router
