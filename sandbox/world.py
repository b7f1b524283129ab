"""The sandbox's world: emulator, the real bot polling it, a database with a plan and people."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy import select

from bot.app import Application
from bot.settings import Settings
from core.clock import ManualClock
from core.invitations import create_invitation
from core.plan_import import attach_school, import_plan
from core.roles import Role
from core.schools import add_school
from db.models import PlanSchool, School
from emulator import Emulator, EmulatorClient, EmulatorServer, FakeUser
from importer.files import load_plan

TOKEN = "700000001:SANDBOX-kurator-local-token_000000000"
USERNAME = "kurator_sandbox_bot"
PLAN_ZONE = "Asia/Yekaterinburg"
WEBAPP_URL = "https://kurator.sandbox/app/"  # what the buttons carry; the page is served locally
DEFAULT_PLAN = Path(__file__).parent / "data" / "seed_001.txt"


@dataclass(frozen=True)
class Persona:
    key: str
    first_name: str
    last_name: str
    role: Role
    school: int | None  # index into the plan's schools
    colour: str


PERSONAS = (
    Persona("coordinator", "Ольга", "Методистова", Role.COORDINATOR, None, "magenta"),
    Persona("curator1", "Алиса", "Кураторова", Role.CURATOR, 0, "green"),
    Persona("curator2", "Борис", "Школьников", Role.CURATOR, 1, "yellow"),
    Persona("observer", "Иван", "Директоров", Role.OBSERVER, 0, "cyan"),
)
SECOND_SCHOOL = ("МБОУ «Школа № 7» г. Москвы", "Europe/Moscow")


class FinishedUpdates(BaseMiddleware):
    """Counts updates the dispatcher has finished, so the sandbox knows when the bot is idle."""

    def __init__(self) -> None:
        self.finished = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        finally:
            self.finished += 1


class SandboxWorld:
    """Everything the terminal chat drives; `start()` builds it, `stop()` tears it down."""

    def __init__(self, plan: Path, db_path: Path, files_dir: Path, start: datetime) -> None:
        self.plan_path = plan
        self.db_path = db_path
        self.files_dir = files_dir
        self.clock = ManualClock(start)
        self.emulator = Emulator(now=lambda: self.clock.now().timestamp())
        self.account = self.emulator.add_bot(TOKEN, USERNAME)
        self._first_update_id = self.account.next_update_id
        self.server = EmulatorServer(self.emulator)
        self.counter = FinishedUpdates()
        self.people: dict[str, FakeUser] = {}
        self.schools: list[str] = []
        self.plan_title = ""
        self._app: Application | None = None
        self._client: EmulatorClient | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def app(self) -> Application:
        assert self._app is not None, "start() first"
        return self._app

    @property
    def client(self) -> EmulatorClient:
        assert self._client is not None, "start() first"
        return self._client

    async def start(self) -> None:
        await self.server.start()
        settings = Settings(
            bot_token=TOKEN,
            bot_username=USERNAME,
            telegram_api_url=self.server.url,
            database_url=f"sqlite+aiosqlite:///{self.db_path}",
            scheduler_enabled=False,  # the sandbox ticks when its clock moves
            evidence_dir=str(self.files_dir / "evidence"),
            polling_timeout=5,
            # The dashboard on a free local port; its links stay valid while the sandbox runs
            # (its clock may be moved by days).
            webapp_url=WEBAPP_URL,
            webhook_host="127.0.0.1",
            webhook_port=0,
            webapp_auth_max_age_seconds=10 * 365 * 24 * 3600,
            _env_file=None,
        )
        self._app = Application(settings, self.clock, outermost=[self.counter])
        self._client = EmulatorClient(self.server.url, bot_token=TOKEN)
        await self._client.__aenter__()
        self._task = asyncio.create_task(self._app.run_polling(handle_signals=False))
        started = asyncio.create_task(self._app.started.wait())
        done, _ = await asyncio.wait({self._task, started}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            started.cancel()
            self._task.result()
        await self._seed()

    async def dashboard_url(self, user_id: int) -> str:
        """The page on this computer, opened as Telegram opens it for `user_id`."""
        data = await self.client.web_app_data(user_id)
        path = self.app.settings.webapp_path()
        return f"http://127.0.0.1:{self.app.web_port}{path}#{data['fragment']}"

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.stop()
        if self._task is not None:
            await asyncio.wait_for(self._task, 30)
        if self._client is not None:
            await self._client.close()
        await self.server.stop()

    async def settle(self, limit: float = 30) -> None:
        """Wait until every update is handled and no delivery is running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        calm = 0
        while loop.time() < deadline:
            total = self.account.next_update_id - self._first_update_id
            if self.counter.finished >= total and not self.app.delivering:
                calm += 1
                if calm >= 3:  # stays idle across a few loop turns: nothing was in flight
                    return
            else:
                calm = 0
            await asyncio.sleep(0.02)

    async def _seed(self) -> None:
        draft = load_plan(self.plan_path.read_bytes(), self.plan_path.name)
        factory = self.app.session_factory
        async with factory() as session, session.begin():
            report = await import_plan(
                session, self.clock, draft, timezone=PLAN_ZONE, source_file=self.plan_path.name
            )
            school_ids = list(
                await session.scalars(
                    select(PlanSchool.school_id)
                    .where(PlanSchool.plan_id == report.plan_id)
                    .order_by(PlanSchool.school_id)
                )
            )
            # The plan's own schools take part as the import made them; a school the demo
            # needs besides joins as `plan attach` makes it, by the import's rule.
            while len(school_ids) < 2:
                name, zone = SECOND_SCHOOL if school_ids else ("МАОУ «СОШ № 21»", PLAN_ZONE)
                school = await add_school(session, self.clock, name=name, timezone=zone)
                await attach_school(session, self.clock, report.plan_id, school.id)
                school_ids.append(school.id)
            self.schools = [
                (await session.get(School, school_id)).name  # type: ignore[union-attr]
                for school_id in school_ids
            ]
            self.plan_title = draft.title
            codes = {}
            for persona in PERSONAS:
                created = await create_invitation(
                    session,
                    self.clock,
                    role=persona.role,
                    school_id=school_ids[persona.school] if persona.school is not None else None,
                )
                codes[persona.key] = created.code
        for persona in PERSONAS:
            person = await self.client.add_user(persona.first_name, persona.last_name)
            await person.send(f"/start {codes[persona.key]}")
            self.people[persona.key] = person
        await self.settle()
