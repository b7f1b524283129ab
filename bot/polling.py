"""Long polling that keeps every received update durably until it is handled.

aiogram confirms each update (the next getUpdates' offset) as soon as it has started it, so a
press in flight when the process is killed is never delivered again. Here each getUpdates
batch is first written to the inbox (`inbox_updates`) and committed; only the next getUpdates
confirms it to Telegram. The updates are then handled, a bounded number at a time; a process
that stops leaves the unfinished ones in the inbox and the next process handles them first,
while the handled-update marker (bot/middlewares.py) skips any whose effects did commit.

So a burst is taken in as fast as Telegram hands it out (100 per call) instead of 100 at a
time behind the slowest, and its button presses are answered on arrival
(bot/callback_answers.py), not after the work queued before them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError

from core.updates import keep_received, prune_inbox, unfinished
from messengers import UPDATE_IDS, messenger_of

log = logging.getLogger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
# Updates handled concurrently; the rest wait in order (stored already). More would not be
# faster (one CPU, one SQLite writer) and would keep the poller waiting behind them.
HANDLED_AT_ONCE = 16


class _RawUpdates(GetUpdates):
    """getUpdates answered as plain dicts: they are stored as they came, then parsed once."""

    __returning__ = list[dict[str, Any]]


class ConfirmingDispatcher(Dispatcher):
    """A Dispatcher whose polling stores updates before confirming them (see the module).

    Updates run as tasks, HANDLED_AT_ONCE at a time; aiogram's `handle_as_tasks` and
    `tasks_concurrency_limit` are not used.
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
        log.info("polling for @%s (received updates kept until handled)", me.username)
        factory, clock = self["session_factory"], self["clock"]
        answers = self.workflow_data.get("callback_answers")
        backoff = Backoff(config=backoff_config)
        request: dict[str, Any] = {}
        if bot.session.timeout:
            request["request_timeout"] = int(bot.session.timeout + polling_timeout)
        gate = asyncio.Semaphore(HANDLED_AT_ONCE)
        running: set[int] = set()

        async def handle(update: Update) -> None:
            try:
                async with gate:
                    # Checked against the handled markers with its batch (or at start-up).
                    await self._process_update(bot=bot, update=update, unhandled=True, **kwargs)
            finally:
                running.discard(update.update_id)

        def start(raws: list[dict[str, Any]]) -> None:
            for raw in raws:
                try:
                    update = Update.model_validate(raw, context={"bot": bot})
                except ValidationError:  # e.g. stored by an older release: never stop polling
                    log.error("update %s cannot be read; skipped", raw.get("update_id"))
                    continue
                running.add(update.update_id)
                if answers is not None:
                    # A press that must wait for its turn is answered now, else soon.
                    answers.received(bot, update, now=len(running) > HANDLED_AT_ONCE)
                task = asyncio.create_task(handle(update))
                self._handle_update_tasks.add(task)
                task.add_done_callback(self._handle_update_tasks.discard)

        ids = UPDATE_IDS[messenger_of(bot)]  # this bot's updates in the shared inbox
        async with factory() as session:
            left = await unfinished(session, ids)
        if left:
            log.info("handling %d updates left unfinished by a previous process", len(left))
        start(left)
        offset = int(left[-1]["update_id"]) + 1 if left else None
        while True:
            method = _RawUpdates(
                offset=offset, timeout=polling_timeout, allowed_updates=allowed_updates
            )
            try:
                updates = cast(list[dict[str, Any]], await bot(method, **request))
                if not updates:
                    continue
                got = [int(u["update_id"]) for u in updates]
                top = max(got)
                async with factory() as session, session.begin():
                    # Below the lowest update still running (or this batch) all have finished.
                    await prune_inbox(session, min(running, default=min(got)), ids[0])
                    fresh = await keep_received(session, updates, clock.now())
            except Exception as exc:  # Telegram, the network or the database is down
                if current.cancelling():
                    raise  # a stop that the network stack turned into an error: still a stop
                log.error("getUpdates failed: %s: %s", type(exc).__name__, exc)
                await backoff.asleep()
                continue  # nothing confirmed: the same updates come again
            backoff.reset()
            offset = top + 1  # stored: the next getUpdates may confirm them
            start(fresh)
