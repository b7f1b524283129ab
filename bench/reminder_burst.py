"""Benchmark: a burst of reminders through the emulator with Telegram's limits.

Prints the achieved send rate as a share of the allowed global rate (goal >= 0.95) and the
number of 429 answers (goal 0). A second, smaller burst with the limits switched off is the
baseline of what the sender could do without Telegram's limits, measured in the same run.

    python bench/reminder_burst.py [--count 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

# The population helper lives with the tests; run from anywhere.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import Application
from bot.pacing import PaceLimits
from bot.settings import Settings
from core.clock import ManualClock
from emulator import Emulator, EmulatorServer, RateLimits
from tests.cluster import populate_curators

TOKEN = "123456789:AAE-bench-token"
DUE = date(2020, 11, 10)
MOMENT = datetime(2020, 11, 3, 4, 0, tzinfo=UTC)  # 09:00 in Asia/Yekaterinburg, 7 days before


async def _burst(count: int, limited: bool, first_id: int) -> tuple[float, dict[str, int]]:
    emu = Emulator(RateLimits() if limited else RateLimits.off())
    emu.add_bot(TOKEN, "kurator_bench_bot")
    with tempfile.TemporaryDirectory() as folder:
        async with EmulatorServer(emu) as server:
            settings = Settings(
                bot_token=TOKEN,
                telegram_api_url=server.url,
                scheduler_enabled=False,
                database_url=f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}",
                _env_file=None,
            )
            clock = ManualClock(MOMENT)
            app = Application(settings, clock)
            if not limited:
                app.pacer.configure(
                    PaceLimits(
                        global_per_second=1e6,
                        global_burst=10**6,
                        private_per_second=1e6,
                        private_burst=10**6,
                    )
                )
            await app.prepare()
            await populate_curators(
                app.session_factory,
                emu,
                count=count,
                first_id=first_id,
                due=DUE,
                timezone="Asia/Yekaterinburg",
                now=MOMENT,
                expected_result=None,
            )
            await app.reminders.plan()
            started = time.perf_counter()
            sent = await app.reminders.sender.drain()
            elapsed = time.perf_counter() - started
            await app.bot.session.close()
            await app.engine.dispose()
    assert sent == count, (sent, count)
    return elapsed, {
        "rate_limited": emu.stats.rate_limited,
        "early_retries": emu.stats.early_retries,
    }


async def main(count: int) -> None:
    base_count = max(count // 6, 100)
    base_time, _ = await _burst(base_count, limited=False, first_id=500_000_000)
    base_rate = base_count / base_time
    elapsed, stats = await _burst(count, limited=True, first_id=600_000_000)
    rate = count / elapsed
    allowed = RateLimits().global_per_second or 30.0
    print(f"reminders sent: {count} in {elapsed:.1f} s")
    print(f"achieved rate / allowed rate: {rate / allowed:.3f}  (goal >= 0.95)")
    print(
        f"429 answers: {stats['rate_limited']}  (goal 0); early retries: {stats['early_retries']}"
    )
    capacity = base_rate / allowed
    print(f"sender capacity without limits / allowed: {capacity:.1f}  (baseline: {base_count})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    asyncio.run(main(parser.parse_args().count))
