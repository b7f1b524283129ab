"""Telegram refusals that say the wanted outcome already holds: not errors of the user's action.

- "query is too old": Telegram refuses answerCallbackQuery about 15 s after the press, or for
  an update delivered again after a process died. The press is still handled (its work is
  idempotent) instead of apologising with "Что-то пошло не так" for an action that happened.
- "message is not modified": an edit to the text and buttons the message already shows
  (a button pressed twice); the message is as it should be.
Both are logged and turned into a successful `False`/`True` result.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

_EDITS = (EditMessageText, EditMessageReplyMarkup, EditMessageCaption)


def _benign(method: object, description: str) -> bool | None:
    """The result to report for a benign refusal, or None when the refusal is a real error."""
    if isinstance(method, AnswerCallbackQuery) and "query is too old" in description:
        return False
    if isinstance(method, _EDITS) and "message is not modified" in description:
        return True
    return None


class BenignRefusals(BaseRequestMiddleware):
    """Turns the refusals above into successful results."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            result = _benign(method, exc.message)
            if result is None:
                raise
            log.info("%s: %s (the outcome already holds)", type(method).__name__, exc.message)
            return Response[TelegramType](ok=True, result=result)
