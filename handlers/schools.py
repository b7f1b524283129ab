"""Schools list for coordinators and admins."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import SchoolsPage
from bot.filters import HasRole
from core.dto import UserContext
from core.roles import Role
from core.schools import SchoolPage, school_page
from core.scope import scope_of


def _view(found: SchoolPage) -> tuple[str, InlineKeyboardMarkup | None]:
    rows = [(s.name, s.timezone) for s in found.schools]
    text = texts.schools_list(rows, found.total, found.page, found.pages)
    return text, keyboards.schools_pages(found.page, found.pages)


async def show_schools(message: Message, session: AsyncSession, user_ctx: UserContext) -> None:
    """/schools: the schools the person oversees (every one for admins), a page at a time."""
    text, markup = _view(await school_page(session, scope_of(user_ctx), 0))
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery, callback_data: SchoolsPage, session: AsyncSession, user_ctx: UserContext
) -> None:
    """◀️ ▶️: the same message shows another page."""
    await query.answer()
    if isinstance(query.message, Message):
        text, markup = _view(await school_page(session, scope_of(user_ctx), callback_data.page))
        await query.message.edit_text(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="schools")
    managers = HasRole(Role.ADMIN, Role.COORDINATOR)
    router.message.register(show_schools, Command("schools"), managers)
    router.callback_query.register(turn_page, SchoolsPage.filter(), managers)
    return router
