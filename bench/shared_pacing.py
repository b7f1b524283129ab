"""Benchmark: a burst of reminders in both messengers from two processes sharing Redis pacing.

Private PostgreSQL and Redis (tests/cluster.py), the Telegram and the MAX emulators with their
published limits on, and two `python -m bot --webhook` processes serving both bots with the
default rates (SEND_RATE=30, MAX_REQUEST_RATE=30: each bot's total, not each process's).
Half the curators read Kurator in Telegram, half in MAX; every one has one reminder due.
Prints, per messenger, the messages (and for MAX every request) per second against the limit,
the busiest five seconds, the 429 answers (goal 0), and reminders lost and doubled (goal 0).
`--rate R` sets both bots' rates and the emulators' limits to R/s: on a machine where the
processes cannot send 30/s it shows the shared budget binding. `--processes 1` runs one.
`--latency MS` makes every answer of both emulators take that long (a real network's round
trip, which loopback hides); `--concurrency N` sets SEND_CONCURRENCY (1: one send at a time).

    python bench/shared_pacing.py [--count 3000] [--small] [--rate 30] [--processes 2]
        [--latency 0] [--concurrency 8] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

# The cluster helpers live with the tests; run from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from core.states import OutboxStatus
from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from db.models import OutboxMessage
from emulator import Emulator, EmulatorServer, RateLimits
from emulator.max import MaxEmulator, MaxEmulatorServer, MaxRateLimits
from tests.cluster import (
    REMINDER_HEAD,
    TOKEN,
    afternoon_zone,
    cluster,
    missing_servers,
    populate_curators,
)

MAX_TOKEN = "max-kurator-bench-token-0123456789abcdef"
WINDOW = 5.0  # the busiest this many seconds, as a rate
LONGEST = 900.0  # seconds to wait for the last reminder before counting it lost


@dataclass
class Result:
    """One messenger's side of the burst."""

    messenger: str
    reminders: int
    seconds: float
    sends_per_second: float
    busiest_per_second: float
    requests_per_second: float
    limit: float
    rate_limited: int
    lost: int
    doubled: int
    outbox: dict[str, int]  # the rows by status at the end (what was not sent, and why)


def _stamp(owner: Any, name: str, log: list[float]) -> None:
    """Note the moment of each request the emulator admits (a 429 raises before the note)."""
    admit: Callable[..., None] = getattr(owner, name)

    def noted(*args: Any, **kwargs: Any) -> None:
        admit(*args, **kwargs)
        log.append(time.perf_counter())

    setattr(owner, name, noted)


def _busiest(moments: list[float]) -> float:
    """The highest rate over any WINDOW seconds (the whole run if shorter)."""
    span = min(WINDOW, max(moments[-1] - moments[0], 1e-6)) if moments else 1.0
    start, best = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] > span:
            start += 1
        best = max(best, end - start + 1)
    return best / span


def _reminders(log: list[dict[str, Any]], text: Callable[[dict[str, Any]], str]) -> int:
    return sum(1 for e in log if e.get("kind", "new") == "new" and REMINDER_HEAD in text(e))


async def _settle(arrived: Callable[[], int], expected: int, database_url: str) -> None:
    """Until every reminder arrived, or all were planned and the outbox has nothing left to
    send (a late retry is not lost); then a few quiet seconds for any doubled one."""
    engine = build_engine(database_url)
    unsent = func.count().filter(
        OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.CLAIMED])
    )
    rows = select(func.count(), unsent)
    try:
        deadline = time.perf_counter() + LONGEST
        last, still = -1, time.perf_counter()
        while time.perf_counter() < deadline:
            now = arrived()
            if now != last:
                last, still = now, time.perf_counter()
            if time.perf_counter() - still > 3.0:
                if now >= expected:
                    return
                async with engine.connect() as db:
                    planned, waiting = (await db.execute(rows)).one()
                if planned >= expected and not waiting:
                    return
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


async def run(
    count: int, rate: float, processes: int = 2, latency: float = 0.0, concurrency: int = 8
) -> list[Result]:
    burst = max(1, int(rate))
    telegram = Emulator(RateLimits(global_per_second=rate, global_burst=burst))
    max_emu = MaxEmulator(MaxRateLimits(requests_per_second=rate, requests_burst=burst))
    telegram.latency = max_emu.latency = latency
    telegram.add_bot(TOKEN, "kurator_bench_bot")
    max_emu.add_bot(MAX_TOKEN, "kurator_bench_bot")
    sent: dict[str, list[float]] = {"telegram": [], "max": [], "max requests": []}
    _stamp(telegram, "admit", sent["telegram"])
    _stamp(max_emu, "admit_message", sent["max"])
    _stamp(max_emu, "admit_request", sent["max requests"])
    halves = {"telegram": count // 2, "max": count - count // 2}
    firsts = {"telegram": 800_000_000, "max": 810_000_000}
    async with (
        EmulatorServer(telegram) as tg_server,
        MaxEmulatorServer(max_emu) as max_server,
        cluster(tg_server.url) as (running, _),
    ):
        engine = build_engine(running.database_url)
        await upgrade(engine)
        now = running.clock.now()
        zone, today = afternoon_zone(now)
        for emu, name in ((telegram, "telegram"), (max_emu, "max")):
            await populate_curators(
                build_session_factory(engine),
                emu,
                count=halves[name],
                first_id=firsts[name],
                due=today + timedelta(days=3),
                timezone=zone,
                now=now,
            )
        await engine.dispose()
        both = {
            "MAX_TOKEN": MAX_TOKEN,
            "MAX_API_URL": max_server.url,
            "SEND_RATE": str(rate),
            "MAX_REQUEST_RATE": str(rate),
            "SEND_CONCURRENCY": str(concurrency),
        }
        await asyncio.gather(
            running.spawn("bot-0", **both),
            *(  # one process polls MAX
                running.spawn(f"bot-{n}", **both, MAX_POLLING="false") for n in range(1, processes)
            ),
        )
        tg_chats = [
            telegram.chats.get(i)
            for i in range(firsts["telegram"], firsts["telegram"] + halves["telegram"])
        ]
        max_chats = [max_emu.chats[c] for c in max_emu.bots[MAX_TOKEN].dialogs.values()]

        def tg_counts() -> list[int]:
            return [
                _reminders(c.log, lambda e: e["message"].get("text", "")) if c else 0
                for c in tg_chats
            ]

        def max_counts() -> list[int]:
            return [
                _reminders(c.log, lambda e: e["message"]["body"].get("text") or "")
                for c in max_chats
            ]

        await _settle(lambda: sum(tg_counts()) + sum(max_counts()), count, running.database_url)
        received = {"telegram": tg_counts(), "max": max_counts()}
        outbox = await _outbox(running.database_url)
    stats = {"telegram": telegram.stats.rate_limited, "max": max_emu.stats.rate_limited}
    requests = {"telegram": sent["telegram"], "max": sent["max requests"]}
    return [
        replace(
            _result(
                name, halves[name], sent[name], requests[name], received[name], stats[name], rate
            ),
            outbox=outbox.get(name, {}),
        )
        for name in ("telegram", "max")
    ]


async def _outbox(url: str) -> dict[str, dict[str, int]]:
    """Outbox rows by messenger and status, and the most frequent error of the unsent."""
    engine = build_engine(url)
    try:
        async with engine.connect() as db:
            rows = await db.execute(
                select(OutboxMessage.messenger, OutboxMessage.status, func.count()).group_by(
                    OutboxMessage.messenger, OutboxMessage.status
                )
            )
            found: dict[str, dict[str, int]] = {}
            for messenger, status, count in rows:
                found.setdefault(messenger, {})[str(status)] = count
            errors = await db.execute(
                select(OutboxMessage.messenger, OutboxMessage.last_error, func.count())
                .where(OutboxMessage.status != OutboxStatus.SENT)
                .group_by(OutboxMessage.messenger, OutboxMessage.last_error)
            )
            for messenger, error, count in errors:
                found.setdefault(messenger, {})[f"error: {error}"[:120]] = count
    finally:
        await engine.dispose()
    return found


def _result(
    name: str,
    reminders: int,
    moments: list[float],
    requests: list[float],
    received: list[int],
    rate_limited: int,
    limit: float,
) -> Result:
    seconds = max(moments[-1] - moments[0], 1e-6) if moments else 0.0
    window = [m for m in requests if moments and moments[0] <= m <= moments[-1]]
    return Result(
        messenger=name,
        reminders=reminders,
        seconds=round(seconds, 2),
        # The opening burst (the budget's `limit` cells at once) is not part of the rate.
        sends_per_second=round(max(len(moments) - int(limit), 0) / seconds, 2) if seconds else 0.0,
        busiest_per_second=round(_busiest(moments), 2),
        requests_per_second=round(len(window) / seconds, 2) if seconds else 0.0,
        limit=limit,
        rate_limited=rate_limited,
        lost=sum(1 for n in received if n == 0),
        doubled=sum(n - 1 for n in received if n > 1),
        outbox={},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="reminders in all (half each)")
    parser.add_argument("--small", action="store_true", help="300 reminders: a quick check")
    parser.add_argument("--rate", type=float, default=30.0, help="each bot's limit per second")
    parser.add_argument("--processes", type=int, default=2, help="bot processes (1 or more)")
    parser.add_argument("--latency", type=float, default=0.0, help="ms each answer takes")
    parser.add_argument("--concurrency", type=int, default=8, help="SEND_CONCURRENCY")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    reason = missing_servers()
    if reason:
        raise SystemExit(reason)
    count = 300 if args.small else args.count
    results = asyncio.run(
        run(count, args.rate, args.processes, args.latency / 1000, args.concurrency)
    )
    if args.json:
        found = {
            "processes": args.processes,
            "latency_ms": args.latency,
            "concurrency": args.concurrency,
            "reminders": count,
            "messengers": [asdict(r) for r in results],
        }
        print(json.dumps(found))
        return
    print(
        f"{count} reminders, {args.processes} process(es) sharing pacing over Redis, "
        f"limits {args.rate:g}/s, answers {args.latency:g} ms, "
        f"{args.concurrency} chat(s) at once per lane"
    )
    for r in results:
        what = "requests" if r.messenger == "max" else "messages"
        print(
            f"{r.messenger:8}: {r.reminders} in {r.seconds:.1f} s: {r.sends_per_second:.1f} "
            f"messages/s (x{r.sends_per_second / r.limit:.2f} of {r.limit:.0f} {what}/s), "
            f"busiest {WINDOW:.0f} s {r.busiest_per_second:.1f}/s, all requests "
            f"{r.requests_per_second:.1f}/s; 429: {r.rate_limited}; lost {r.lost}, "
            f"doubled {r.doubled}"
        )
        print(f"{'':10}outbox at the end: {r.outbox}")


if __name__ == "__main__":
    main()
