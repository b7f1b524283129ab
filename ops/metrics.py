"""Prometheus metrics of one process (prometheus-client, a registry per process object).

Every series carries `process` (WORKER_ID, else host-pid) and, where a messenger is involved,
`messenger` (`messengers.messenger_of(bot)`). Counters live in the process and start at zero
with it; Prometheus' `rate()` copes with restarts. docs/operations.md says what each means.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from core.ops import reason_of
from messengers import messenger_of
from ops.logs import UPDATE_CONTEXT

PREFIX = "kurator_"
# Update handling: most take milliseconds; reports and imports take seconds.
UPDATE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 15.0)

# Keyed by the bot's session, not the Bot: Bots compare equal by token (two apps in one
# process, or a test after another, would share the entry).
_BY_SESSION: weakref.WeakKeyDictionary[Any, RequestMetrics] = weakref.WeakKeyDictionary()


class Metrics:
    """All metric objects of one process; `registry` is what /metrics exposes."""

    def __init__(self, process: str) -> None:
        self.process = process
        self.registry = CollectorRegistry(auto_describe=True)
        r, p = self.registry, ("process",)
        pm = ("process", "messenger")
        self.updates = Histogram(
            PREFIX + "update_handling_seconds",
            "Time to handle one update (all middlewares and the handler)",
            (*pm, "type"),
            buckets=UPDATE_BUCKETS,
            registry=r,
        )
        self.update_errors = Counter(
            PREFIX + "update_errors", "Updates whose handling raised", pm, registry=r
        )
        self.answers = Histogram(
            PREFIX + "callback_answer_seconds",
            "Time from a button press received to its answerCallbackQuery",
            pm,
            buckets=ANSWER_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            PREFIX + "messages_sent",
            "Messages the messenger accepted (send methods)",
            pm,
            registry=r,
        )
        self.api_errors = Counter(
            PREFIX + "api_errors",
            "Requests the messenger refused or failed, by answer (429, 5xx, 4xx, network)",
            (*pm, "code"),
            registry=r,
        )
        self.retry_after = Counter(
            PREFIX + "retry_after_seconds",
            "Seconds of retry_after the messenger asked for in 429 answers",
            pm,
            registry=r,
        )
        self.delivery_retries = Counter(
            PREFIX + "delivery_retries",
            "Outbox deliveries postponed to a retry, by reason",
            (*pm, "reason"),
            registry=r,
        )
        self.delivery_failures = Counter(
            PREFIX + "delivery_failures",
            "Outbox deliveries given up for good, by reason",
            (*pm, "reason"),
            registry=r,
        )
        self.outbox_pending = Gauge(
            PREFIX + "outbox_pending",
            "Outbox rows not yet sent, by kind and whether they are due",
            (*p, "kind", "due"),
            registry=r,
        )
        self.outbox_oldest_due = Gauge(
            PREFIX + "outbox_oldest_due_seconds",
            "Age of the oldest due, unsent outbox row (0: none due)",
            p,
            registry=r,
        )
        self.tick_lag = Gauge(
            PREFIX + "scheduler_tick_lag_seconds",
            "How late the last reminder tick started after its scheduled time",
            p,
            registry=r,
        )
        self.last_tick = Gauge(
            PREFIX + "scheduler_last_tick_timestamp_seconds",
            "When the scheduler last fired the reminder tick (the start until then)",
            p,
            registry=r,
        )
        self.tick_errors = Counter(
            PREFIX + "scheduler_tick_errors", "Scheduled jobs that raised", (*p, "job"), registry=r
        )
        self.evidence_backlog = Gauge(
            PREFIX + "evidence_backlog",
            "Submitted files still without their evidence copy (not given up)",
            p,
            registry=r,
        )
        self.db_pool_in_use = Gauge(
            PREFIX + "db_pool_connections_in_use",
            "Database connections checked out of this process's pool",
            p,
            registry=r,
        )
        self.db_pool_size = Gauge(
            PREFIX + "db_pool_size",
            "Connections the pool keeps (overflow not counted)",
            p,
            registry=r,
        )
        self.watchdog_checks = Gauge(
            PREFIX + "watchdog_last_check_timestamp_seconds",
            "When the watchdog last looked (Unix time)",
            p,
            registry=r,
        )
        self.alerts_firing = Gauge(
            PREFIX + "alerts_firing",
            "Watchdog alerts firing now (1) or not (0)",
            (*p, "alert"),
            registry=r,
        )
        self.alert_messages = Counter(
            PREFIX + "alert_messages",
            "Watchdog messages to admins: raised, cleared, failed, suppressed (rate bound)",
            (*p, "event"),
            registry=r,
        )
        self.start_time = Gauge(
            PREFIX + "process_start_time_seconds",
            "When this process started (Unix time)",
            p,
            registry=r,
        )
        self.info = Gauge(
            PREFIX + "build_info", "Version of this process (always 1)", (*p, "version"), registry=r
        )
        self.heartbeat_age = Gauge(
            PREFIX + "peer_heartbeat_age_seconds",
            "Seconds since each process of this bot last heartbeated (several processes)",
            (*p, "peer"),
            registry=r,
        )

    def bind(self, bot: Bot) -> None:
        """Count this bot's requests (installs the request middleware on its session)."""
        if bot.session not in _BY_SESSION:
            _BY_SESSION[bot.session] = requests = RequestMetrics(self)
            bot.session.middleware(requests)

    def names(self) -> set[str]:
        """Every series name /metrics can expose (what PromQL may name)."""
        suffixes = {
            "counter": ("_total", "_created"),
            "histogram": ("_bucket", "_count", "_sum", "_created"),
            "gauge": ("",),
        }
        return {
            family.name + suffix
            for family in self.registry.collect()
            for suffix in suffixes.get(family.type, ("",))
        }


def requests_of(bot: Any) -> RequestMetrics | None:
    """The request middleware counting a bot's requests (None: not bound, e.g. a CLI bot)."""
    session = getattr(bot, "session", None)
    return _BY_SESSION.get(session) if session is not None else None


def for_bot(bot: Any) -> Metrics | None:
    """The metrics a bot's requests are counted in (None: not bound)."""
    requests = requests_of(bot)
    return requests.metrics if requests is not None else None


def note_delivery(bot: Bot, outcome: str, error: str | None, rows: int = 1) -> None:
    """The sender's hook: rows `sent`, `failed` or postponed to a `retry`."""
    metrics = for_bot(bot)
    if metrics is None or outcome == "sent":
        return
    counter = metrics.delivery_failures if outcome == "failed" else metrics.delivery_retries
    if outcome in ("failed", "retry"):
        counter.labels(metrics.process, messenger_of(bot), reason_of(error)).inc(rows)


def code_of(exc: BaseException) -> str:
    if isinstance(exc, TelegramRetryAfter):
        return "429"
    if isinstance(exc, TelegramServerError):
        return "5xx"
    if isinstance(exc, TelegramForbiddenError):
        return "403"
    if isinstance(exc, TelegramNotFound):
        return "404"
    if isinstance(exc, TelegramBadRequest):
        return "400"
    if isinstance(exc, TelegramNetworkError | OSError | TimeoutError):
        return "network"
    return "other"


# Only what the watchdog needs from requests: the times of the last error and the last
# success per messenger (a streak of errors with no success is an outage).
Observer = Callable[[str, str | None], None]


class RequestMetrics(BaseRequestMiddleware):
    """Innermost client-session middleware: each request as it went over the wire."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.perf_counter) -> None:
        self.metrics = metrics
        self._now = clock
        self.received: dict[str, float] = {}  # callback query id -> when its update arrived
        self.observers: list[Observer] = []

    def press_received(self, query_id: str) -> None:
        if len(self.received) > 10_000:  # presses never answered (a crash mid-update)
            self.received.clear()
        self.received.setdefault(query_id, self._now())

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        m, messenger = self.metrics, messenger_of(bot)
        try:
            response = await make_request(bot, method)
        except Exception as exc:
            code = code_of(exc)
            m.api_errors.labels(m.process, messenger, code).inc()
            if isinstance(exc, TelegramRetryAfter):
                m.retry_after.labels(m.process, messenger).inc(exc.retry_after)
            if code in ("429", "5xx", "network"):
                for observe in self.observers:
                    observe(messenger, code)
            raise
        if isinstance(method, GetUpdates):
            # aiogram's chain hands results up (a list of updates here), not the Response.
            for raw in cast(list[Any], response) or ():
                query = raw.get("callback_query") if isinstance(raw, dict) else None
                if query:
                    self.press_received(str(query.get("id")))
            return response
        name = type(method).__name__
        if isinstance(method, AnswerCallbackQuery):
            started = self.received.pop(method.callback_query_id, None)
            if started is not None:
                m.answers.labels(m.process, messenger).observe(self._now() - started)
        elif name.startswith(("Send", "Copy", "Forward")) and name != "SendChatAction":
            m.sends.labels(m.process, messenger).inc()
            for observe in self.observers:
                observe(messenger, None)
        return response


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateMetrics(BaseMiddleware):
    """Outermost update middleware: times each update; puts its ids in the log context."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.perf_counter) -> None:
        self.metrics = metrics
        self._now = clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        bot = data.get("bot")
        m = self.metrics
        messenger = messenger_of(bot)
        requests = requests_of(bot)
        if event.callback_query is not None and requests is not None:
            requests.press_received(event.callback_query.id)  # webhook: it arrives here first
        token = UPDATE_CONTEXT.set(data)  # the log context reads the update id and person
        started = self._now()
        try:
            return await handler(event, data)
        except Exception:
            m.update_errors.labels(m.process, messenger).inc()
            raise
        finally:
            m.updates.labels(m.process, messenger, _type_of(event)).observe(self._now() - started)
            UPDATE_CONTEXT.reset(token)


def _type_of(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # an update type this aiogram does not know
        return "unknown"
