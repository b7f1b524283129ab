"""The sandbox as the front door (issue 28): bad presses, the world an import builds, resumes."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console

from sandbox.session import Sandbox
from sandbox.world import DEFAULT_PLAN, PLAN_ZONE, SandboxWorld

START = datetime(2020, 11, 2, 9, 0, tzinfo=ZoneInfo(PLAN_ZONE))


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
