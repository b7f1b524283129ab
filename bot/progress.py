"""A "⏳ Готовлю… 40%" message for work that takes a while: shown only when the work outlasts
a threshold, edited at most every few seconds, deleted when the work is done."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

_WAITING = -2  # the percent shown while the work waits for its turn


class ChatProgress:
    """Progress of one piece of work in one chat; call it with (done, total)."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        render: Callable[[int], str],
        *,
        waiting: Callable[[], str] | None = None,
        after: float = 2.0,
        every: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot, self.chat_id, self.render, self.waiting = bot, chat_id, render, waiting
        self.after, self.every, self.monotonic = after, every, monotonic
        self.started = monotonic()
        self.shown_at: float | None = None
        self.message_id: int | None = None
        self.percent = -1

    async def __call__(self, done: int, total: int) -> None:
        """`total` below 0: the work waits for its turn (said by `waiting`)."""
        now = self.monotonic()
        percent = min(99, 100 * done // total) if total > 0 else _WAITING if total < 0 else 0
        if now - self.started < self.after or percent == self.percent:
            return
        # The first percent after waiting is shown at once: the turn came.
        recent = self.shown_at is not None and now - self.shown_at < self.every
        if recent and self.percent != _WAITING:
            return
        self.percent, self.shown_at = percent, now
        text = (
            self.waiting() if percent == _WAITING and self.waiting else self.render(max(percent, 0))
        )
        try:
            if self.message_id is None:
                sent = await self.bot.send_message(self.chat_id, text)
                self.message_id = sent.message_id
            else:
                await self.bot.edit_message_text(
                    text, chat_id=self.chat_id, message_id=self.message_id
                )
        except TelegramAPIError:
            pass  # progress is a courtesy: the work goes on without it

    async def finish(self) -> None:
        """Remove the progress message, if one was shown."""
        if self.message_id is not None:
            with contextlib.suppress(TelegramAPIError):
                await self.bot.delete_message(self.chat_id, self.message_id)
