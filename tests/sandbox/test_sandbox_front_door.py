"""The sandbox as the front door (issue 28): bad presses, the world an import builds, resumes."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from db.models import Activity, Assignment, School
from sandbox.session import Sandbox
from sandbox.world import DEFAULT_PLAN, PLAN_ZONE, SECOND_SCHOOL, SandboxWorld
from tests.harness import run_cli
from tests.plan_files import seed_path

START = datetime(2020, 11, 2, 9, 0, tzinfo=ZoneInfo(PLAN_ZONE))


Item = tuple[str, str | None, str, str | None]  # row, school, status, due


async def items(factory: async_sessionmaker[AsyncSession]) -> list[Item]:
    """Every assignment by its row's stable key and its school's name."""
    async with factory() as session:
        rows = await session.execute(
            select(Activity.source_key, School.name, Assignment.status, Assignment.due_date)
            .join(Activity, Activity.id == Assignment.activity_id)
            .outerjoin(School, School.id == Assignment.school_id)
        )
        return sorted((k, s, st.value, str(d) if d else None) for k, s, st, d in rows)


@asynccontextmanager
async def opened(
    tmp_path: Path, plan: Path = DEFAULT_PLAN, db: Path | None = None
) -> AsyncIterator[tuple[Sandbox, io.StringIO]]:
    """A started world with a terminal chat printing into a buffer."""
    world = SandboxWorld(plan, db or tmp_path / "sandbox.sqlite3", tmp_path / "files", START)
    await world.start()
    out = io.StringIO()
    sandbox = Sandbox(world, Console(file=out, width=400, highlight=False))
    try:
        await sandbox.drain_events(quiet=True)
        yield sandbox, out
    finally:
        await world.stop()


async def test_a_button_an_edit_removed_is_a_bad_press(tmp_path: Path) -> None:
    async with opened(tmp_path) as (sandbox, out):
        await sandbox.handle("/my")
        await sandbox.handle("/press 1.8")  # 📅 Неделя: the list is edited, the button goes
        assert "На этой неделе сроков нет" in out.getvalue()
        assert await sandbox.handle("/press 1.8")  # the session goes on
        said = out.getvalue()
        assert "кнопки «📅 Неделя» под сообщением [1] больше нет" in said
        await sandbox.handle("/my")  # and the bot still answers
        assert out.getvalue().count("Все открытые: 23") == 2


@pytest.mark.parametrize(
    ("seed", "then", "count"),
    [
        ("000", [], 205),  # a network plan: each direction to its own schools, not all four
        # A school's own plan: the sandbox's second school joins as `plan attach` makes it.
        (
            "001",
            [
                ["school", "add", SECOND_SCHOOL[0]],
                ["plan", "attach", "1", "--school", "2"],
            ],
            46,
        ),
    ],
)
async def test_the_sandbox_builds_its_world_as_an_import_does(
    tmp_path: Path,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    seed: str,
    then: list[list[str]],
    count: int,
) -> None:
    await run_cli(settings, "import", str(seed_path(seed)), "--timezone", PLAN_ZONE)
    for args in then:
        await run_cli(settings, *args)
    imported = await items(session_factory)
    async with opened(tmp_path, seed_path(seed)) as (sandbox, _):
        built = await items(sandbox.world.app.session_factory)
    assert len(built) == count
    assert built == imported
