"""The watchdog: its own timer, its own reads, a direct send to admins, its own rate bound.

It does not ride on what it watches: not the scheduler (an asyncio task of its own wakes it
every WATCHDOG_SECONDS), not the outbox or the sender (it calls `send_message` itself, with
a time limit, to the admins it read last), and at most ALERT_MESSAGES_PER_HOUR messages an
hour leave it. Each look: sample the outbox (gauges), write this process's heartbeat, read
every process's, judge the rules (ops/alerts.py), then raise or clear on the board (one
process of several tells), and send what is owed. A message that could not go (the
messenger is down) is tried again at the next look; an alert that cleared before it could be
told is dropped together with its all-clear.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from core.clock import Clock
from core.ops import OutboxFacts, admin_chats, outbox_facts
from ops.alerts import Episode, ProcessRecord, State, Thresholds, Verdict, evaluate, observe_error
from ops.board import Board
from ops.metrics import Metrics, code_of

log = logging.getLogger(__name__)

SEND_TIMEOUT = 5  # seconds a direct send may take before it counts as failed


@dataclass
class Signals:
    """What this process itself saw: its start, scheduler ticks, API error episodes."""

    process: str
    version: str
    started_at: datetime
    scheduler: bool
    last_tick_at: datetime | None = None
    tick_lag_seconds: float = 0.0
    episodes: dict[str, Episode] = field(default_factory=dict)

    def record(self, now: datetime) -> ProcessRecord:
        return ProcessRecord(
            self.process,
            self.version,
            self.started_at,
            now,
            self.scheduler,
            self.last_tick_at,
            self.tick_lag_seconds,
            {m: Episode(e.first, e.last, e.count) for m, e in self.episodes.items()},
        )


@dataclass
class Notice:
    name: str
    raised: bool  # True: the alert; False: its all-clear
    text: str


class Watchdog:
    """Looks every `interval` seconds; `check()` is one look (tests may call it too)."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        bots: Mapping[str, Bot],
        board: Board,
        metrics: Metrics,
        signals: Signals,
        limits: Thresholds,
        interval: float,
        per_hour: int,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.bots = bots  # by messenger: each admin is told in theirs
        self.board = board
        self.metrics = metrics
        self.signals = signals
        self.limits = limits
        self.interval = interval
        self.per_hour = per_hour
        self._sleep = sleep
        # (messenger, chat) of each admin, kept from the last good read: a database outage is
        # told to them too.
        self.admins: list[tuple[str, int]] = []
        self.owed: list[Notice] = []
        self.sent_at: list[datetime] = []  # the rate bound's window
        self.facts: OutboxFacts | None = None
        self.database_ok = True
        self.redis_ok: bool | None = None
        self.peers: list[ProcessRecord] = []
        self.raised: dict[str, datetime] = {}
        self.looked = asyncio.Event()  # set after every look (tests wait on it)
        self._task: asyncio.Task[None] | None = None
        self._telling: asyncio.Task[None] | None = None

    # --- signals from the process ------------------------------------------------------

    def api_answer(self, messenger: str, code: str | None) -> None:
        """A request's outcome (RequestMetrics observer): errors build episodes."""
        if code is not None:
            observe_error(self.signals.episodes, messenger, self.clock.now(), self.limits.api_quiet)

    def ticked(self, lag_seconds: float) -> None:
        self.signals.last_tick_at = self.clock.now()
        self.signals.tick_lag_seconds = lag_seconds
        p = self.metrics.process
        self.metrics.last_tick.labels(p).set(self.signals.last_tick_at.timestamp())
        self.metrics.tick_lag.labels(p).set(lag_seconds)

    # --- the loop ----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._telling) if t is not None]
        self._task = self._telling = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await self.board.leave(self.signals.process)  # a stop on purpose is not an outage
        except Exception:  # Redis down at shutdown: the record expires by itself
            log.warning("watchdog: could not leave the board")
        await self.board.close()

    async def _run(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # the watchdog never dies of what it watches
                log.exception("watchdog look failed")
            await self._sleep(self.interval)

    async def check(self) -> None:
        now = self.clock.now()
        await self._sample(now)
        record = self.signals.record(now)
        try:
            await self.board.publish(record)
            self.peers = await self.board.peers()
            self.redis_ok = await self.board.reachable()
        except Exception as exc:
            log.warning("watchdog: board unreachable: %s", type(exc).__name__)
            self.redis_ok, self.peers = False, [record]
        self.metrics.heartbeat_age.clear()
        for peer in self.peers:
            seconds = (now - peer.heartbeat_at).total_seconds()
            self.metrics.heartbeat_age.labels(self.metrics.process, peer.process).set(seconds)
        age = self.facts.oldest_due_age(now) if self.facts is not None else None
        verdicts = evaluate(
            now, self.signals.process, self.peers, age, self.database_ok, self.limits
        )
        await self._judge(now, verdicts)
        if self.owed and (self._telling is None or self._telling.done()):
            # In a task of its own: a slow messenger never delays the heartbeat.
            self._telling = asyncio.create_task(self._tell(now))
        self.metrics.watchdog_checks.labels(self.metrics.process).set(now.timestamp())
        self.looked.set()
        self.looked = asyncio.Event()

    async def _sample(self, now: datetime) -> None:
        m, p = self.metrics, self.metrics.process
        try:
            async with self.session_factory() as session:
                self.facts = await outbox_facts(session, now)
                self.admins = await admin_chats(session, list(self.bots))
            self.database_ok = True
        except Exception as exc:
            log.warning("watchdog: database unreachable: %s", type(exc).__name__)
            self.database_ok, self.facts = False, None
            return
        facts = self.facts
        m.outbox_pending.clear()
        for due, counts in ((False, facts.waiting), (True, facts.due)):
            for kind, count in counts.items():
                m.outbox_pending.labels(p, kind, str(due).lower()).set(count)
        m.outbox_oldest_due.labels(p).set(facts.oldest_due_age(now).total_seconds())
        m.evidence_backlog.labels(p).set(facts.evidence_backlog)

    async def _judge(self, now: datetime, verdicts: dict[str, Verdict]) -> None:
        try:
            raised = await self.board.raised()
        except Exception:
            raised = dict(self.raised)
        for name in set(raised) - set(verdicts):  # its process left: nothing to watch
            verdicts[name] = Verdict(State.CLEAR, name.partition(":")[2])
        for name, verdict in sorted(verdicts.items()):
            if verdict.state == State.FIRING and name not in raised:
                if await self._board(self.board.claim(name, now)):
                    raised[name] = now
                    self.owed.append(
                        Notice(name, True, texts.ops_alert(name, verdict.subject, verdict.minutes))
                    )
            elif verdict.state == State.CLEAR and name in raised:
                since = raised.pop(name)
                if await self._board(self.board.release(name)):
                    lasted = int((now - since).total_seconds() // 60)
                    self._clear(
                        Notice(name, False, texts.ops_cleared(name, verdict.subject, lasted))
                    )
        self.raised = raised
        self.metrics.alerts_firing.clear()
        for name in raised:
            self.metrics.alerts_firing.labels(self.metrics.process, name).set(1)

    async def _board(self, step: Awaitable[bool]) -> bool:
        try:
            return await step
        except Exception as exc:  # Redis down: this process decides alone
            log.warning("watchdog: board step failed: %s", type(exc).__name__)
            return True

    def _clear(self, notice: Notice) -> None:
        untold = [n for n in self.owed if n.name == notice.name and n.raised]
        if untold:  # never told: nothing to clear either
            self.owed = [n for n in self.owed if n not in untold]
        else:
            self.owed.append(notice)

    async def _tell(self, now: datetime) -> None:
        p = self.metrics.process
        self.sent_at = [t for t in self.sent_at if now - t < timedelta(hours=1)]
        while self.owed:
            notice = self.owed[0]
            if len(self.sent_at) >= self.per_hour:
                self.metrics.alert_messages.labels(p, "suppressed").inc()
                log.warning("watchdog: rate bound reached; %s waits", notice.name)
                return
            if not self.admins:
                log.warning("watchdog: %s: no admin to tell", notice.name)
                self.owed.pop(0)
                continue
            if not await self._send(notice):
                self.metrics.alert_messages.labels(p, "failed").inc()
                return  # the messenger is down: the next look tries again
            self.owed.pop(0)
            self.sent_at.append(now)
            self.metrics.alert_messages.labels(p, "raised" if notice.raised else "cleared").inc()
            log.warning("watchdog: %s %s", notice.name, "raised" if notice.raised else "cleared")

    async def _send(self, notice: Notice) -> bool:
        """Straight to the session: no pacer queue or 429 retries, no outbox, no scheduler."""
        delivered = False
        for messenger, chat_id in self.admins:
            bot = self.bots[messenger]
            method = SendMessage(chat_id=chat_id, text=notice.text, parse_mode=None)
            try:
                await asyncio.wait_for(
                    bot.session.make_request(bot, method, timeout=SEND_TIMEOUT),
                    SEND_TIMEOUT + 1,
                )
                delivered = True
            except Exception as exc:  # an admin who blocked the bot must not stop the others
                code = code_of(exc)
                p = self.metrics.process
                self.metrics.api_errors.labels(p, messenger, code).inc()
                if code in ("429", "5xx", "network"):
                    self.api_answer(messenger, code)  # the messenger is still failing
                error = type(exc).__name__
                log.warning("watchdog: %s not sent to %s: %s", notice.name, chat_id, error)
        return delivered
