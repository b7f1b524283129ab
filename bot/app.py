"""Assembly: factories for Bot, Dispatcher and the running application (nothing at import time)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods.base import TelegramMethod, TelegramType
from aiogram.types import ErrorEvent
from aiohttp import ClientTimeout, web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import menus, texts
from bot.benign_refusals import BenignRefusals
from bot.callback_answers import CallbackAnswers
from bot.evidence import EvidenceSweeper
from bot.flows import FlowWatch
from bot.logs import cap_quiet_loggers
from bot.middlewares import ChatLockMiddleware, DbSessionMiddleware, UserContextMiddleware
from bot.pacing import MAX_PACE, Budgets, PaceLimits, RequestPacer, build_budgets
from bot.polling import ConfirmingDispatcher
from bot.reminder_render import render
from bot.settings import Settings
from core.clock import Clock
from db.engine import build_engine, build_session_factory, is_sqlite
from db.migrate import upgrade
from handlers import build_routers
from messengers import MAX, TELEGRAM
from messengers.max.ids import DatabaseIds
from messengers.max.session import MessageIds
from ops.runtime import Ops
from scheduler import build_scheduler
from scheduler.sender import OutboxSender
from scheduler.service import ReminderService

log = logging.getLogger(__name__)


# A connection to Telegram (pool wait, DNS, TCP, TLS) not made within this many seconds, and
# never within more than half the request's timeout, fails as a connect timeout: no request
# was written, so the outbox retries it as a sure failure. Only the request's total timeout
# (REQUEST_TIMEOUT, or a longer one a call asks for) cuts a request that may have arrived.
CONNECT_TIMEOUT = 10.0


class TelegramSession(AiohttpSession):
    """aiogram's aiohttp session with the connect phase timed apart from the whole request."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109  (aiogram's signature)
    ) -> TelegramType:
        total = float(self.timeout if timeout is None else timeout)
        connect = min(CONNECT_TIMEOUT, total / 2)
        limits = ClientTimeout(total=total, connect=connect, sock_connect=connect)
        # aiogram hands `timeout` to aiohttp as it is, and aiohttp takes a ClientTimeout there.
        return await super().make_request(bot, method, timeout=cast(int, limits))


def telegram_pacer(settings: Settings, budgets: Budgets | None = None) -> RequestPacer:
    """Telegram's budgets for this bot: SEND_RATE messages/s in all (shared over Redis)."""
    rate = settings.send_rate
    token = settings.bot_token.get_secret_value() if settings.bot_token else "none:"
    return RequestPacer(
        PaceLimits(global_per_second=rate, global_burst=max(1, int(rate))),
        budgets=budgets,
        bot=f"{TELEGRAM}:{token.split(':')[0]}",
    )


def max_pacer(settings: Settings, budgets: Budgets | None = None) -> RequestPacer:
    """MAX's budgets for this bot: MAX_REQUEST_RATE requests/s in all, two messages/s a chat."""
    rate = settings.max_request_rate
    token = settings.max_token.get_secret_value() if settings.max_token else ""
    return RequestPacer(
        replace(MAX_PACE, global_per_second=rate, global_burst=max(1, int(rate))),
        budgets=budgets,
        bot=f"{MAX}:{_max_bot_number(token)}",
        every_request=True,
    )


def _max_bot_number(token: str) -> int:
    """A stable number of this MAX token's own (aiogram's bot id; FSM and pacing keys)."""
    return int(hashlib.sha256(token.encode()).hexdigest()[:12], 16)


def build_bot(settings: Settings, pacer: RequestPacer | None = None) -> Bot:
    """A Bot talking to Telegram or to TELEGRAM_API_URL (the emulator or a local Bot API server)."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    api = (
        TelegramAPIServer.from_base(settings.telegram_api_url)
        if settings.telegram_api_url
        else None
    )
    session = (
        TelegramSession(api=api, timeout=settings.request_timeout)
        if api
        else TelegramSession(timeout=settings.request_timeout)
    )
    session.middleware(pacer or telegram_pacer(settings))
    session.middleware(BenignRefusals())
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_max_bot(settings: Settings, ids: MessageIds, pacer: RequestPacer | None = None) -> Bot:
    """A Bot whose requests go to MAX (MAX_API_URL: the emulator); conversations are the same."""
    from messengers.max.client import API, MaxClient
    from messengers.max.session import MaxSession

    if settings.max_token is None:
        raise ValueError("MAX_TOKEN is not set")
    token = settings.max_token.get_secret_value()
    # MAX limits every request: its client paces each one; the middleware retries 429s.
    pacer = pacer or max_pacer(settings)
    client = MaxClient(
        token, api=settings.max_api_url or API, timeout=settings.request_timeout, pacer=pacer
    )
    session = MaxSession(client, ids, app=settings.max_bot_username)
    session.middleware(pacer)
    session.middleware(BenignRefusals())
    # aiogram wants "<id>:<secret>".
    return Bot(
        f"{_max_bot_number(token)}:max",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_storage(settings: Settings) -> BaseStorage:
    """FSM storage: Redis when REDIS_URL is set (shared by processes, survives restarts)."""
    if not settings.redis_url:
        return MemoryStorage()
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage

    return RedisStorage.from_url(
        settings.redis_url,
        key_builder=DefaultKeyBuilder(prefix="kurator", with_bot_id=True),
        state_ttl=settings.fsm_ttl_seconds,
        data_ttl=settings.fsm_ttl_seconds,
    )


def build_dispatcher(
    session_factory: async_sessionmaker[AsyncSession],
    clock: Clock,
    settings: Settings,
    outermost: Sequence[BaseMiddleware] = (),
) -> ConfirmingDispatcher:
    """The production dispatcher: middlewares, routers, error handler, dependencies.

    `outermost` middlewares wrap everything, after-commit work included (the sandbox counts
    finished updates with one).
    """
    answers = CallbackAnswers(settings.callback_answer_seconds)
    dp = ConfirmingDispatcher(
        storage=build_storage(settings),
        clock=clock,
        settings=settings,
        session_factory=session_factory,
        callback_answers=answers,
    )
    for middleware in outermost:
        dp.update.outer_middleware(middleware)
    dp.update.outer_middleware(answers)
    dp.update.outer_middleware(ChatLockMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(session_factory))
    dp.update.outer_middleware(UserContextMiddleware(settings.default_timezone))
    dp.include_routers(*build_routers())
    dp.errors.register(_on_error)
    dp.startup.register(_on_startup)
    return dp


async def _on_startup(bot: Bot) -> None:
    await menus.publish_default_menu(bot)


def is_transient(error: BaseException) -> bool:
    """The database or Redis was unreachable for a moment: trying again later will work."""
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unreachable(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _unreachable(error: BaseException) -> bool:
    import asyncpg  # type: ignore[import-untyped]
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError):
        return False  # a local file problem does not pass by waiting
    return isinstance(
        error,
        OSError  # refused or reset connections, timeouts (asyncpg raises plain OSError too)
        | OperationalError
        | InterfaceError
        | RedisConnectionError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.AdminShutdownError
        | asyncpg.exceptions.CrashShutdownError
        | asyncpg.exceptions.ConnectionDoesNotExistError,
    )


async def _on_error(event: ErrorEvent, redeliver_transient: bool = False) -> bool:
    if redeliver_transient and is_transient(event.exception):
        # Webhook mode: an error status makes Telegram post the update again; nothing of it
        # was committed, so it is handled afresh once the database is back.
        log.warning("update %s: storage unavailable, left for redelivery", event.update.update_id)
        raise event.exception
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    message = event.update.message or (
        event.update.callback_query.message if event.update.callback_query else None
    )
    if message is not None and hasattr(message, "answer"):
        try:
            await message.answer(texts.GENERIC_ERROR)
        except Exception:  # the apology itself may fail (blocked, network); it was logged above
            log.warning("could not report the error to chat %s", message.chat.id)
    return True


class Application:
    """One Kurator process: database, bot and dispatcher, run by long polling."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        outermost: Sequence[BaseMiddleware] = (),
    ) -> None:
        self.settings = settings
        cap_quiet_loggers()  # no log level may print personal data (bot/logs.py)
        self.clock = clock or settings.clock()
        self.engine: AsyncEngine = build_engine(settings.database_url)
        self.session_factory = build_session_factory(self.engine)
        # Pacing per messenger; with REDIS_URL shared by every process of each bot.
        self.budgets = build_budgets(settings.redis_url)
        self.pacers = {
            TELEGRAM: telegram_pacer(settings, self.budgets),
            MAX: max_pacer(settings, self.budgets),
        }
        self.pacer = self.pacers[TELEGRAM]
        # One Bot per messenger this process serves; `bot` is the first (Telegram's if any).
        self.bots: dict[str, Bot] = {}
        if settings.bot_token is not None:
            self.bots[TELEGRAM] = build_bot(settings, self.pacers[TELEGRAM])
        if settings.max_token is not None:
            ids = DatabaseIds(self.session_factory, self.clock)
            self.bots[MAX] = build_max_bot(settings, ids, self.pacers[MAX])
        if not self.bots:
            raise ValueError("BOT_TOKEN or MAX_TOKEN must be set")
        self.bot = next(iter(self.bots.values()))
        self.ops = Ops(settings, self.clock)  # metrics, watchdog, log context (ops/)
        outermost = (self.ops.update_middleware, *outermost)
        self.dispatcher = build_dispatcher(self.session_factory, self.clock, settings, outermost)
        self.started = asyncio.Event()
        self.dispatcher.startup.register(self._mark_started)
        worker = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
        sender = OutboxSender(
            self.session_factory,
            self.bot,
            self.clock,
            render,
            worker=worker,
            claim_ttl=timedelta(seconds=settings.outbox_claim_seconds),
            more=self.bots,
            concurrency=1 if is_sqlite(settings.database_url) else settings.send_concurrency,
        )
        self.reminders = ReminderService(
            self.session_factory, sender, self.clock, settings.default_timezone
        )
        self.evidence = EvidenceSweeper(
            self.bots, self.session_factory, Path(settings.evidence_dir), self.clock
        )
        self.flows = FlowWatch(
            self.bots, self.dispatcher.fsm.storage, self.clock, settings.done_flow_minutes
        )
        self.scheduler = build_scheduler(
            self.reminders,
            settings.reminder_tick_seconds,
            {"evidence.sweep": self.evidence.sweep, "flows.sweep": self.flows.sweep},
        )
        self._kicks: set[asyncio.Task[int]] = set()
        self._max_polling: asyncio.Task[None] | None = None
        self._until_stopped = asyncio.Event()
        self.webhook_port = 0
        self.web_port = 0  # the web server's port once it listens (webhook, dashboard)
        self.dispatcher["outbox_kick"] = self.kick_outbox
        self.dispatcher["bots"] = self.bots  # files that came through another messenger
        self.dispatcher["evidence_kick"] = self.kick_evidence
        self.dispatcher["flow_watch"] = self.flows
        self.dispatcher["replan"] = self.reminders.request_plan
        self.ops.attach(self)

    def kick_outbox(self) -> None:
        """Deliver queued news now rather than at the next tick (called after a commit)."""
        self._start(self.reminders.deliver())

    def kick_evidence(self) -> None:
        """Copy newly submitted files now rather than at the next tick."""
        self._start(self.evidence.sweep())

    def _start(self, work: Coroutine[Any, Any, int]) -> None:
        task = asyncio.create_task(work)
        self._kicks.add(task)  # keep a reference until it finishes
        task.add_done_callback(self._kick_done)

    @property
    def delivering(self) -> bool:
        """True while background work started by a kick (delivery, copies) is running."""
        return bool(self._kicks)

    async def settled(self) -> None:
        """Wait until the background work started by kicks (and any it started) is finished."""
        while self._kicks:
            await asyncio.gather(*list(self._kicks), return_exceptions=True)

    def _kick_done(self, task: asyncio.Task[int]) -> None:
        self._kicks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Nothing is lost: outbox rows and missing copies stay for the next tick.
            log.warning("background work failed", exc_info=task.exception())

    async def _mark_started(self) -> None:
        if self.started.is_set():  # each polled messenger starts up; the process once
            return
        if self.settings.scheduler_enabled:
            self.scheduler.start()
        if self.settings.webapp_url:
            self._start(self._dashboard_buttons(self.settings.webapp_url))
        self.started.set()

    async def _dashboard_buttons(self, webapp_url: str) -> int:
        """Give every manager the dashboard's menu button (paced like any other request)."""
        from core.people import manager_chats

        async with self.session_factory() as session:
            chats = await manager_chats(session)
        telegram = self.bots.get(TELEGRAM)
        if telegram is None:  # MAX has no menu button: its people open the panel from /panel
            return 0
        return await menus.publish_dashboard_buttons(telegram, chats, webapp_url)

    async def prepare(self) -> None:
        """Migrate the database to head (automatic upgrade at start)."""
        await upgrade(self.engine)

    async def run_polling(self, **kwargs: Any) -> None:
        """Serve updates until stopped; closes the bot session and the engine on the way out.

        Telegram by long polling; MAX by long polling too, or by its webhook (MAX_WEBHOOK_URL).
        """
        runner: web.AppRunner | None = None
        webhook_only = False
        try:
            await self.prepare()
            app = self._web_app()
            max_bot = self._max_webhook(app)
            if self.settings.webapp_url or max_bot is not None:
                runner = await self._serve(app)  # the dashboard, MAX's posts
            polled = [bot for name, bot in self.bots.items() if self._polls(name)]
            for bot in polled:
                await bot.delete_webhook(drop_pending_updates=False)
            if max_bot is not None:
                await self._subscribe_max(max_bot)
            if polled:
                await self.dispatcher.start_polling(
                    *polled,
                    polling_timeout=self.settings.polling_timeout,
                    allowed_updates=self.dispatcher.resolve_used_update_types(),
                    **kwargs,
                )
            else:  # MAX by its webhook alone
                webhook_only = True
                await self.dispatcher.emit_startup(bot=self.bot)  # marks `started`
                await self._until_stopped.wait()
        finally:
            if runner is not None:
                await runner.cleanup()
            await self.dispatcher.stop_pollers()
            if webhook_only:
                await self.dispatcher.emit_shutdown(bot=self.bot)
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            await self.dispatcher.fsm.storage.close()
            await self._close_bots()
            await self.engine.dispose()

    def _polls(self, messenger: str) -> bool:
        """Whether this process long-polls the messenger (MAX: not by webhook, not turned off)."""
        if messenger != MAX:
            return True
        return self.settings.max_polling and not self.settings.max_webhook_url

    def _max_webhook(self, app: web.Application) -> Bot | None:
        """With MAX_WEBHOOK_URL, MAX's posts are taken on `app`; the MAX bot, else None."""
        from messengers.max.webhook import MaxWebhook

        max_bot = self.bots.get(MAX)
        if max_bot is None or not self.settings.max_webhook_url:
            return None
        secret = self.settings.max_webhook_secret_token()
        MaxWebhook(self.dispatcher, max_bot, secret).register(app, self.settings.max_webhook_path())
        return max_bot

    async def _subscribe_max(self, max_bot: Bot) -> None:
        """Ask MAX to post updates to MAX_WEBHOOK_URL (each process may: it replaces itself)."""
        await max_bot.set_webhook(
            self.settings.max_webhook_url or "",
            secret_token=self.settings.max_webhook_secret_token(),
        )

    async def _close_bots(self) -> None:
        for bot in self.bots.values():
            ids = getattr(bot.session, "ids", None)
            if isinstance(ids, DatabaseIds):  # numbers made on SQLite, not yet written
                await ids.flush()
            await bot.session.close()
        await self.budgets.close()

    async def run_webhook(self, stop: asyncio.Event | None = None) -> None:
        """Serve updates posted by Telegram (and MAX) until `stop` is set (or cancelled).

        Every request must carry the secret token (else 401, body ignored); updates are
        handled before the answer, so an update whose process dies is posted again, and on
        shutdown the server stops accepting and finishes the requests in flight. MAX without
        MAX_WEBHOOK_URL is long-polled beside it.
        """
        from bot.webhook import CheckedRequestHandler

        settings = self.settings
        await self.prepare()
        self.dispatcher["redeliver_transient"] = True
        app = self._web_app()
        telegram = self.bots.get(TELEGRAM)
        if telegram is not None:
            CheckedRequestHandler(
                self.dispatcher,
                telegram,
                handle_in_background=False,
                secret_token=settings.webhook_secret_token(),
            ).register(app, path=settings.webhook_path())
        max_bot = self._max_webhook(app)
        runner = await self._serve(app)
        try:
            if telegram is not None:
                await telegram.set_webhook(
                    settings.webhook_url or "",
                    secret_token=settings.webhook_secret_token(),
                    allowed_updates=self.dispatcher.resolve_used_update_types(),
                )
            if max_bot is not None:
                await self._subscribe_max(max_bot)
            await self.dispatcher.emit_startup(bot=self.bot)  # marks `started`
            polled_max = self.bots.get(MAX)
            if polled_max is not None and self._polls(MAX):
                # MAX's updates by long polling beside Telegram's webhook (docs/max.md).
                await polled_max.delete_webhook(drop_pending_updates=False)
                self._max_polling = asyncio.create_task(
                    self.dispatcher._polling(
                        polled_max,
                        polling_timeout=settings.polling_timeout,
                        allowed_updates=self.dispatcher.resolve_used_update_types(),
                    )
                )
            await (stop or asyncio.Event()).wait()
        finally:
            await self.dispatcher.stop_pollers()
            await runner.cleanup()  # stop accepting; wait for the requests in flight
            await self.dispatcher.emit_shutdown(bot=self.bot)
            await self.dispatcher.fsm.storage.close()
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            await self._close_bots()
            await self.engine.dispose()

    def _web_app(self) -> web.Application:
        """The bot's web server: health check; with WEBAPP_URL the dashboard and calendar feeds."""
        app = web.Application()
        app.router.add_get("/healthz", self._health)
        if self.settings.webapp_url:
            from web import calendar_feed, dashboard

            deps = dashboard.WebDeps(
                self.settings, self.session_factory, self.clock, self.bot, self.kick_outbox
            )
            dashboard.add_routes(app, deps)
            calendar_feed.add_routes(app, deps)
        return app

    async def _serve(self, app: web.Application) -> web.AppRunner:
        """Listen on WEBHOOK_HOST:WEBHOOK_PORT; `web_port` tells the port (0 = any free one)."""
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=30, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.webhook_host, self.settings.webhook_port)
        await site.start()
        self.webhook_port = self.web_port = int(runner.addresses[0][1])
        return runner

    async def _health(self, request: web.Request) -> web.Response:
        """Liveness and database reachability, for the proxy and systemd."""
        from sqlalchemy import text

        try:
            async with self.session_factory() as session:
                await session.execute(text("SELECT 1"))
        except Exception:  # any database failure means unhealthy; the reason is logged
            log.warning("health check: database unreachable", exc_info=True)
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    async def stop(self) -> None:
        """Ask the polling loop to finish (no-op if it never started)."""
        self._until_stopped.set()  # MAX by webhook alone: nothing polls
        if self.started.is_set() and any(self._polls(name) for name in self.bots):
            await self.dispatcher.stop_polling()
