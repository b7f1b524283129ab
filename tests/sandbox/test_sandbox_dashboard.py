"""The sandbox's /dashboard: an address anyone on the machine can open as the person speaking."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from rich.console import Console

from sandbox.session import Sandbox
from sandbox.world import DEFAULT_PLAN, PLAN_ZONE, SandboxWorld

# Where each messenger puts the signed launch data in the page's address (docs/max.md).
LAUNCH_DATA = {"telegram": "tgWebAppData", "max": "WebAppData"}


@pytest.mark.parametrize("messenger", ["telegram", "max"])
async def test_dashboard_address_opens_the_page_as_the_person(
    tmp_path: Path, messenger: str
) -> None:
    start = datetime(2020, 11, 9, 8, 55, tzinfo=ZoneInfo(PLAN_ZONE))
    world = SandboxWorld(
        DEFAULT_PLAN, tmp_path / "sandbox.sqlite3", tmp_path / "files", start, messenger
    )
    await world.start()
    out = io.StringIO()
    sandbox = Sandbox(world, Console(file=out, width=400, highlight=False))
    try:
        await sandbox.handle("/as coordinator")
        await sandbox.handle("/clock +2d")  # the address stays good while the sandbox runs
        await sandbox.handle("/dashboard")
        printed = out.getvalue()
        assert "Панель для Ольги" in printed
        url = re.search(r"http://127\.0\.0\.1:\d+/app/#\S+", printed)
        assert url is not None
        parts = urlsplit(url.group(0))
        init_data = parse_qs(parts.fragment)[LAUNCH_DATA[messenger]][0]
        base = f"{parts.scheme}://{parts.netloc}{parts.path}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base) as page:
                assert page.status == 200 and "static/app.js" in await page.text()
            signed = {"Authorization": f"tma {init_data}"}
            async with http.post(base + "api/session", headers=signed) as answer:
                assert answer.status == 200
                headers = {"Authorization": f"Bearer {(await answer.json())['token']}"}
            async with http.get(base + "api/plans", headers=headers) as answer:
                assert answer.status == 200
                plans = (await answer.json())["plans"]
            assert [p["title"] for p in plans] == [world.plan_title]
            # Days pass in the sandbox: the page's session lapses, and the address it was
            # opened with still starts a new one (the page does it by itself on a 401).
            await sandbox.handle("/clock +2d")
            async with http.get(base + "api/plans", headers=headers) as answer:
                assert answer.status == 401
            async with http.post(base + "api/session", headers=signed) as answer:
                assert answer.status == 200
    finally:
        await world.stop()
