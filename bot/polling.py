"""Long polling that confirms an update to Telegram only once it has been handled.

aiogram confirms each update (the next getUpdates' offset) as soon as it has started it, so a
press in flight when the process is killed is never delivered again. Here the offset is the
lowest update still being handled: a killed process leaves it unconfirmed, the next process
gets it again, and the handled-update marker (bot/middlewares.py) skips any that did commit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)

# While only updates still being handled come back, poll again this often for new ones.
RECHECK_SECONDS = 0.25
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class _RawUpdates(GetUpdates):
    """getUpdates answered as plain dicts: the caller parses only the updates it will handle."""

    __returning__ = list[dict[str, Any]]  # type: ignore[assignment]


class UpdateWindow:
    """Which updates are being handled, and the offset that confirms exactly the finished ones.

    Update ids only grow, so an id not above the highest seen is one this process has (it is
    running, finished, or confirmed) and is never handled twice here.
    """

    def __init__(self) -> None:
        self.running: set[int] = set()
        self.highest: int | None = None

    def take(self, update_id: int) -> bool:
        """True if the update is new here and should be handled now."""
        if self.highest is not None and update_id <= self.highest:
            return False
        self.running.add(update_id)
        self.highest = update_id
        return True

    def finish(self, update_id: int) -> None:
        self.running.discard(update_id)

    def offset(self) -> int | None:
        """getUpdates' offset: everything below the lowest running update is confirmed."""
        if self.running:
            return min(self.running)
        return None if self.highest is None else self.highest + 1


async def wait_briefly(event: asyncio.Event) -> None:
    """Until `event` is set or RECHECK_SECONDS pass. Not asyncio.wait_for: on Python 3.11 it
    swallows a cancellation that arrives as the event is set, and polling would never stop."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=RECHECK_SECONDS)
    finally:
        waiter.cancel()


class ConfirmingDispatcher(Dispatcher):
    """A Dispatcher whose polling confirms updates only after they are handled.

    Updates run as tasks (aiogram's handle_as_tasks); `handle_as_tasks` and
    `tasks_concurrency_limit` are not used. At most 100 updates (one getUpdates) can be
    in flight behind a slow one, since Telegram returns the earliest unconfirmed 100.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # aiogram leaves its polling tasks running if start_polling itself is cancelled (a
        # killed process, in tests): the owner cancels what is left (`stop_pollers`).
        self.pollers: set[asyncio.Task[Any]] = set()

    async def stop_pollers(self) -> None:
        """Cancel polling tasks that outlived start_polling and wait until they are gone."""
        left = list(self.pollers)
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)

    async def _polling(
        self,
        bot: Bot,
        polling_timeout: int = 30,
        handle_as_tasks: bool = True,
        backoff_config: BackoffConfig = BACKOFF,
        allowed_updates: list[str] | None = None,
        tasks_concurrency_limit: int | None = None,
        **kwargs: Any,
    ) -> None:
        current = asyncio.current_task()
        assert current is not None
        self.pollers.add(current)
        try:
            await self._poll(bot, polling_timeout, backoff_config, allowed_updates, current, kwargs)
        finally:
            self.pollers.discard(current)

    async def _poll(
        self,
        bot: Bot,
        polling_timeout: int,
        backoff_config: BackoffConfig,
        allowed_updates: list[str] | None,
        current: asyncio.Task[Any],
        kwargs: dict[str, Any],
    ) -> None:
        me = await bot.me()
        log.info("polling for @%s (confirming handled updates only)", me.username)
        window = UpdateWindow()
        changed = asyncio.Event()
        backoff = Backoff(config=backoff_config)
        request: dict[str, Any] = {}
        if bot.session.timeout:
            request["request_timeout"] = int(bot.session.timeout + polling_timeout)

        # getUpdates returns the earliest unconfirmed updates, the running ones again among
        # them, and aiogram parses every one of them each time: poll again only once the
        # offset has moved by a quarter of what is running (or nothing runs), not on every
        # finished update, or a burst spends its time re-reading itself.
        goal: list[int] = [0]  # the offset worth polling at

        async def handle(update: Any) -> None:
            try:
                await self._process_update(bot=bot, update=update, **kwargs)
            finally:
                window.finish(update.update_id)
                if not window.running or (window.offset() or 0) >= goal[0]:
                    changed.set()

        while True:
            waiting = bool(window.running)
            method = _RawUpdates(
                offset=window.offset(),
                timeout=0 if waiting else polling_timeout,
                allowed_updates=allowed_updates,
            )
            try:
                updates = cast(list[dict[str, Any]], await bot(method, **request))
            except Exception as exc:  # Telegram or the network is down: try again, slower
                if current.cancelling():
                    raise  # a stop that the network stack turned into an error: still a stop
                log.error("getUpdates failed: %s: %s", type(exc).__name__, exc)
                await backoff.asleep()
                continue
            backoff.reset()
            # Only updates new here are parsed (the running ones come back on every poll).
            fresh = [
                Update.model_validate(raw, context={"bot": bot})
                for raw in updates
                if window.take(int(raw["update_id"]))
            ]
            for update in fresh:
                task = asyncio.create_task(handle(update))
                self._handle_update_tasks.add(task)
                task.add_done_callback(self._handle_update_tasks.discard)
            if window.running:
                # Wait for room (or a moment, to let new updates from other chats in).
                goal[0] = (window.offset() or 0) + max(1, len(window.running) // 4)
                changed.clear()
                await wait_briefly(changed)
