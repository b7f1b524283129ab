"""Benchmark: Kurator against a bare aiogram echo bot on the same emulator, alternated.

Each bot runs as its own process polling the emulator (Telegram's limits off, so the bots'
own work is measured; Kurator still paces its sends per chat as Telegram requires). Per round
and bot: start-up to the first answer, resident memory after start, a load of `/my` from 500
curators (throughput and CPU milliseconds of the bot process per update) and a burst of
1,000 button presses, two per curator (p50/p95 time from press to the callback answer, as
the emulator recorded it). The echo bot is the baseline of the same run:
Kurator's figures are printed beside it and as ratios.

    python bench/updates_vs_echo.py [--users 500] [--messages 1] [--presses 2] [--rounds 2]
                                    [--json] [--profile FILE]
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from core.roles import Role  # noqa: E402
from db.engine import build_engine, build_session_factory  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Account, Membership, PlanSchool, School, User  # noqa: E402
from db.status_counts import rebuild  # noqa: E402
from emulator import Emulator, EmulatorClient, EmulatorServer, FakeUser  # noqa: E402
from emulator.ratelimit import RateLimits  # noqa: E402

TOKEN = "123456789:AAE-bench-token_0123456789abcdefghij"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Figures:
    start_s: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    per_second: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)  # seconds from press to answer
    late: int = 0  # answers Telegram would have refused (over 15 s)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.answers) or [0.0]
        return {
            "start_s": statistics.median(self.start_s),
            "rss_mb": statistics.median(self.rss_mb),
            "updates_per_s": statistics.median(self.per_second),
            "cpu_ms_per_update": statistics.median(self.cpu_ms),
            "answer_p50_s": ordered[len(ordered) // 2],
            "answer_p95_s": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
            "answers_too_late": self.late,
        }


def cpu_seconds(pid: int) -> float:
    """CPU time of a process so far (user + system: what time.process_time reads inside it)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def seed(url: str, people: list[dict[str, tuple[int, int]]]) -> None:
    """A plan of 20 activities, a school and a curator for each person (Core inserts); each
    person's accounts: messenger -> (their id there, the chat to write to)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from status_region import NOW, populate  # the region bench's generator, smaller

    engine = build_engine(url)
    await upgrade(engine)
    factory = build_session_factory(engine)
    await populate(factory, len(people), 20)
    async with factory() as session, session.begin():
        schools = list(await session.scalars(select(School.id).order_by(School.id)))
        user_ids = list(
            (
                await session.execute(
                    insert(User).returning(User.id),
                    [
                        {
                            "full_name": f"Куратор {i}",
                            "settings": {},
                            "created_at": NOW,
                            "started_at": NOW,
                        }
                        for i, _ in enumerate(people)
                    ],
                )
            ).scalars()
        )
        await session.execute(
            insert(Account),
            [
                {"user_id": user_id, "messenger": messenger, "external_id": external,
                 "chat_id": chat, "created_at": NOW}
                for user_id, accounts in zip(user_ids, people, strict=True)
                for messenger, (external, chat) in accounts.items()
            ],
        )  # fmt: skip
        await session.execute(
            insert(Membership),
            [
                {"user_id": user_id, "role": Role.CURATOR, "school_id": school, "created_at": NOW}
                for user_id, school in zip(user_ids, schools, strict=False)
            ],
        )
        assert await session.scalar(select(PlanSchool.plan_id).limit(1)) is not None
        await session.run_sync(rebuild)
    await engine.dispose()


async def _first_reply(user: FakeUser, text: str, limit: float = 60.0) -> None:
    await user.send(text)
    user.timeout = limit
    await user.expect_reply()
    user.timeout = 30.0


async def _round(
    name: str,
    command: list[str],
    env: dict[str, str],
    users: list[FakeUser],
    messages: int,
    presses: int,
    figures: Figures,
) -> None:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        await _first_reply(users[0], "/my")
        figures.start_s.append(time.perf_counter() - started)
        figures.rss_mb.append(_rss_mb(process.pid))
        # Messages: every curator sends /my a few times at once.
        cpu = cpu_seconds(process.pid)
        started = time.perf_counter()

        async def chat(user: FakeUser) -> Any:
            for _ in range(messages):
                await user.send("/my")
            last = None
            for _ in range(messages):
                last = await user.expect_reply()
            return last

        lasts = await asyncio.gather(*(chat(u) for u in users))
        wall = time.perf_counter() - started
        count = len(users) * messages
        figures.per_second.append(count / wall)
        figures.cpu_ms.append((cpu_seconds(process.pid) - cpu) * 1000 / count)
        # A burst of presses on the button under each one's last reply.
        ids = await asyncio.gather(
            *(
                user.client.post(
                    f"users/{user.id}/press", {"message_id": last.message_id, "text": "1"}
                )
                for user, last in zip(users, lasts, strict=True)
                for _ in range(presses)
            )
        )
        answers = await asyncio.gather(
            *(users[0].client.get(f"callbacks/{r['callback_query_id']}", wait=40) for r in ids)
        )
        if os.environ.get("BENCH_DEBUG"):
            print(name, answers[:3], answers[-3:], file=sys.stderr)
        for answer in answers:
            if not answer or "seconds" not in answer:
                figures.late += 1
                figures.answers.append(15.0)
            else:
                figures.answers.append(float(answer["seconds"]))
        for user in users:  # what each press sent (a card, "нажато"): the round ends clean
            for _ in range(presses):
                await user.expect_reply()
    finally:
        process.terminate()
        try:
            _, errors = await asyncio.wait_for(process.communicate(), 20)
        except TimeoutError:
            process.kill()
            errors = b""
        if process.returncode not in (0, -15, None):
            sys.stderr.write(errors.decode()[-2000:])
    print(f"  {name}: done", file=sys.stderr)


async def main(
    users_count: int,
    messages: int,
    presses: int,
    rounds: int,
    as_json: bool,
    profile_to: str | None = None,
) -> None:
    profile = ["-m", "cProfile", "-o", profile_to] if profile_to else []
    emu = Emulator(RateLimits.off())
    emu.add_bot(TOKEN, "kurator_bench_bot")
    async with EmulatorServer(emu) as server, EmulatorClient(server.url, bot_token=TOKEN) as client:
        users = [await client.add_user(f"Куратор{i}") for i in range(users_count)]
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            await seed(url, [{"telegram": (u.id, u.id)} for u in users])
            base = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": server.url}
            kurator_env = {
                **base,
                "DATABASE_URL": url,
                "SCHEDULER_ENABLED": "false",
                "SEND_RATE": "10000",  # the emulator's limits are off: measure the work
                "LOG_LEVEL": "WARNING",
            }
            bots = {
                "echo": ([sys.executable, str(ROOT / "bench" / "echo_bot.py")], base),
                "kurator": ([sys.executable, *profile, "-m", "bot"], kurator_env),
            }
            results = {name: Figures() for name in bots}
            for _ in range(rounds):
                for name, (command, env) in bots.items():
                    await _round(name, command, env, users, messages, presses, results[name])
    echo, kurator = results["echo"].summary(), results["kurator"].summary()
    figures = {
        **{f"echo_{k}": round(v, 4) for k, v in echo.items()},
        **{f"kurator_{k}": round(v, 4) for k, v in kurator.items()},
        "throughput_vs_echo": round(kurator["updates_per_s"] / echo["updates_per_s"], 3),
        "cpu_vs_echo": round(kurator["cpu_ms_per_update"] / echo["cpu_ms_per_update"], 2),
        "rss_over_echo_mb": round(kurator["rss_mb"] - echo["rss_mb"], 1),
        "start_over_echo_s": round(kurator["start_s"] - echo["start_s"], 2),
    }
    if as_json:
        print(json.dumps(figures))
        return
    print(f"{users_count} curators x {messages} /my, then {users_count * presses} presses; "
          f"{rounds} rounds, medians")  # fmt: skip
    print(f"{'':22}{'echo':>10}{'kurator':>10}")
    for key, label in (
        ("start_s", "start to 1st answer, s"),
        ("rss_mb", "RSS after start, MB"),
        ("updates_per_s", "updates per second"),
        ("cpu_ms_per_update", "CPU ms per update"),
        ("answer_p50_s", "press answer p50, s"),
        ("answer_p95_s", "press answer p95, s"),
        ("answers_too_late", "answers over 15 s"),
    ):
        print(f"{label:22}{echo[key]:>10.2f}{kurator[key]:>10.2f}")
    print(
        f"throughput {figures['throughput_vs_echo']:.3f} x echo; CPU per update "
        f"{figures['cpu_vs_echo']:.1f} x echo; RSS echo + {figures['rss_over_echo_mb']:.0f} MB; "
        f"start-up echo + {figures['start_over_echo_s']:.1f} s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--messages", type=int, default=1)
    parser.add_argument("--presses", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument("--profile", metavar="FILE", help="cProfile Kurator's process into FILE")
    args = parser.parse_args()
    asyncio.run(main(args.users, args.messages, args.presses, args.rounds, args.json, args.profile))
