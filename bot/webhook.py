"""The webhook endpoint: aiogram's handler, answering a malformed update with 400, not 500."""

from __future__ import annotations

import json

from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError


class CheckedRequestHandler(SimpleRequestHandler):
    """401 without the secret; 400 for a body that is not an Update; else handled in place."""

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if self.verify_secret(secret, bot):
            try:
                Update.model_validate(json.loads(await request.read()), context={"bot": bot})
            except (ValueError, ValidationError):  # JSONDecodeError is a ValueError
                return web.Response(body="Bad Request: not a Telegram update", status=400)
        return await super().handle(request)
