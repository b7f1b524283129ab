"""Operations, pure parts: the alert rules, JSON log lines, reasons, the metrics server's guard."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import aiohttp
import pytest
from aiogram.types import Update
from pydantic import ValidationError

from bot.settings import Settings
from core.ops import reason_of
from ops.alerts import (
    Episode,
    ProcessRecord,
    State,
    Thresholds,
    Verdict,
    evaluate,
    observe_error,
)
from ops.logs import JsonFormatter
from ops.metrics import Metrics, RequestMetrics, UpdateMetrics
from ops.server import MetricsServer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMITS = Thresholds()


def _record(name: str, **kw) -> ProcessRecord:
    base = {"version": "1", "started_at": NOW - timedelta(hours=1), "heartbeat_at": NOW}
    return ProcessRecord(name, **{**base, **kw})


def _state(verdicts: dict[str, Verdict], name: str) -> State:
    return verdicts[name].state


def test_an_old_due_reminder_fires_and_clears_with_hysteresis() -> None:
    def at(minutes: float):
        return evaluate(NOW, "a", [_record("a")], timedelta(minutes=minutes), True, LIMITS)

    assert _state(at(11), "outbox") == State.FIRING
    assert at(11)["outbox"].minutes == 11
    assert _state(at(7), "outbox") == State.HOLD  # between the thresholds: no flapping
    assert _state(at(5), "outbox") == State.CLEAR
    no_facts = evaluate(NOW, "a", [_record("a")], None, False, LIMITS)
    assert _state(no_facts, "outbox") == State.HOLD  # unknown: an outage is no all-clear
    assert _state(no_facts, "database") == State.FIRING


def test_a_silent_scheduler_and_a_silent_process() -> None:
    ticking = _record("a", scheduler=True, last_tick_at=NOW - timedelta(minutes=1))
    stuck = _record("b", scheduler=True, last_tick_at=NOW - timedelta(minutes=6))
    gone = _record("c", heartbeat_at=NOW - timedelta(minutes=3), scheduler=True)
    verdicts = evaluate(NOW, "a", [ticking, stuck, gone], timedelta(0), True, LIMITS)
    assert _state(verdicts, "scheduler:a") == State.CLEAR
    assert _state(verdicts, "scheduler:b") == State.FIRING
    assert verdicts["scheduler:b"].subject == "b" and verdicts["scheduler:b"].minutes == 6
    assert _state(verdicts, "process:c") == State.FIRING
    assert _state(verdicts, "scheduler:c") == State.HOLD  # a dead process: its own alert says it
    assert "process:a" not in verdicts  # never about oneself
    never = _record("d", scheduler=True, started_at=NOW - timedelta(minutes=6))
    assert _state(evaluate(NOW, "d", [never], None, True, LIMITS), "scheduler:d") == State.FIRING


def test_api_errors_fire_only_when_they_last_and_clear_after_a_quiet_spell() -> None:
    episodes: dict[str, Episode] = {}
    for seconds in (0, 50, 100, 130):
        observe_error(episodes, "telegram", NOW + timedelta(seconds=seconds), LIMITS.api_quiet)
    assert episodes["telegram"].first == NOW and episodes["telegram"].count == 4

    def verdict(at: timedelta, *records: ProcessRecord):
        return evaluate(NOW + at, "a", list(records), None, True, LIMITS)["api:telegram"]

    mine = _record("a", heartbeat_at=NOW + timedelta(seconds=130), episodes=episodes)
    assert verdict(timedelta(seconds=130), mine).state == State.FIRING
    assert verdict(timedelta(seconds=130), mine).minutes == 2
    assert verdict(timedelta(seconds=200), mine).state == State.CLEAR
    short = {"telegram": Episode(NOW, NOW + timedelta(seconds=30))}
    young = _record("a", heartbeat_at=NOW + timedelta(seconds=30), episodes=short)
    assert verdict(timedelta(seconds=30), young).state == State.HOLD
    # Another process saw the start of the trouble: the processes agree it lasts.
    other = _record("b", heartbeat_at=NOW + timedelta(seconds=130), episodes=episodes)
    late = {"telegram": Episode(NOW + timedelta(seconds=120), NOW + timedelta(seconds=125))}
    fresh = _record("a", heartbeat_at=NOW + timedelta(seconds=130), episodes=late)
    assert verdict(timedelta(seconds=130), fresh, other).state == State.FIRING
    gap: dict[str, Episode] = {}
    observe_error(gap, "max", NOW, LIMITS.api_quiet)
    observe_error(gap, "max", NOW + timedelta(minutes=5), LIMITS.api_quiet)
    assert gap["max"].first == NOW + timedelta(minutes=5)  # a new episode after a quiet spell


def test_records_survive_json() -> None:
    record = _record(
        "bot-a",
        scheduler=True,
        last_tick_at=NOW,
        tick_lag_seconds=0.5,
        episodes={"telegram": Episode(NOW, NOW, 3)},
    )
    assert ProcessRecord.from_json(json.loads(json.dumps(record.to_json()))) == record


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("forbidden: Forbidden: bot was blocked by the user", "blocked"),
        ("bad request: Bad Request: chat not found", "not_found"),
        ("bad request: Bad Request: message is too long", "bad_request"),
        ("429: retry after 5", "rate_limited"),
        ("TelegramServerError: Telegram server says - Internal Server Error", "server"),
        ("TelegramNetworkError: HTTP Client says - ClientConnectorError", "network"),
        ("no delivery within 24 h: TimeoutError: ", "network"),
        ("render: LookupError()", "other"),
    ],
)
def test_failure_reasons(error: str, reason: str) -> None:
    assert reason_of(error) == reason


async def test_json_log_lines_carry_the_update_and_the_person_never_a_name() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("bot-a"))
    logger = logging.getLogger("tests.ops.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    update = Update.model_validate(
        {
            "update_id": 42,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 7, "type": "private"},
                "from": {"id": 7, "is_bot": False, "first_name": "Вера"},
                "text": "секрет",
            },
        }
    )

    async def handler_chain(event, data):
        data["user_ctx"] = SimpleNamespace(user_id=5)  # as UserContextMiddleware does
        logger.info("update %s handled", event.update_id)
        return "done"

    middleware = UpdateMetrics(Metrics("bot-a"))
    data = {"event_update": update, "bot": None}
    assert await middleware(handler_chain, update, data) == "done"
    logger.info("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["update_id"] == 42 and first["user_id"] == 5
    assert first["level"] == "INFO" and first["logger"] == "tests.ops.json"
    assert first["message"] == "update 42 handled" and first["process"] == "bot-a"
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert "update_id" not in second and "user_id" not in second
    assert "Вера" not in stream.getvalue() and "секрет" not in stream.getvalue()
    logger.removeHandler(handler)


def test_metrics_off_by_default_and_guarded_off_localhost() -> None:
    assert Settings(_env_file=None).metrics_enabled is False
    with pytest.raises(ValidationError, match="METRICS_TOKEN"):
        Settings(metrics_enabled=True, metrics_host="0.0.0.0", _env_file=None)
    Settings(metrics_enabled=True, metrics_host="0.0.0.0", metrics_token="t", _env_file=None)


async def test_the_metrics_server_asks_for_its_token() -> None:
    metrics = Metrics("bot-a")
    server = MetricsServer(metrics.registry, "127.0.0.1", 0, token="s3cret")
    port = await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/metrics"
            async with http.get(url) as answer:
                assert answer.status == 401
            async with http.get(url, headers={"Authorization": "Bearer wrong"}) as answer:
                assert answer.status == 401
            async with http.get(url, headers={"Authorization": "Bearer s3cret"}) as answer:
                assert answer.status == 200
                assert "kurator_build_info" in await answer.text()
    finally:
        await server.stop()


async def test_a_button_answer_is_timed_from_its_arrival() -> None:
    from aiogram import Bot
    from aiogram.methods import AnswerCallbackQuery, GetUpdates

    moments = iter([10.0, 10.4])
    metrics = Metrics("bot-a")
    requests = RequestMetrics(metrics, clock=lambda: next(moments))
    bot = Bot("42:TEST")
    press = {"update_id": 1, "callback_query": {"id": "q1", "from": {"id": 7}}}

    async def updates(bot: Bot, method: object) -> object:
        return [press]

    async def answered(bot: Bot, method: object) -> object:
        return True

    await requests(updates, bot, GetUpdates())  # type: ignore[arg-type]
    await requests(answered, bot, AnswerCallbackQuery(callback_query_id="q1"))  # type: ignore[arg-type]
    samples = {
        s.name: s.value
        for f in metrics.registry.collect()
        for s in f.samples
        if s.labels.get("process")
    }
    assert samples["kurator_callback_answer_seconds_count"] == 1
    assert samples["kurator_callback_answer_seconds_sum"] == pytest.approx(0.4)
    await bot.session.close()


async def test_two_bots_with_one_token_count_apart() -> None:
    from aiogram import Bot

    from ops.metrics import for_bot

    first, second = Bot("42:TEST"), Bot("42:TEST")  # equal as Bots (by token)
    a, b = Metrics("a"), Metrics("b")
    a.bind(first)
    b.bind(second)
    assert for_bot(first) is a and for_bot(second) is b
    await first.session.close()
    await second.session.close()
