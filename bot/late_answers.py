"""A callback answer that comes too late is not an error of the user's action.

Telegram refuses answerCallbackQuery about 15 s after the press, or for an update delivered
again after a process died. The press itself may still be worth handling (its work is
idempotent), so the refusal is logged and the handler goes on, instead of apologising with
"Что-то пошло не так" for an action that did happen.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

_EXPIRED = "query is too old"


class LateCallbackAnswers(BaseRequestMiddleware):
    """Turns Telegram's "query is too old" refusal of a callback answer into `False`."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        late_answer_possible = isinstance(method, AnswerCallbackQuery)
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as exc:
            if not late_answer_possible or _EXPIRED not in exc.message:
                raise
            log.info("callback answer came too late; the press is handled all the same")
            return Response[TelegramType](ok=True, result=False)
