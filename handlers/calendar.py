"""/calendar: the person's deadlines and seminars as an .ics file, and a secret subscription
address (when the bot's web server is public) that can be renewed or switched off."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import CalendarAct
from bot.filters import HasRole
from bot.middlewares import AfterCommit
from bot.settings import Settings
from core import calendar
from core.clock import Clock
from core.dto import UserContext
from core.filenames import document_name
from core.roles import Role
from reports.calendar_ics import to_ics


def _address(settings: Settings, user_id: int, version: int) -> str | None:
    token = settings.bot_token or settings.max_token  # as web/dashboard.py signs its links
    if not settings.webapp_url or token is None:
        return None
    secret = token.get_secret_value()
    return calendar.feed_address(settings.webapp_url, secret, user_id, version)


async def show_calendar(
    message: Message,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    found = await calendar.events(session, user_ctx, clock.now(), settings.default_timezone)
    ics = to_ics(found, texts.CALENDAR_NAME, clock.now())
    url = None
    if settings.webapp_url:
        url = _address(
            settings, user_ctx.user_id, await calendar.issue(session, clock, user_ctx.user_id)
        )
    caption = texts.calendar_caption(len(found), url)
    markup = keyboards.calendar_actions() if url else None
    document = BufferedInputFile(ics, document_name(texts.CALENDAR_FILE, "ics"))
    after_commit(lambda: message.answer_document(document, caption=caption, reply_markup=markup))


async def calendar_action(
    query: CallbackQuery,
    callback_data: CalendarAct,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
    user_ctx: UserContext,
    after_commit: AfterCommit,
) -> None:
    """🔄 a new address (the old one stops working) or 🚫 switch the feed off."""
    if callback_data.action == "renew" and settings.webapp_url:
        version = await calendar.issue(session, clock, user_ctx.user_id, renew=True)
        text = texts.calendar_renewed(_address(settings, user_ctx.user_id, version) or "")
    elif callback_data.action == "off":
        await calendar.revoke(session, clock, user_ctx.user_id)
        text = texts.CALENDAR_OFF
    else:
        await query.answer(texts.CALENDAR_NO_FEED, show_alert=True)
        return
    after_commit(lambda: query.answer())
    if query.message is not None:
        chat_id = query.message.chat.id
        bot = query.bot
        assert bot is not None
        after_commit(lambda: bot.send_message(chat_id, text))


def build_router() -> Router:
    router = Router(name="calendar")
    router.message.register(show_calendar, Command("calendar"), HasRole(*Role))
    router.callback_query.register(calendar_action, CalendarAct.filter(), HasRole(*Role))
    return router
