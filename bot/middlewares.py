"""Update middlewares: one DB session and transaction per update, then the acting user's context."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.updates import already_handled, mark_handled
from core.users import load_context
from messengers import messenger_of

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
Kick = Callable[[], None]  # "start this background work now" (deliver the outbox, copy files)


class AfterCommit:
    """Replies a handler wants sent only once its transaction is durable."""

    def __init__(self) -> None:
        self._calls: list[Callable[[], Awaitable[Any]]] = []

    def __call__(self, call: Callable[[], Awaitable[Any]]) -> None:
        self._calls.append(call)

    def call(self, function: Callable[[], None] | None) -> None:
        """Run a plain function (e.g. "plan again", "deliver now") once committed."""
        if function is None:
            return

        async def run() -> None:
            function()

        self._calls.append(run)

    async def run(self) -> None:
        for call in self._calls:
            await call()


class DbSessionMiddleware(BaseMiddleware):
    """Opens a session per update; commits if the handler returned, rolls back if it raised.

    Handlers get `after_commit` to acknowledge a change only once it is stored.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        deferred = AfterCommit()
        update_id = event.update_id if isinstance(event, Update) else None
        async with self.session_factory() as session:
            checked = bool(data.get("unhandled"))  # polling checked the whole batch at once
            if update_id is not None and not checked and await already_handled(session, update_id):
                log.info("update %s was already handled; skipped", update_id)
                return UNHANDLED
            data["session"] = session
            data["after_commit"] = deferred
            try:
                result = await handler(event, data)
            except BaseException:
                await session.rollback()
                raise
            if update_id is not None and not await mark_handled(
                session, update_id, data["clock"].now()
            ):
                # Another process committed this update while we worked: keep its effects.
                await session.rollback()
                log.info("update %s was handled elsewhere meanwhile; rolled back", update_id)
                return UNHANDLED
            await session.commit()
        await deferred.run()
        return result


class ChatLockMiddleware(BaseMiddleware):
    """Handles one update per chat at a time, so an album's messages cannot race in a flow."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat = data.get("event_chat")
        if chat is None:
            return await handler(event, data)
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        async with lock:
            result = await handler(event, data)
        if not lock.locked() and len(self._locks) > 10_000:
            self._locks.pop(chat.id, None)
        return result


class UserContextMiddleware(BaseMiddleware):
    """Puts `user_ctx` (UserContext or None) into handler data; no sender means None."""

    def __init__(self, default_zone: str = "Europe/Moscow") -> None:
        self.zone = ZoneInfo(default_zone)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        today = data["clock"].now().astimezone(self.zone).date()
        data["user_ctx"] = (
            await load_context(session, messenger_of(data["bot"]), tg_user.id, today)
            if tg_user
            else None
        )
        return await handler(event, data)
