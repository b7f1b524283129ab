"""Benchmark: what the Prometheus metrics cost per update, against the CPU of handling it.

The production dispatcher (a migrated SQLite file, a curator's `/my` and `/me`, a recording
session instead of Telegram) handles the same updates twice per round, alternated: bare (the
baseline of the same run) and with the metrics (`ops.metrics.UpdateMetrics` outermost, the
request middleware on the bot's session). Reported per update: the handling CPU of each, their
difference as a share of the baseline (noisy: two measurements), and the metrics' own cost
measured alone (the update middleware around a no-op handler plus one counted request) as a
share of the baseline's handling CPU: the figure the limit (5%) is about.

    python bench/metrics_cost.py [--updates 100] [--rounds 6] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiogram import Bot  # noqa: E402
from aiogram.methods import SendMessage  # noqa: E402
from aiogram.types import Chat, Message, MessageEntity, Update, User  # noqa: E402

from bot.app import build_dispatcher  # noqa: E402
from bot.settings import Settings  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.invitations import create_invitation  # noqa: E402
from core.roles import Role  # noqa: E402
from core.schools import add_school  # noqa: E402
from db.engine import build_engine, build_session_factory  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from ops.metrics import Metrics, RequestMetrics, UpdateMetrics  # noqa: E402
from tests.dispatcher.recording import RecordingSession  # noqa: E402

LIMIT = 0.05
TOKEN = "42:BENCH"
NOW = datetime(2024, 10, 24, 6, 0, tzinfo=UTC)
PERSON = User(id=555, is_bot=False, first_name="Вера", language_code="ru")
_ids = itertools.count(1)


def _update(text: str) -> Update:
    update_id = next(_ids)
    command = text.split()[0]
    message = Message(
        message_id=update_id,
        date=NOW,
        chat=Chat(id=PERSON.id, type="private"),
        from_user=PERSON,
        text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(command))],
    )
    return Update(update_id=update_id, message=message)


async def _handle(dp: Any, bot: Bot, count: int) -> float:
    """CPU seconds per update for `count` updates."""
    updates = [_update("/my" if n % 2 else "/me") for n in range(count)]
    started = time.process_time()
    for update in updates:
        await dp.feed_update(bot, update)
    return (time.process_time() - started) / count


async def _alone(metrics: Metrics, bot: Bot, count: int) -> float:
    """CPU seconds per update of the metrics by themselves: the update timed, one send counted."""
    middleware = UpdateMetrics(metrics)
    requests = RequestMetrics(metrics)
    update = _update("/me")
    method = SendMessage(chat_id=PERSON.id, text="x")

    async def handler(event: Any, data: dict[str, Any]) -> None:
        return None

    async def request(bot: Bot, method: Any) -> Any:
        return True

    started = time.process_time()
    for _ in range(count):
        await middleware(handler, update, {"bot": bot, "event_update": update})
        await requests(request, bot, method)
    return (time.process_time() - started) / count


def _counted(metrics: Metrics) -> int:
    return int(
        sum(
            s.value
            for f in metrics.registry.collect()
            for s in f.samples
            if s.name == "kurator_update_handling_seconds_count"
        )
    )


async def run(updates: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        engine = build_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}")
        await upgrade(engine)
        factory = build_session_factory(engine)
        clock = ManualClock(NOW)
        settings = Settings(bot_token=TOKEN, _env_file=None)
        async with factory() as session, session.begin():
            school = await add_school(session, clock, name="МАОУ «СОШ № 21»")
            invitation = await create_invitation(
                session, clock, role=Role.CURATOR, school_id=school.id, ttl=timedelta(days=1)
            )
        bare_bot = Bot(TOKEN, session=RecordingSession())
        bare = build_dispatcher(factory, clock, settings)
        metrics = Metrics("bench")
        counted_bot = Bot(TOKEN, session=RecordingSession())
        metrics.bind(counted_bot)
        counted = build_dispatcher(factory, clock, settings, (UpdateMetrics(metrics),))
        await bare.feed_update(bare_bot, _update(f"/start {invitation.code}"))
        await _handle(bare, bare_bot, 20)  # warm both (imports, caches, the pool)
        await _handle(counted, counted_bot, 20)
        base: list[float] = []
        with_metrics: list[float] = []
        for index in range(rounds):
            order = [(bare, bare_bot, base), (counted, counted_bot, with_metrics)]
            for dp, bot, into in order if index % 2 == 0 else order[::-1]:
                into.append(await _handle(dp, bot, updates))
        samples = _counted(metrics)  # the updates the metrics saw (warm-up included)
        alone = statistics.median([await _alone(metrics, counted_bot, 20_000) for _ in range(3)])
        await engine.dispose()
    handling = statistics.median(base)
    instrumented = statistics.median(with_metrics)
    return {
        "updates": updates,
        "rounds": rounds,
        "handling_cpu_ms": round(handling * 1000, 3),
        "with_metrics_cpu_ms": round(instrumented * 1000, 3),
        "difference_ratio": round((instrumented - handling) / handling, 4),
        "metrics_alone_us": round(alone * 1e6, 2),
        "cost_ratio": round(alone / handling, 4),
        "limit": LIMIT,
        "ok": alone / handling <= LIMIT,
        "updates_counted": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=100, help="updates per round and variant")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.updates, args.rounds))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"handling CPU per update, bare:         {result['handling_cpu_ms']:.3f} ms")
        print(f"handling CPU per update, with metrics: {result['with_metrics_cpu_ms']:.3f} ms")
        print(f"difference (noisy, two measurements):  {result['difference_ratio']:+.1%}")
        print(f"metrics alone per update:              {result['metrics_alone_us']:.1f} µs")
        print(
            f"metrics cost / handling CPU:           {result['cost_ratio']:.2%} "
            f"(limit {LIMIT:.0%}: {'ok' if result['ok'] else 'OVER'})"
        )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
