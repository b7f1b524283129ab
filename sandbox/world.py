"""The sandbox's world: the emulators, the real bot polling them, a database with a plan and
people, each in Telegram or MAX (`--messenger`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.app import Application
from bot.settings import Settings
from core.accounts import LINK_PREFIX, chat_in, new_link_code, user_id_of
from core.clock import ManualClock
from core.instance import keep_sandbox_clock, keep_sandbox_person, sandbox_person
from core.invitations import create_invitation
from core.plan_import import attach_school
from core.roles import Role
from core.schools import add_school
from db.models import Plan, PlanSchool, School
from importer.files import ImportFileError, load_plan
from messengers import MAX, TELEGRAM
from sandbox.cast import cast
from sandbox.chats import Chat, Event
from sandbox.lines import LINES, Line
from sandbox.render import html_to_plain

PLAN_ZONE = "Asia/Yekaterinburg"
WEBAPP_URL = "https://kurator.sandbox/app/"  # what the buttons carry; the page is served locally
DEFAULT_PLAN = Path(__file__).parent / "data" / "seed_001.txt"


def plan_start(plan: Path) -> datetime:
    """09:00 on the first Monday of November of the plan's school year (2 November 2020 for
    the seed plan): a month of work ahead, whichever year the plan is for."""
    try:
        year = load_plan(plan.read_bytes(), plan.name).academic_year
    except (ImportFileError, OSError):
        year = None  # the world says why when it imports the file
    first = date(year or 2020, 11, 1)
    monday = first + timedelta(days=-first.weekday() % 7)
    return datetime.combine(monday, time(9), ZoneInfo(PLAN_ZONE))


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

    def __init__(
        self, plan: Path, db_path: Path, files_dir: Path, start: datetime, messenger: str = TELEGRAM
    ) -> None:
        self.plan_path = plan
        self.db_path = db_path
        self.files_dir = files_dir
        self.clock = ManualClock(start)
        self.messenger = messenger  # telegram | max | both
        self.where = cast(messenger)  # persona key -> the messenger they use
        # One emulator per messenger anyone uses, in a fixed order (Telegram first).
        self.lines: dict[str, Line] = {
            name: LINES[name](self.clock) for name in (TELEGRAM, MAX) if name in self.where.values()
        }
        self.counter = FinishedUpdates()
        self.people: dict[str, Chat] = {}
        self.schools: list[str] = []
        self.plan_title = ""
        self.resumed = False  # the database held the plan already: nothing was imported
        self.import_log: list[Event] = []  # the coordinator's import, from the preview on
        self._app: Application | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def app(self) -> Application:
        assert self._app is not None, "start() first"
        return self._app

    async def start(self) -> None:
        served: dict[str, Any] = {}
        for line in self.lines.values():
            served |= await line.start()
        settings = Settings(
            **served,
            database_url=f"sqlite+aiosqlite:///{self.db_path}",
            scheduler_enabled=False,  # the sandbox ticks when its clock moves
            watchdog_enabled=False,  # its clock jumps by days: nothing for operators to watch
            evidence_dir=str(self.files_dir / "evidence"),
            polling_timeout=5,
            # The dashboard on a free local port; its links stay valid while the sandbox runs
            # (its clock may be moved by days).
            webapp_url=WEBAPP_URL,
            webhook_host="127.0.0.1",
            webhook_port=0,
            webapp_auth_max_age_seconds=10 * 365 * 24 * 3600,
            default_timezone=PLAN_ZONE,  # a plan imported in chat takes the instance's zone
            _env_file=None,
        )
        self._app = Application(settings, self.clock, outermost=[self.counter])
        self._task = asyncio.create_task(self._app.run_polling(handle_signals=False))
        started = asyncio.create_task(self._app.started.wait())
        done, _ = await asyncio.wait({self._task, started}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            started.cancel()
            self._task.result()
        await self._seed()
        await self.keep_clock()

    async def keep_clock(self) -> None:
        """Record the clock in the database: the command line on it takes the sandbox's time."""
        async with self.app.session_factory() as session, session.begin():
            await keep_sandbox_clock(session, self.clock.now())

    async def dashboard_url(self, key: str) -> str:
        """The page on this computer, opened as the person's messenger opens it for them."""
        fragment = await self.people[key].launch_fragment()
        path = self.app.settings.webapp_path()
        return f"http://127.0.0.1:{self.app.web_port}{path}#{fragment}"

    async def stop(self) -> None:
        if self._app is not None:
            await self._app.stop()
        if self._task is not None:
            await asyncio.wait_for(self._task, 30)
        for line in self.lines.values():
            await line.stop()

    async def settle(self, limit: float = 30) -> None:
        """Wait until every update is handled and no delivery is running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        calm = 0
        while loop.time() < deadline:
            total = sum(line.updates() for line in self.lines.values())
            if self.counter.finished >= total and not self.app.delivering:
                calm += 1
                if calm >= 3:  # stays idle across a few loop turns: nothing was in flight
                    return
            else:
                calm = 0
            await asyncio.sleep(0.02)

    async def _seed(self) -> None:
        """The coordinator joins and, on a new database, imports the plan in chat as anyone
        would; the rest join the plan's schools. A resumed database keeps its plan untouched."""
        try:
            draft = load_plan(self.plan_path.read_bytes(), self.plan_path.name)
        except ImportFileError as exc:  # what the bot would answer to this file in chat
            raise PlanRefused(html_to_plain(texts.import_file_error(exc.code, exc.rows))) from None
        self.plan_title = draft.title
        for persona in PERSONAS:  # in this order every time: a resumed database knows the ids
            line = self.lines[self.where[persona.key]]
            self.people[persona.key] = await line.person(persona.first_name, persona.last_name)
        coordinator = PERSONAS[0]
        await self._join(coordinator, None)
        async with self.app.session_factory() as session:
            plan = await _stored_plan(session, draft.title)
        self.resumed = plan is not None
        if plan is None:
            await self._import_in_chat()
            async with self.app.session_factory() as session:
                plan = await _stored_plan(session, draft.title)
            if plan is None:
                said = [html_to_plain(e.message.html) for e in self.import_log]
                raise PlanRefused("\n".join(said) or "бот не ответил на файл плана")
        async with self.app.session_factory() as session, session.begin():
            school_ids = list(
                await session.scalars(
                    select(PlanSchool.school_id)
                    .where(PlanSchool.plan_id == plan.id)
                    .order_by(PlanSchool.school_id)
                )
            )
            # The plan's own schools take part as the import made them; a school the demo
            # needs besides joins as `plan attach` makes it, by the import's rule.
            while len(school_ids) < 2:
                name, zone = SECOND_SCHOOL if school_ids else ("МАОУ «СОШ № 21»", PLAN_ZONE)
                school = await add_school(session, self.clock, name=name, timezone=zone)
                await attach_school(session, self.clock, plan.id, school.id)
                school_ids.append(school.id)
            self.schools = [
                (await session.get(School, school_id)).name  # type: ignore[union-attr]
                for school_id in school_ids
            ]
        for persona in PERSONAS[1:]:
            await self._join(
                persona, school_ids[persona.school] if persona.school is not None else None
            )

    async def _join(self, persona: Persona, school_id: int | None) -> None:
        """The person opens a real invitation link (on a resumed database: knows them again).

        Resumed in another messenger, the character is the same person: their new account is
        joined to them by a /connect link first, as a person would, not made a stranger."""
        chat = self.people[persona.key]
        async with self.app.session_factory() as session, session.begin():
            known = await sandbox_person(session, persona.key)
            if known is not None and await chat_in(session, known, chat.messenger) is None:
                link = await new_link_code(session, self.clock, known)
            else:
                link = None
            created = await create_invitation(
                session, self.clock, role=persona.role, school_id=school_id
            )
        if link is not None:
            await chat.join(f"{LINK_PREFIX}{link}")
            await self.settle()
        await chat.join(created.code)
        await self.settle()
        async with self.app.session_factory() as session, session.begin():
            user_id = await user_id_of(session, chat.messenger, chat.account)
            if user_id is not None:
                await keep_sandbox_person(session, persona.key, user_id)

    async def _import_in_chat(self) -> None:
        """Send the plan file as the coordinator and confirm the preview, as in chat; the
        conversation from the preview on is kept to be shown (flagged rows and their dates)."""
        coordinator = self.people[PERSONAS[0].key]
        before = await coordinator.log()
        cursor = before[-1].seq if before else 0
        await coordinator.send_files([self.plan_path], "document")
        await self.settle()
        said = await coordinator.log(cursor)
        previews = [e.message for e in said if texts.IMPORT_CONFIRM in e.message.buttons]
        if not previews:
            self.import_log = said
            return
        await coordinator.press(texts.IMPORT_CONFIRM, previews[-1])
        await self.settle()
        # From the preview on, as it now stands (its buttons gone): what the coordinator read.
        self.import_log = [
            e
            for e in await coordinator.log(cursor)
            if e.kind != "new" or e.message.id != previews[-1].id
        ]


class PlanRefused(Exception):
    """The plan file was not taken; the message is what the bot said of it."""


async def _stored_plan(session: AsyncSession, title: str) -> Plan | None:
    return await session.scalar(select(Plan).where(Plan.title == title, Plan.archived_at.is_(None)))
