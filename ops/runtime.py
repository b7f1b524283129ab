"""The operations runtime: metrics, the watchdog and /health's facts of one bot process."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bot.settings import Settings
from core.clock import Clock
from ops.alerts import ProcessRecord, Thresholds
from ops.board import Board, LocalBoard, RedisBoard
from ops.logs import process_name
from ops.metrics import Metrics, UpdateMetrics, requests_of
from ops.server import MetricsServer
from ops.watchdog import Signals, Watchdog

log = logging.getLogger(__name__)

TICK_JOB = "reminders.tick"


def kurator_version() -> str:
    try:
        return version("kurator")
    except PackageNotFoundError:
        return "unknown"


@dataclass
class OpsStatus:
    """The processes as /health shows them."""

    me: str
    processes: list[ProcessRecord]
    redis: bool | None  # None: no Redis configured
    raised: dict[str, datetime] = field(default_factory=dict)


class Ops:
    """Metrics, watchdog and metrics server of one process."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.process = process_name(settings)
        self.version = kurator_version()
        self.metrics = Metrics(self.process)
        self.update_middleware = UpdateMetrics(self.metrics)
        self.limits = Thresholds(
            outbox=timedelta(seconds=settings.alert_outbox_seconds),
            tick=timedelta(seconds=settings.alert_tick_seconds),
            api=timedelta(seconds=settings.alert_api_seconds),
            api_quiet=timedelta(seconds=settings.alert_api_quiet_seconds),
            heartbeat=timedelta(seconds=settings.alert_heartbeat_seconds),
        )
        self.board: Board = LocalBoard()
        if settings.redis_url:  # one board per bot: several bots may share a Redis
            token = settings.bot_token.get_secret_value() if settings.bot_token else ""
            self.board = RedisBoard(settings.redis_url, f"kurator:ops:{token.split(':')[0]}")
        self.signals = Signals(self.process, self.version, clock.now(), settings.scheduler_enabled)
        self.server: MetricsServer | None = None
        self._session_factory: Any = None  # the app's, once attached
        self.watchdog: Watchdog | None = None
        self.metrics.start_time.labels(self.process).set(time.time())
        self.metrics.info.labels(self.process, self.version).set(1)
        if settings.scheduler_enabled:  # until the first tick: the start (no tick since then)
            self.metrics.last_tick.labels(self.process).set(time.time())

    def attach(self, app: Any) -> None:
        """Count the app's bot, engine and scheduler; start and stop with its dispatcher."""
        bots = list((getattr(app, "bots", None) or {"": app.bot}).values())  # each messenger
        for bot in bots:
            self.metrics.bind(bot)
        pool = app.engine.pool
        if hasattr(pool, "checkedout"):
            self.metrics.db_pool_in_use.labels(self.process).set_function(pool.checkedout)
        if hasattr(pool, "size"):
            self.metrics.db_pool_size.labels(self.process).set_function(pool.size)
        self._session_factory = app.session_factory
        self.watchdog = Watchdog(
            session_factory=app.session_factory,
            clock=self.clock,
            bots=app.bots,
            board=self.board,
            metrics=self.metrics,
            signals=self.signals,
            limits=self.limits,
            interval=self.settings.watchdog_seconds,
            per_hour=self.settings.alert_messages_per_hour,
        )
        for bot in bots:
            requests = requests_of(bot)
            if requests is not None:
                requests.observers.append(self.watchdog.api_answer)
        self._watch_scheduler(app.scheduler)
        app.dispatcher["ops"] = self
        app.dispatcher.startup.register(self._startup)
        app.dispatcher.shutdown.register(self._shutdown)

    def _watch_scheduler(self, scheduler: Any) -> None:
        from apscheduler.events import (
            EVENT_JOB_ERROR,
            EVENT_JOB_MAX_INSTANCES,
            EVENT_JOB_SUBMITTED,
        )

        def listen(event: Any) -> None:
            # The scheduler ticks when its timer fires the reminder tick: it starts it, or finds
            # the previous one still running (a slow tick shows in the outbox's age instead).
            if event.job_id == TICK_JOB and event.code != EVENT_JOB_ERROR:
                planned = max(event.scheduled_run_times)
                lag = max((datetime.now(UTC) - planned).total_seconds(), 0.0)
                if self.watchdog is not None:
                    self.watchdog.ticked(lag)
            elif event.code == EVENT_JOB_ERROR:
                self.metrics.tick_errors.labels(self.process, event.job_id).inc()

        events = EVENT_JOB_SUBMITTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR
        scheduler.add_listener(listen, events)

    async def _startup(self) -> None:
        settings = self.settings
        if settings.metrics_enabled:
            token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
            self.server = MetricsServer(
                self.metrics.registry,
                settings.metrics_host,
                settings.metrics_port,
                token,
                self._database_ok,
            )
            port = await self.server.start()
            log.info("metrics on %s:%s/metrics", settings.metrics_host, port)
        if settings.watchdog_enabled and self.watchdog is not None:
            self.watchdog.start()

    async def _database_ok(self) -> bool:
        from sqlalchemy import text

        try:
            async with self._session_factory() as session:
                await session.execute(text("SELECT 1"))
        except Exception:  # any failure means unhealthy; the watchdog logs and tells
            return False
        return True

    async def _shutdown(self) -> None:
        if self.watchdog is not None:
            await self.watchdog.stop()
        if self.server is not None:
            await self.server.stop()

    async def status(self) -> OpsStatus:
        """Every process's heartbeat (this one's fresh), Redis reachable, alerts raised."""
        mine = self.signals.record(self.clock.now())
        try:
            peers = {p.process: p for p in await self.board.peers()}
            redis = await self.board.reachable()
            raised = await self.board.raised()
        except Exception:  # Redis down: this process alone
            peers, redis, raised = {}, False, {}
        peers[self.process] = mine
        return OpsStatus(
            self.process, sorted(peers.values(), key=lambda p: p.process), redis, raised
        )
