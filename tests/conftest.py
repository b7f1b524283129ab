"""Shared fixtures: a clock, a database file migrated to head, the emulator and the running bot."""

from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from collections.abc import AsyncIterator
from datetime import UTC, datetime

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
from tests.moment import test_moment

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
async def db_url(tmp_path) -> AsyncIterator[str]:
    if not POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'kurator.sqlite3'}"
        return
    name = f"kurator_t_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `moment` every test whose time is the suite's chosen moment (CI varies it), and
    on PostgreSQL leave out the stories' MAX runs but the smoke one.

    `moment`: every test on the default `clock` fixture (a module that pins its own clock to a
    date of its plan does not depend on the moment, nor does a story's MAX run) and every
    multi-process test. A story's MAX run differs from its Telegram run above the database,
    so on PostgreSQL one (marked `max_postgres`) is enough.
    """
    left_out = []
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.get("clock") if info is not None else None
        default_clock = defs is not None and len(defs) > 0 and defs[-1].func.__module__ == __name__
        callspec = getattr(item, "callspec", None)
        in_max = callspec is not None and callspec.params.get("messenger") == MAX
        if in_max and POSTGRES and not item.get_closest_marker("max_postgres"):
            left_out.append(item)
        if (default_clock and not in_max) or item.get_closest_marker("cluster"):
            item.add_marker(pytest.mark.moment)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]
