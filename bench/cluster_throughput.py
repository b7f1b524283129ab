"""Benchmark: reminders/s and updates/s of 1 and 2 bot processes on PostgreSQL and Redis.

Each run starts private PostgreSQL and Redis servers, the emulator (Telegram's limits off, so
the bot is what is measured), a round-robin proxy and N `python -m bot --webhook` processes.
Reminders: N curators' due reminders, from the first to the last arrival. Updates: as many
people send /my at once (100 at a time), from the first send to the last answer. The
one-process run is the baseline; the two-process figures are printed as ratios to it.

    python bench/cluster_throughput.py [--reminders 2000] [--updates 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from datetime import timedelta
from pathlib import Path

# The harness lives with the tests; run from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from emulator import Emulator, EmulatorClient, EmulatorServer, FakeUser, RateLimits
from tests.cluster import (
    REMINDER_HEAD,
    TOKEN,
    afternoon_zone,
    cluster,
    missing_servers,
    populate_curators,
)


async def _run(processes: int, reminders: int, updates: int) -> tuple[float, float]:
    emu = Emulator(RateLimits.off())
    emu.add_bot(TOKEN, "kurator_bench_bot")
    async with EmulatorServer(emu) as server, cluster(server.url) as (running, _):
        engine = build_engine(running.database_url)
        await upgrade(engine)
        now = running.clock.now()  # the moment the processes read (tests.moment)
        zone, today = afternoon_zone(now)
        first = 800_000_000
        await populate_curators(
            build_session_factory(engine),
            emu,
            count=reminders,
            first_id=first,
            due=today + timedelta(days=3),
            timezone=zone,
            now=now,
        )
        await engine.dispose()
        ids = range(first, first + reminders)
        await asyncio.gather(
            *(running.spawn(f"bot-{n}", SEND_RATE="5000") for n in range(processes))
        )
        arrivals = await _reminder_arrivals(emu, list(ids))
        reminder_rate = reminders / max(arrivals[-1] - arrivals[0], 1e-6)

        async with EmulatorClient(server.url, bot_token=TOKEN) as client:
            people = [
                FakeUser(client, {"id": i, "first_name": "Куратор"}, timeout=120)
                for i in list(ids)[:updates]
            ]
            for person in people:  # answers already in the chat are not the ones we wait for
                person.cursors[(person.id, "new")] = len(emu.chats[person.id].log)
            gate = asyncio.Semaphore(100)

            async def ask(person: FakeUser) -> None:
                async with gate:
                    await person.send("/my")
                    await person.expect_reply()

            started = time.perf_counter()
            await asyncio.gather(*(ask(p) for p in people))
            update_rate = len(people) / (time.perf_counter() - started)
    return reminder_rate, update_rate


async def _reminder_arrivals(emu: Emulator, ids: list[int]) -> list[float]:
    seen: dict[int, float] = {}
    while len(seen) < len(ids):
        for i in ids:
            chat = emu.chats.get(i)
            if (
                i not in seen
                and chat
                and any(REMINDER_HEAD in e["message"].get("text", "") for e in chat.log)
            ):
                seen[i] = time.perf_counter()
        async with emu.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(emu.changed.wait(), 0.2)
    return sorted(seen.values())


async def main(reminders: int, updates: int) -> None:
    reason = missing_servers()
    if reason:
        raise SystemExit(reason)
    results = {n: await _run(n, reminders, updates) for n in (1, 2)}
    base_reminders, base_updates = results[1]
    for n, (rate_r, rate_u) in results.items():
        print(
            f"{n} process(es): reminders {rate_r:7.1f}/s (x{rate_r / base_reminders:.2f}), "
            f"updates {rate_u:7.1f}/s (x{rate_u / base_updates:.2f})"
        )
    print("ratios are to the one-process run measured just before, on the same machine")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main(args.reminders, min(args.updates, args.reminders)))
