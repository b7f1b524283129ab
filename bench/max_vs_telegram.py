"""Benchmark: CPU per update in MAX against Telegram, one Kurator process serving both.

One `python -m bot` process polls the Telegram and the MAX emulators (limits off: the work is
measured, not the waiting). Every curator has an account in each messenger; a round sends
`/my` from every curator through one messenger and waits for every answer, then the same
through the other, alternating which goes first. The bot process's CPU time (user + system,
what time.process_time reads inside it) per update is compared: Telegram is the baseline of
the same run, MAX's figure is printed as a ratio to it (goal <= 1.10).

    python bench/max_vs_telegram.py [--users 300] [--rounds 3] [--json] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from updates_vs_echo import cpu_seconds, seed  # noqa: E402

from emulator import Emulator, EmulatorClient, EmulatorServer, FakeUser, RateLimits  # noqa: E402
from emulator.max import (  # noqa: E402
    MaxEmulator,
    MaxEmulatorClient,
    MaxEmulatorServer,
    MaxFakeUser,
    MaxRateLimits,
)
from messengers import MAX, TELEGRAM  # noqa: E402
from tests.cluster import register_people  # noqa: E402

TOKEN = "123456789:AAE-bench-token_0123456789abcdefghij"
MAX_TOKEN = "max-kurator-bench-token-0123456789abcdef"
FIRST_ID = 700_000_000


async def _ask_all(people: Sequence[FakeUser | MaxFakeUser]) -> None:
    """Every person sends /my at once (100 in flight) and gets the answer."""
    gate = asyncio.Semaphore(100)

    async def ask(person: FakeUser | MaxFakeUser) -> None:
        async with gate:
            await person.send("/my")
            await person.expect_reply()

    await asyncio.gather(*(ask(p) for p in people))


async def _measure(pid: int, work: Callable[[], Awaitable[None]], updates: int) -> float:
    """CPU milliseconds of process `pid` per update while `work` runs."""
    before = cpu_seconds(pid)
    await work()
    return (cpu_seconds(pid) - before) * 1000 / updates


async def run(users: int, rounds: int, profile_to: str | None = None) -> dict[str, Any]:
    telegram, max_emu = Emulator(RateLimits.off()), MaxEmulator(MaxRateLimits.off())
    telegram.add_bot(TOKEN, "kurator_bench_bot")
    max_emu.add_bot(MAX_TOKEN, "kurator_bench_bot")
    ids = range(FIRST_ID, FIRST_ID + users)
    tg_chats, max_chats = register_people(telegram, ids), register_people(max_emu, ids)
    async with (
        EmulatorServer(telegram) as tg_server,
        MaxEmulatorServer(max_emu) as max_server,
        EmulatorClient(tg_server.url, bot_token=TOKEN) as tg_client,
        MaxEmulatorClient(max_server.url, bot_token=MAX_TOKEN) as max_client,
    ):
        people: dict[str, list[Any]] = {
            TELEGRAM: [
                FakeUser(tg_client, {"id": i, "first_name": "Куратор"}, timeout=120) for i in ids
            ],
            MAX: [
                MaxFakeUser(max_client, {"user_id": i}, timeout=120, dialog_id=max_chats[i])
                for i in ids
            ],
        }
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            await seed(url, [{TELEGRAM: (i, tg_chats[i]), MAX: (i, max_chats[i])} for i in ids])
            env = {
                **os.environ,
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": tg_server.url,
                "MAX_TOKEN": MAX_TOKEN,
                "MAX_API_URL": max_server.url,
                "DATABASE_URL": url,
                "SCHEDULER_ENABLED": "false",
                "SEND_RATE": "100000",  # the emulators' limits are off: measure the work
                "MAX_REQUEST_RATE": "100000",
                "LOG_LEVEL": "WARNING",
            }
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *(["-m", "cProfile", "-o", profile_to] if profile_to else []),
                *("-m", "bot"),
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                for name in (TELEGRAM, MAX):  # start-up and first imports are not measured
                    await _ask_all(people[name][:1])
                cpu: dict[str, list[float]] = {TELEGRAM: [], MAX: []}
                wall: dict[str, list[float]] = {TELEGRAM: [], MAX: []}
                for round_ in range(rounds):
                    order = (TELEGRAM, MAX) if round_ % 2 == 0 else (MAX, TELEGRAM)
                    for name in order:
                        started = time.perf_counter()
                        cpu[name].append(
                            await _measure(process.pid, partial(_ask_all, people[name]), users)
                        )
                        wall[name].append(users / (time.perf_counter() - started))
            finally:
                process.terminate()
                await process.wait()
    tg, mx = statistics.median(cpu[TELEGRAM]), statistics.median(cpu[MAX])
    return {
        "users": users,
        "rounds": rounds,
        "telegram_cpu_ms_per_update": round(tg, 3),
        "max_cpu_ms_per_update": round(mx, 3),
        "max_vs_telegram_cpu": round(mx / tg, 3),
        "telegram_updates_per_s": round(statistics.median(wall[TELEGRAM]), 1),
        "max_updates_per_s": round(statistics.median(wall[MAX]), 1),
        "cpu_ms_per_round": {k: [round(v, 3) for v in vs] for k, vs in cpu.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--profile", metavar="FILE", help="cProfile Kurator's process into FILE")
    args = parser.parse_args()
    found = asyncio.run(run(args.users, args.rounds, args.profile))
    if args.json:
        print(json.dumps(found))
        return
    print(f"{args.users} curators send /my in each messenger, {args.rounds} rounds, medians")
    print(
        f"CPU per update: Telegram {found['telegram_cpu_ms_per_update']:.2f} ms, "
        f"MAX {found['max_cpu_ms_per_update']:.2f} ms: MAX x{found['max_vs_telegram_cpu']:.3f} "
        "of Telegram (goal <= 1.10)"
    )
    print(
        f"updates per second: Telegram {found['telegram_updates_per_s']}, "
        f"MAX {found['max_updates_per_s']}"
    )


if __name__ == "__main__":
    main()
