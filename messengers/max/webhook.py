"""MAX's webhook intake: each POSTed update, checked by its secret, handled before the answer.

MAX retries an update until it gets a 200, so one whose handling fails (the process dies, the
database is away) comes again; its stable id (the session numbers it by MAX's own keys) lets
the handled-update marker skip a copy whose effects did commit (bot/middlewares.py).
"""

from __future__ import annotations

import hmac
import json
import logging

from aiogram import Bot, Dispatcher
from aiohttp import web

from messengers.max.session import MaxSession

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


class MaxWebhook:
    """An aiohttp handler feeding MAX's posts to the dispatcher under one bot."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret: str) -> None:
        if not isinstance(bot.session, MaxSession):
            raise TypeError("a MAX webhook needs the MAX bot")
        self.dispatcher, self.bot, self.session, self.secret = dispatcher, bot, bot.session, secret

    def register(self, app: web.Application, path: str) -> None:
        app.router.add_post(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        """401 without the secret, 400 for a body that is no MAX update, else 200 once handled."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=401, text="Unauthorized")
        try:
            raw = json.loads(await request.read())
        except ValueError:
            raw = None
        if not isinstance(raw, dict) or not isinstance(raw.get("update_type"), str):
            return web.Response(status=400, text="Bad Request: not a MAX update")
        try:
            update = await self.session.update_of(raw)
        except (KeyError, TypeError, ValueError):
            log.warning("a MAX update of kind %s cannot be read", raw.get("update_type"))
            return web.Response(status=400, text="Bad Request: not a MAX update")
        if update is not None:
            # An error here is a 500: MAX posts the update again later.
            await self.dispatcher.feed_update(self.bot, update)
        return web.json_response({"ok": True})
