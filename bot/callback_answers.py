"""Every button press is answered within a moment, however long its work takes.

Telegram shows a spinner on the pressed button until the bot answers the callback query and
refuses answers after about 15 seconds. Under a burst (a region's curators pressing at 9:00)
the work behind a press may wait its turn, so the answer must not wait for it:

- a press is registered when its update arrives (polling) or starts (webhook); if its
  handler has not answered within `grace` seconds, an empty answer is sent at once (the
  spinner stops), even while the update still waits for its turn;
- the handler's own answer, when it comes later, is not lost: an alert (`show_alert`) is sent
  to the person as a private message instead, a passing toast is dropped (what it said is in
  the edit that follows it);
- a handler that never answers gets the empty answer when it ends.
Quick handlers are not affected: their toasts and alerts are shown as they were.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.middlewares.base import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, Response, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update

from bot.middlewares import Handler

log = logging.getLogger(__name__)


@dataclass
class _Press:
    query_id: str
    chat_id: int
    answered: bool = False
    early: asyncio.Task[Any] | None = field(default=None, repr=False)
    own: AnswerCallbackQuery | None = field(default=None, repr=False)  # the empty answer sent
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class _AnswerRequests(BaseRequestMiddleware):
    """Sees every answerCallbackQuery: the first one per press goes out, later ones are turned
    into a message (alerts) or dropped (toasts)."""

    def __init__(self, presses: dict[str, _Press]) -> None:
        self.presses = presses

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        answer = method if isinstance(method, AnswerCallbackQuery) else None
        press = self.presses.get(answer.callback_query_id) if answer else None
        if answer is None or press is None or answer is press.own or not press.answered:
            if press is not None:
                press.answered = True
            return await make_request(bot, method)
        if answer.show_alert and answer.text:
            # The press was answered already: what the alert says still reaches the person.
            # To the person, privately: an alert pressed in a group is not the group's news.
            try:
                await bot(SendMessage(chat_id=press.chat_id, text=answer.text, parse_mode=None))
            except TelegramAPIError as exc:  # e.g. the person never started the bot
                log.info("an alert after an early answer was not delivered: %s", exc)
        return Response[TelegramType](ok=True, result=True)


class CallbackAnswers(BaseMiddleware):
    """Outermost update middleware that answers a press within `grace` seconds."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.presses: dict[str, _Press] = {}
        self._requests = _AnswerRequests(self.presses)
        self._sessions: set[int] = set()

    def _install(self, bot: Bot) -> None:
        if id(bot.session) not in self._sessions:
            bot.session.middleware(self._requests)
            self._sessions.add(id(bot.session))

    def received(self, bot: Bot, update: Update, *, now: bool = False) -> None:
        """Start a press's clock when the update arrives, before it waits for its turn; with
        `now` (a queue ahead of it), answer it at once."""
        self._install(bot)
        query = update.callback_query
        if query is not None and query.id not in self.presses:
            press = _Press(query.id, query.from_user.id)
            self.presses[query.id] = press
            if now:
                self._answer_now(bot, press)
            else:
                press.timer = asyncio.get_running_loop().call_later(
                    self.grace, self._answer_now, bot, press
                )

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        query = event.callback_query if isinstance(event, Update) else None
        bot: Bot | None = data.get("bot")
        if query is None or bot is None or not isinstance(event, Update):
            return await handler(event, data)
        self.received(bot, event)  # webhook and direct feeds arrive here first
        press = self.presses[query.id]
        try:
            return await handler(event, data)
        finally:
            if press.timer is not None:
                press.timer.cancel()
            if not press.answered:
                self._answer_now(bot, press)
            if press.early is not None:
                await asyncio.shield(press.early)
            self.presses.pop(query.id, None)

    def _answer_now(self, bot: Bot, press: _Press) -> None:
        if press.answered:
            return
        press.answered = True
        press.own = AnswerCallbackQuery(callback_query_id=press.query_id)
        press.early = asyncio.ensure_future(self._send(bot, press.own))

    @staticmethod
    async def _send(bot: Bot, answer: AnswerCallbackQuery) -> None:
        try:
            await bot(answer)
        except Exception as exc:  # the spinner stops by itself; the work goes on
            log.warning("could not answer a button press: %s", type(exc).__name__)
