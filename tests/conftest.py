"""Shared fixtures: a clock, a database file migrated to head, the emulator and the running bot."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.settings import Settings
from core.clock import ManualClock
from db.engine import build_engine, build_session_factory
from db.migrate import upgrade
from emulator import EmulatorClient, EmulatorServer
from messengers import MAX, TELEGRAM
from tests.harness import TOKEN, World, emulator_server, max_world, running_bot
from tests.moment import listed_moments, set_current, test_moment

# Where a story on the default clock runs in MAX (tests/people.py ON_BOTH): one fixed ordinary
# moment, so the MAX runs are not repeated at CI's moments (the Telegram runs cover those).
MAX_MOMENT = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


@pytest.fixture
def messenger() -> str:
    """The messenger of a story's people: Telegram, unless the story runs on both."""
    return TELEGRAM


@pytest.fixture
def clock(messenger: str) -> ManualClock:
    # The suite's chosen moment, never the real date (CLI subprocesses get it too).
    return ManualClock(MAX_MOMENT if messenger == MAX else test_moment())


# KURATOR_TEST_POSTGRES=postgresql+asyncpg://user:password@host/db runs every test on its own
# fresh PostgreSQL database (created from that server, dropped after); default: a SQLite file.
POSTGRES = os.environ.get("KURATOR_TEST_POSTGRES")


async def _drop_database(admin: AsyncEngine, name: str) -> None:
    # An autovacuum worker may still be on the new database; without pg_signal_backend FORCE
    # cannot end it, so try a few times and leave a stray database rather than fail the test.
    for attempt in range(5):
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            await asyncio.sleep(0.2 * (attempt + 1))
    warnings.warn(f"could not drop the test database {name}", stacklevel=1)


@pytest.fixture
async def blank_db_url(tmp_path) -> AsyncIterator[str]:
    """An empty database (no schema): for the tests of the migrations themselves."""
    async with _fresh_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per worker: each test gets a copy, not 17 migrations."""
    if not POSTGRES:
        path = tmp_path_factory.mktemp("template") / "kurator.sqlite3"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return
    name = f"kurator_tpl_{uuid.uuid4().hex[:16]}"
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_migrate(url))
    yield name
    asyncio.run(_admin(None, drop=name))


@pytest.fixture
async def db_url(tmp_path, migrated_template: str) -> AsyncIterator[str]:
    """A database at head of its own: a copy of the worker's template."""
    if not POSTGRES:
        path = tmp_path / "kurator.sqlite3"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    async with _fresh_database(tmp_path, template=migrated_template) as url:
        yield url


async def _migrate(url: str) -> None:
    engine = build_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _admin(statement: str | None, drop: str | None = None) -> None:
    admin = create_async_engine(POSTGRES or "", isolation_level="AUTOCOMMIT")
    try:
        if statement is not None:
            async with admin.connect() as conn:
                await conn.execute(text(statement))
        if drop is not None:
            await _drop_database(admin, drop)
    finally:
        await admin.dispose()


@asynccontextmanager
async def _fresh_database(tmp_path: Path, template: str | None = None) -> AsyncIterator[str]:
    """A new SQLite file or PostgreSQL database (a template's copy, if given), dropped after."""
    if not POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'kurator.sqlite3'}"
        return
    name = f"kurator_t_{uuid.uuid4().hex[:16]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
        await _drop_database(admin, name)
    finally:
        await admin.dispose()


@pytest.fixture
async def session_factory(db_url) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = build_engine(db_url)
    await upgrade(engine)
    yield build_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def server(clock) -> AsyncIterator[EmulatorServer]:
    # Message dates follow the test clock, so delivery times can be asserted.
    async with emulator_server(now=lambda: clock.now().timestamp()) as srv:
        yield srv


@pytest.fixture
async def client(server) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(server.url, bot_token=TOKEN) as c:
        yield c


@pytest.fixture
def settings(server, db_url) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=False,  # tests tick by hand after moving the clock
        # A loaded test machine must not turn a handler's alert into a message: the early
        # answer has its own tests (tests/e2e/test_region_scale.py).
        callback_answer_seconds=10,
        # Tests move the clock by hours without ticking: the watchdog would tell their admins
        # of reminders waiting. Its own tests turn it on (tests/e2e/test_operations.py).
        watchdog_enabled=False,
        _env_file=None,
    )


@pytest.fixture
async def world(server, client, settings, clock, messenger) -> AsyncIterator[World]:
    if messenger == MAX:
        async with max_world(server, client, settings, clock) as both:
            yield both
        return
    async with running_bot(settings, clock) as app:
        yield World(server=server, client=client, app=app, settings=settings, clock=clock)


def _uses_default_clock(fixtureinfo: object) -> bool:
    defs = getattr(fixtureinfo, "name2fixturedefs", {}).get("clock")
    return defs is not None and len(defs) > 0 and defs[-1].func.__module__ == __name__


@pytest.fixture(autouse=True)
def moment_at(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under KURATOR_TEST_MOMENTS, the moment this run of a time-sensitive test pretends it is."""
    set_current(getattr(request, "param", None))
    yield
    set_current(None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """KURATOR_TEST_MOMENTS: every time-sensitive test once per moment, in one session (the
    multi-process ones, a minute each, at the first moment only)."""
    moments = listed_moments()
    if not moments or "moment_at" not in metafunc.fixturenames:
        return
    cluster = metafunc.definition.get_closest_marker("cluster") is not None
    if metafunc.definition.get_closest_marker("any_moment") is not None:
        return
    if not cluster and not _uses_default_clock(metafunc.definition._fixtureinfo):
        return
    chosen = moments[:1] if cluster else moments
    metafunc.parametrize("moment_at", chosen, ids=[f"at {m}" for m in chosen], indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `moment` every test whose time is the suite's chosen moment (CI varies it), and
    leave out the stories' MAX runs where they would only repeat.

    `moment`: every test on the default `clock` fixture (a module that pins its own clock to a
    date of its plan does not depend on the moment, nor does a story's MAX run, nor a test
    marked `any_moment`) and every multi-process test. A story's MAX run keeps its pinned
    moment, so it runs at the first of KURATOR_TEST_MOMENTS only; and it differs from its
    Telegram run above the database, so on PostgreSQL only the one marked `max_postgres` runs.
    """
    first: str | None = next(iter(listed_moments()), None)
    left_out = []
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        in_max = params.get("messenger") == MAX
        repeated = params.get("moment_at", first) != first
        smoke = item.get_closest_marker("max_postgres") is not None
        if in_max and (repeated or (POSTGRES and not smoke)):
            left_out.append(item)
        if item.get_closest_marker("any_moment") is not None:
            continue  # its outcome cannot depend on the day or the hour: run once
        if (_uses_default_clock(info) and not in_max) or item.get_closest_marker("cluster"):
            item.add_marker(pytest.mark.moment)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
