"""Several real bot processes behind a round-robin proxy, on private PostgreSQL and Redis servers.

Used by the scale-out tests and by `bench/cluster_throughput.py`. The servers are private (own
data directory, own port) so a test may restart or stop them without touching anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import ShiftedClock
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Account, Activity, Assignment, Membership, Plan, School, User
from emulator import Emulator
from emulator.max import MaxEmulator
from messengers import MAX, TELEGRAM
from tests.moment import clock_env, running_clock

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAE-cluster-token"
REMINDER_HEAD = "Напоминание о сроке"  # the first line of a deadline reminder


def afternoon_zone(now: datetime) -> tuple[str, date]:
    """A fixed-offset zone where it is early afternoon now (no quiet hours), and its date."""
    shift = 14 - now.hour
    shift = shift - 24 if shift > 14 else shift + 24 if shift < -12 else shift
    name = "Etc/GMT" + ("-" if shift > 0 else "+") + str(abs(shift))
    return name, (now + timedelta(hours=shift)).date()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL server binaries, or initdb on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_servers() -> str | None:
    """Why the cluster cannot run here (None when PostgreSQL and Redis are installed)."""
    if postgres_bin() is None:
        return "PostgreSQL server binaries are not installed (apt-get install postgresql)"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (apt-get install redis-server)"
    return None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary directory (trust auth, loopback only)."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        assert self.bin is not None, missing_servers()
        self.dir = Path(tempfile.mkdtemp(prefix="kurator-pg-"))
        self.port = free_port()
        # PostgreSQL refuses to run as root; CI runs as root, developers usually do not.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://kurator@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        assert self.bin is not None
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            user=self.user,
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        data = self.dir / "data"
        if not data.exists():
            self._run("initdb", "-D", str(data), "-U", "kurator", "-A", "trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stop (dropping every connection) and start again on the same port."""
        self.stop()
        self.start()

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A throwaway redis-server without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


class RoundRobinProxy:
    """Forwards each webhook POST to the next live backend, like nginx's upstream round robin.

    A backend that refuses the connection is skipped for that request (proxy_next_upstream);
    when none answers the emulator gets 502 and posts the update again later.
    """

    def __init__(self) -> None:
        self.backends: list[str] = []
        self.served: dict[str, int] = {}
        self.only: str | None = None  # pin every request to one backend (a test's choice)
        self._turn = 0
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=60, sock_connect=2),
        )

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        order = [self.only] if self.only else self._rotation()
        for backend in order:
            try:
                async with self._http.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as answer:
                    payload = await answer.read()
                    self.served[backend] = self.served.get(backend, 0) + 1
                    return web.Response(
                        status=answer.status,
                        body=payload,
                        content_type=answer.content_type,
                    )
            except aiohttp.ClientConnectionError:
                continue  # dead or not yet listening: the next one
        return web.Response(status=502, text="no backend answered")

    def _rotation(self) -> list[str]:
        self._turn += 1
        start = self._turn % max(len(self.backends), 1)
        return self.backends[start:] + self.backends[:start]


@dataclass
class BotProcess:
    """One `python -m bot --webhook` process."""

    name: str
    env: dict[str, str]
    port: int
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "--webhook"),
            env=self.env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            for _ in range(600):
                if self.process.returncode is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.url}/healthz") as answer:
                        if answer.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.name} did not become healthy")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, in-flight work is cut."""
        if self.process is not None and self.alive:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def terminate(self) -> None:
        """SIGTERM: the graceful stop (finish in-flight updates)."""
        if self.process is not None and self.alive:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                await self.kill()
        if self._log is not None:
            self._log.close()


@dataclass
class Cluster:
    """The pieces of one scale-out run, for a test or a benchmark to drive."""

    database_url: str
    redis_url: str
    proxy: RoundRobinProxy
    api_url: str
    folder: Path
    clock: ShiftedClock = field(default_factory=running_clock)  # the moment the test chose
    processes: dict[str, BotProcess] = field(default_factory=dict)

    def env(self, name: str, port: int, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        return {
            **keep,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.api_url,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "WEBHOOK_URL": f"{self.proxy.url}/hook",
            "WEBHOOK_PORT": str(port),
            "WORKER_ID": name,
            "REMINDER_TICK_SECONDS": "5",
            "OUTBOX_CLAIM_SECONDS": "10",
            "EVIDENCE_DIR": str(self.folder / "evidence"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **clock_env(self.clock),  # every process reads the test's moment, not today
            **extra,
        }

    async def spawn(self, name: str, **extra: str) -> BotProcess:
        """Start a bot process and put it behind the proxy."""
        port = free_port()
        process = BotProcess(name, self.env(name, port, **extra), port, self.folder / f"{name}.log")
        await process.start()
        self.processes[name] = process
        self.proxy.backends.append(process.url)
        return process

    async def stop_all(self) -> None:
        await asyncio.gather(*(p.terminate() for p in self.processes.values()))


@contextlib.asynccontextmanager
async def cluster(api_url: str) -> AsyncIterator[tuple[Cluster, PrivatePostgres]]:
    """Private PostgreSQL and Redis, a proxy; the caller spawns the bot processes."""
    postgres, redis = PrivatePostgres(), PrivateRedis()
    proxy = RoundRobinProxy()
    folder = Path(tempfile.mkdtemp(prefix="kurator-cluster-"))
    try:
        await asyncio.to_thread(postgres.start)
        await redis.start()
        await proxy.start()
        running = Cluster(postgres.url, redis.url, proxy, api_url, folder)
        try:
            yield running, postgres
        finally:
            await running.stop_all()
    finally:
        await proxy.stop()
        await redis.stop()
        await asyncio.to_thread(postgres.remove)
        shutil.rmtree(folder, ignore_errors=True)


def register_people(emu: Emulator | MaxEmulator, ids: range) -> dict[int, int]:
    """Each id a person of the emulator who has started its bot; the chat to write to each."""
    if isinstance(emu, MaxEmulator):
        max_bot = next(iter(emu.bots.values()))
        chats = {}
        for i in ids:
            chats[i] = emu.dialog(max_bot, emu.add_user("Куратор", str(i), user_id=i)).chat_id
            max_bot.started_by.add(i)
        return chats
    bot = next(iter(emu.bots.values()))
    for i in ids:
        emu.add_user(f"Куратор {i}", user_id=i)
        bot.started_by.add(i)
    return {i: i for i in ids}


async def populate_curators(
    session_factory: async_sessionmaker[AsyncSession],
    emu: Emulator | MaxEmulator,
    *,
    count: int,
    first_id: int,
    due: date,
    timezone: str,
    now: datetime,
    expected_result: str | None = "Издан приказ",
) -> None:
    """`count` schools with one curator each and one open assignment due on `due`.

    Nothing else is due for them: weekly digests are off, so on any weekday the only
    reminder planned is the one for this assignment. They are people of `emu`'s messenger.
    """
    messenger = MAX if isinstance(emu, MaxEmulator) else TELEGRAM
    async with session_factory() as session, session.begin():
        plan = Plan(
            title=f"Нагрузка {first_id}",
            timezone=timezone,
            settings={},
            created_at=now,
            updated_at=now,
        )
        session.add(plan)
        await session.flush()
        activity = Activity(
            plan_id=plan.id,
            source_key=f"load{first_id}",
            title="Издание приказа",
            due_date=due,
            period_kind="deadline",
            period_flags=[],
            expected_result=expected_result,
            position=0,
        )
        session.add(activity)
        await session.flush()
        for chunk in range(0, count, 500):
            ids = range(first_id + chunk, first_id + min(chunk + 500, count))
            chats = register_people(emu, ids)
            schools = await _insert_ids(
                session,
                School,
                [{"name": f"ОО № {i}", "timezone": timezone, "created_at": now} for i in ids],
            )
            users = await _insert_ids(
                session,
                User,
                [
                    {
                        "full_name": f"Куратор {i}",
                        "settings": {"digest": False},
                        "messenger": messenger,
                        "is_active": True,
                        "started_at": now,
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            await session.execute(
                insert(Account),
                [
                    {"user_id": u, "messenger": messenger, "external_id": i,
                     "chat_id": chats[i], "created_at": now}
                    for u, i in zip(users, ids, strict=True)
                ],
            )  # fmt: skip
            await session.execute(
                insert(Membership),
                [
                    {"user_id": u, "role": Role.CURATOR, "school_id": s, "created_at": now}
                    for u, s in zip(users, schools, strict=True)
                ],
            )
            await session.execute(
                insert(Assignment),
                [
                    {
                        "activity_id": activity.id,
                        "school_id": s,
                        "status": AssignmentStatus.OPEN,
                        "due_date": due,
                        "version": 1,
                        "updated_at": now,
                    }
                    for s in schools
                ],
            )


async def _insert_ids(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    result = await session.execute(insert(model).returning(model.id), rows)
    return list(result.scalars().all())
