"""A "⏳ Готовлю… 40%" message for work that takes a while: shown only when the work outlasts
a threshold, edited at most every few seconds, deleted when the work is done."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError


class ChatProgress:
    """Progress of one piece of work in one chat; call it with (done, total)."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        render: Callable[[int], str],
        *,
        after: float = 2.0,
        every: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot, self.chat_id, self.render = bot, chat_id, render
        self.after, self.every, self.monotonic = after, every, monotonic
        self.started = monotonic()
        self.shown_at: float | None = None
        self.message_id: int | None = None
        self.percent = -1

    async def __call__(self, done: int, total: int) -> None:
        now = self.monotonic()
        percent = min(99, 100 * done // total) if total else 0
        if now - self.started < self.after or percent == self.percent:
            return
        if self.shown_at is not None and now - self.shown_at < self.every:
            return
        self.percent, self.shown_at = percent, now
        try:
            if self.message_id is None:
                sent = await self.bot.send_message(self.chat_id, self.render(percent))
                self.message_id = sent.message_id
            else:
                await self.bot.edit_message_text(
                    self.render(percent), chat_id=self.chat_id, message_id=self.message_id
                )
        except TelegramAPIError:
            pass  # progress is a courtesy: the work goes on without it

    async def finish(self) -> None:
        """Remove the progress message, if one was shown."""
        if self.message_id is not None:
            with contextlib.suppress(TelegramAPIError):
                await self.bot.delete_message(self.chat_id, self.message_id)
