"""The dashboard as a person reads it (issue 32): the plan's whole title above the filters,
columns named on a phone, the card's title in view, a decision shown in the open card, the
bot's words in the legend, times with their zone, and a console with no error."""

from __future__ import annotations

from typing import Any

import pytest

from bot.settings import Settings
from tests.browser.test_dashboard_page import DESKTOP, PHONE, SHOTS, _open
from tests.e2e.test_dashboard import WEBAPP
from tests.e2e.test_dashboard import seeded as _seed
from tests.harness import World


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": WEBAPP, "webhook_port": 0})


async def _watched(
    world: World, browser: Any, person: Any, viewport: dict[str, int]
) -> tuple[Any, list[str]]:
    """The page opened with every console error, page error and failed request noted."""
    problems: list[str] = []
    context = await browser.new_context(viewport=viewport)
    context.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    context.on("weberror", lambda e: problems.append(str(e.error)))
    context.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    browser_like = _Context(context)
    page = await _open(world, browser_like, person, viewport)
    return page, problems


class _Context:
    """`_open` opens its page on whatever has `new_page`: here a context that watches it."""

    def __init__(self, context: Any) -> None:
        self.context = context

    async def new_page(self, viewport: dict[str, int]) -> Any:
        page = await self.context.new_page()
        await page.set_viewport_size(viewport)
        return page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_the_page_reads_whole_at_phone_and_desktop_width(
    world: World, browser: Any, viewport: dict[str, int]
) -> None:
    _, olga, _ = await _seed(world)
    page, problems = await _watched(world, browser, olga, viewport)
    # The plan's whole title, wrapped, above the filters.
    title = await page.query_selector("#plan-title")
    assert title is not None and await title.is_visible()
    text = await title.inner_text()
    assert text.startswith("ДОРОЖНАЯ КАРТА") or len(text) > 20, text
    fits = await title.evaluate("h => h.scrollWidth <= h.clientWidth")
    assert fits
    below = await page.eval_on_selector("#status", "s => s.getBoundingClientRect().top")
    assert (await title.bounding_box())["y"] + (await title.bounding_box())["height"] <= below
    # Columns named by words, not bare numbers, in headers tall enough to read.
    names = await page.eval_on_selector_all(
        "#matrix thead tr.numbers th .name",
        "ns => ns.map(n => [n.textContent, n.getBoundingClientRect().height])",
    )
    assert names and all(any(ch.isalpha() for ch in name) for name, _ in names), names
    assert all(height >= 40 for _, height in names)
    # The legend in the bot's words (/status: "⏳ открыто").
    legend = await page.inner_text("#legend")
    assert "открыто" in legend and "не начато" not in legend
    width = viewport["width"]
    await page.screenshot(path=str(SHOTS / f"dashboard-reading-{width}.png"))
    # The card: its title stays in view however far it scrolls; times name their zone.
    await page.click("#matrix tr:has(td.school[title*='СОШ № 21']) td.c-s button")
    await page.wait_for_selector("#accept")
    await page.set_viewport_size({"width": width, "height": 420})  # a card longer than the screen
    scrolled = await page.eval_on_selector(
        ".sheet-body", "b => { b.scrollTop = b.scrollHeight; return b.scrollTop; }"
    )
    head = await page.eval_on_selector(
        "#card h2",
        "h => { const r = h.getBoundingClientRect(), "
        "b = h.closest('.sheet-body').getBoundingClientRect(); return [r.top - b.top, r.height]; }",
    )
    assert scrolled > 0 and -1 <= head[0] <= 16 and head[1] > 10, (scrolled, head)
    await page.screenshot(path=str(SHOTS / f"dashboard-reading-card-scrolled-{width}.png"))
    await page.set_viewport_size(viewport)
    card = await page.inner_text("#card")
    assert "История (время по Екатеринбургу)" in card and "по Екатеринбургу" in card
    await page.screenshot(path=str(SHOTS / f"dashboard-reading-card-{width}.png"))
    # A decision shows in the open card at once: its status, and no buttons left.
    await page.click("#accept")
    await page.wait_for_function(
        "() => !document.querySelector('#accept') && "
        "document.querySelector('#card .status').textContent === 'принят'"
    )
    assert "Принято" in await page.inner_text("#review-notice")
    await page.screenshot(path=str(SHOTS / f"dashboard-reading-accepted-{width}.png"))
    assert problems == []
