"""Idle done flows end themselves: a sweep on every scheduler tick closes them with a message.

The handlers also check on every message (handlers.done_flow.expired), so a flow is never
continued late even when this process restarted and forgot what it tracked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage, StorageKey

from core.clock import Clock
from handlers.done_flow import DoneFlow, expired, expired_text

log = logging.getLogger(__name__)


class FlowWatch:
    """The open done flows this process has seen, checked against the FSM storage."""

    def __init__(
        self, bot: Bot | Mapping[str, Bot], storage: BaseStorage, clock: Clock, minutes: int
    ) -> None:
        # A flow's key names its bot: the message goes back through the same messenger.
        self.bots = [bot] if isinstance(bot, Bot) else list(bot.values())
        self.storage = storage
        self.clock = clock
        self.minutes = minutes
        self._keys: dict[StorageKey, None] = {}

    def track(self, key: StorageKey) -> None:
        self._keys[key] = None

    async def sweep(self) -> int:
        """End every tracked flow idle for too long; returns how many were ended."""
        ended = 0
        for key in list(self._keys):
            if await self.storage.get_state(key) != DoneFlow.collecting.state:
                self._keys.pop(key, None)  # finished, cancelled or ended elsewhere
                continue
            data = await self.storage.get_data(key)
            if not expired(data, self.clock.now(), self.minutes):
                continue
            self._keys.pop(key, None)
            await self.storage.set_state(key, None)
            await self.storage.set_data(key, {})
            ended += 1
            try:
                bot = next((b for b in self.bots if b.id == key.bot_id), self.bots[0])
                await bot.send_message(key.chat_id, expired_text(data, self.minutes))
            except TelegramAPIError as exc:  # blocked or gone: the flow is closed all the same
                log.info("idle flow of chat %s closed without a message: %s", key.chat_id, exc)
        return ended
