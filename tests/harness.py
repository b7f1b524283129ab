"""Test harness: emulator server, a migrated database, the real bot polling, and fake people."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot.app import Application
from bot.settings import Settings
from core.clock import Clock, ManualClock
from core.invitations import create_invitation
from core.roles import Role
from core.schools import add_school
from emulator import Emulator, EmulatorClient, EmulatorServer, FakeUser, RateLimits
from emulator.max import MaxEmulatorClient, MaxFakeUser
from messengers import MAX, TELEGRAM
from tests.max_harness import MAX_BOT_USERNAME, MAX_TOKEN, max_server
from tests.moment import clock_env, test_moment

if TYPE_CHECKING:
    from tests.people import Person, Said

TOKEN = "123456789:AAE-kurator-test-token_0123456789abcdef"
BOT_USERNAME = "kurator_test_bot"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class World:
    """Everything an end-to-end test touches."""

    server: EmulatorServer
    client: EmulatorClient
    app: Application
    settings: Settings
    clock: Clock
    # The story's messenger: `participant` makes people there (MAX: `max` is its emulator).
    messenger: str = TELEGRAM
    max: MaxEmulatorClient | None = None

    async def person(self, first_name: str, last_name: str | None = None) -> FakeUser:
        """A person in Telegram."""
        return await self.client.add_user(first_name, last_name)

    async def participant(self, first_name: str, last_name: str | None = None) -> Person:
        """A person in the story's messenger."""
        if self.messenger == MAX:
            assert self.max is not None
            return await self.max.add_user(first_name, last_name)
        return await self.person(first_name, last_name)

    async def member(
        self, name: str, role: Role, school_id: int | None = None, last_name: str | None = None
    ) -> Person:
        """A person in the story's messenger who has joined by an invitation to `role`."""
        person = await self.participant(name, last_name)
        await person.join(await self.invite(role, school_id))
        await person.expect_reply()
        return person

    async def linked_in_max(self, person: FakeUser) -> MaxFakeUser:
        """The person's own MAX account, joined to them by /connect's one-time link."""
        assert self.max is not None
        await person.send("/connect")
        code = (await person.expect_reply("/connect ")).text.split("/connect ")[1].split()[0]
        there = await self.max.add_user(person.profile["first_name"])
        await there.start(f"link-{code}")
        await there.expect_reply("учётные записи связаны")
        return there

    async def received(self, person: Person) -> list[tuple[datetime, str]]:
        """(moment, text) of every new message the bot sent the person, in their messenger."""
        if isinstance(person, MaxFakeUser):
            assert self.max is not None
            events = await self.max.log(await person.dialog())
            return [
                (_moment(e["message"]["timestamp"] / 1000), e["message"]["body"]["text"] or "")
                for e in events
                if e["kind"] == "new"
            ]
        return [
            (_moment(e["message"]["date"]), e["message"].get("text", ""))
            for e in await self.client.log(person.id)
            if e["kind"] == "new"
        ]

    async def file_of(self, message: Said) -> bytes:
        """The bytes of the (one) file or picture a bot message carries, as its reader gets them."""
        if "body" in message.raw:  # MAX: files are fetched from their URL
            assert self.max is not None
            (attachment,) = [
                a for a in message.raw["body"]["attachments"] if a["type"] in ("file", "image")
            ]
            async with self.max.http.get(attachment["payload"]["url"]) as response:
                return await response.read()
        raw = message.raw
        file_id = raw["document"]["file_id"] if "document" in raw else raw["photo"][-1]["file_id"]
        return bytes(self.server.emulator.files[file_id].data)

    async def add_school(
        self, name: str, timezone: str | None = "Asia/Yekaterinburg", short_name: str | None = None
    ) -> int:
        """Add a school in-process (the CLI path has its own tests)."""
        async with self.app.session_factory() as session, session.begin():
            school = await add_school(
                session, self.clock, name=name, short_name=short_name, timezone=timezone
            )
        return school.id

    async def invite(
        self,
        role: Role,
        school_id: int | None = None,
        *,
        uses: int = 1,
        ttl: timedelta = timedelta(days=14),
    ) -> str:
        """Create an invitation in-process and return its code."""
        async with self.app.session_factory() as session, session.begin():
            created = await create_invitation(
                session, self.clock, role=role, school_id=school_id, ttl=ttl, max_uses=uses
            )
        return created.code

    async def cli(self, *args: str, check: bool = True) -> CliResult:
        """Run `python -m bot ARGS` against this world's database and emulator."""
        return await run_cli(self.settings, *args, check=check, clock=self.clock)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def cli_env(settings: Settings, clock: Clock | None = None) -> dict[str, str]:
    """The environment of a CLI or bot subprocess: this test's database, emulator and time."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "MAX_"))
    }
    env.update(DATABASE_URL=settings.database_url, LOG_LEVEL="WARNING")
    env.update(clock_env(clock or ManualClock(test_moment())))
    if settings.bot_token is not None:
        env["BOT_TOKEN"] = settings.bot_token.get_secret_value()
    if settings.telegram_api_url:
        env["TELEGRAM_API_URL"] = settings.telegram_api_url
    if settings.max_token is not None:
        env["MAX_TOKEN"] = settings.max_token.get_secret_value()
    if settings.max_api_url:
        env["MAX_API_URL"] = settings.max_api_url
    if settings.max_bot_username:
        env["MAX_BOT_USERNAME"] = settings.max_bot_username
    return env


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(
    settings: Settings,
    *args: str,
    check: bool = True,
    stdin: str | None = None,
    clock: Clock | None = None,
) -> CliResult:
    """Run the CLI in a subprocess without blocking the loop (the emulator lives in it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=cli_env(settings, clock),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), 120)
    result = CliResult(process.returncode or 0, out.decode(), err.decode())
    if check and result.returncode != 0:
        raise AssertionError(f"CLI failed ({result.returncode}): {result.stderr}")
    return result


@contextlib.asynccontextmanager
async def emulator_server(
    limits: RateLimits | None = None, now: Callable[[], float] | None = None
) -> AsyncIterator[EmulatorServer]:
    emu = Emulator(limits, now=now) if now else Emulator(limits)
    emu.add_bot(TOKEN, BOT_USERNAME)
    async with EmulatorServer(emu) as server:
        yield server


@contextlib.asynccontextmanager
async def max_world(
    server: EmulatorServer, client: EmulatorClient, settings: Settings, clock: Clock, **extra: Any
) -> AsyncIterator[World]:
    """One process serving Telegram's emulator and MAX's, its stories' people in MAX."""
    async with (
        max_server(clock=clock) as mserver,
        MaxEmulatorClient(mserver.url, bot_token=MAX_TOKEN) as mclient,
    ):
        two = settings.model_copy(
            update={
                "max_token": SecretStr(MAX_TOKEN),
                "max_api_url": mserver.url,
                "max_bot_username": MAX_BOT_USERNAME,
                "bot_username": BOT_USERNAME,
                **extra,
            }
        )
        async with running_bot(two, clock) as app:
            yield World(server, client, app, two, clock, MAX, mclient)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, clock: Clock) -> AsyncIterator[Application]:
    """The real application polling the emulator until the block ends."""
    app = Application(settings, clock)
    task = asyncio.create_task(app.run_polling(handle_signals=False))
    started = asyncio.create_task(app.started.wait())
    done, _ = await asyncio.wait({task, started}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        started.cancel()
        task.result()  # re-raise the start-up failure
    if started not in done:
        task.cancel()
        raise TimeoutError("bot did not start")
    try:
        yield app
    finally:
        await app.stop()
        await asyncio.wait_for(task, 30)
