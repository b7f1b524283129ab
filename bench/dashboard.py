"""Benchmark: the dashboard's API and page on a region-sized plan (SQLite by default).

The data of bench/status_region.py (1,000 schools, 200 activities, 200,000 items). Times the
JSON API as an admin calls it (the matrix's first page, each filter, a later page, a card)
through the real aiohttp routes with signed initData, and, when Debian's Chromium and
Playwright are installed, how long the page takes to become usable (address opened → matrix
drawn) at phone width. Baseline measured in the same run: a plain `SELECT count(*)` over
the assignments (what reading the plan once costs on this machine).

    python bench/dashboard.py [--schools 1000] [--activities 200] [--runs 15] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from aiogram import Bot
from aiohttp import web
from sqlalchemy import func, select
from status_region import NOW, region

from bot.settings import Settings
from core.clock import ManualClock
from core.roles import Role
from db.models import Account, Activity, Assignment, Membership, School, User
from emulator.control import sign_web_app_data
from web.dashboard import WebDeps, add_routes

ROOT = str(Path(__file__).resolve().parents[1])
TOKEN = "100:bench-dashboard-token"
ADMIN_TG = 1_000_001


async def _admin(factory: Any) -> None:
    async with factory() as session, session.begin():
        user = User(full_name="Админ", created_at=NOW, started_at=NOW)
        session.add(user)
        await session.flush()
        session.add(
            Account(
                user_id=user.id,
                messenger="telegram",
                external_id=ADMIN_TG,
                chat_id=ADMIN_TG,
                created_at=NOW,
            )
        )
        session.add(Membership(user_id=user.id, role=Role.ADMIN, created_at=NOW))


def _init_data() -> str:
    user = json.dumps({"id": ADMIN_TG, "first_name": "Админ"}, ensure_ascii=False)
    return sign_web_app_data(TOKEN, {"user": user, "auth_date": str(int(NOW.timestamp()))})


async def _times(http: aiohttp.ClientSession, url: str, runs: int, headers: Any) -> float:
    """Median milliseconds of `runs` GETs (after one warm-up)."""
    samples = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            assert response.status == 200, await response.text()
            await response.read()
        if attempt:
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def _page_usable(url: str, runs: int) -> float | None:
    """Median ms from opening the address to the matrix drawn, in headless Chromium."""
    import shutil

    path = shutil.which("chromium")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return None
    if path is None:
        return None
    sys.path.insert(0, ROOT)  # the tests' browser flags
    from tests.browser.conftest import CHROMIUM_FLAGS

    samples = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        for attempt in range(runs + 1):
            page = await browser.new_page(viewport={"width": 360, "height": 740})
            started = time.perf_counter()
            await page.goto(url)
            await page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            if attempt:
                samples.append((time.perf_counter() - started) * 1000)
            await page.close()
        await browser.close()
    return statistics.median(samples)


async def main(schools: int, activities: int, runs: int, as_json: bool) -> None:
    figures: dict[str, float | int | None] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'region.sqlite3'}"
        engine, factory, plan_id = await region(url, schools, activities)
        await _admin(factory)
        async with factory() as session:
            direction = await session.scalar(select(Activity.direction_id).limit(1))
            some_school = await session.scalar(select(School.id).order_by(School.id.desc()))
            activity = await session.scalar(select(Activity.id).limit(1))
        settings = Settings(
            bot_token=TOKEN, webapp_url="https://bench.test/app/", database_url=url, _env_file=None
        )
        bot = Bot(TOKEN)
        app = web.Application()
        add_routes(app, WebDeps(settings, factory, ManualClock(NOW), bot, lambda: None))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        base = f"http://127.0.0.1:{port}/app/"
        samples = []
        for _ in range(runs):
            async with factory() as session:
                started = time.perf_counter()
                await session.scalar(select(func.count()).select_from(Assignment))
                samples.append((time.perf_counter() - started) * 1000)
        figures["baseline_count_ms"] = statistics.median(samples)
        async with aiohttp.ClientSession() as http:
            signed = {"Authorization": f"tma {_init_data()}"}
            async with http.post(base + "api/session", headers=signed) as r:
                headers = {"Authorization": f"Bearer {(await r.json())['token']}"}
            figures["static_page_ms"] = await _times(http, base, runs, {})
            cases = {
                "matrix_first_page_ms": f"api/matrix?plan={plan_id}",
                "matrix_direction_ms": f"api/matrix?plan={plan_id}&direction={direction}",
                "matrix_overdue_ms": f"api/matrix?plan={plan_id}&status=o",
                "matrix_search_ms": f"api/matrix?plan={plan_id}&q=%E2%84%96%2099",
                "matrix_page_10_ms": f"api/matrix?plan={plan_id}&offset=600",
                "card_ms": f"api/card?activity={activity}&school={some_school}",
                "plans_ms": "api/plans",
            }
            for name, path in cases.items():
                figures[name] = await _times(http, base + path, runs, headers)
            async with http.get(base + cases["matrix_first_page_ms"], headers=headers) as r:
                figures["matrix_first_page_kb"] = round(len(await r.read()) / 1024, 1)
        fragment = f"tgWebAppData={quote(_init_data(), safe='')}"
        figures["page_usable_ms"] = await _page_usable(f"{base}#{fragment}", max(3, runs // 3))
        await runner.cleanup()
        await bot.session.close()
        await engine.dispose()
    baseline = float(figures["baseline_count_ms"] or 1)
    for name in list(figures):
        value = figures[name]
        if name.endswith("_ms") and name != "baseline_count_ms" and value is not None:
            figures[name.replace("_ms", "_x_baseline")] = round(float(value) / baseline, 1)
    figures.update(schools=schools, activities=activities, items=schools * activities)
    if as_json:
        print(json.dumps(figures))
        return
    print(f"dashboard on {schools} schools × {activities} activities (SQLite)")
    for name, value in figures.items():
        shown = "skipped (no Chromium/Playwright)" if value is None else value
        if isinstance(value, float):
            shown = f"{value:.1f}"
        print(f"  {name:28} {shown}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--activities", type=int, default=200)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.schools, args.activities, args.runs, args.json))
