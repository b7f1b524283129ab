"""Headless Chromium from Debian's packages, driven by Playwright (no browser download).

Missing Chromium or Playwright skips these tests with the reason printed (`-rs`), never
silently; CI installs both (.ci/packages.sh, the dev extras)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.clock import ManualClock

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine's network is closed: no background calls to Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return (
        os.environ.get("KURATOR_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture
def clock() -> ManualClock:
    # One fixed moment: the page's calendar rules are the API's (tested at every moment in
    # tests/e2e/test_dashboard.py and tests/db/test_dashboard_matrix.py); the screenshots
    # stay comparable from run to run.
    return ManualClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[dev]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()
