"""The dashboard page in headless Chromium: colours and totals of a seeded world, filters kept
in the URL, a tap opening the card, Accept reaching the curator, who sees what, and refusals.
Screenshots (phone and desktop width, light and dark) go to a temporary folder, or where
KURATOR_SCREENSHOTS says (docs/screenshots to refresh the documentation's)."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.settings import Settings
from core import matrix
from core.states import AssignmentStatus
from db.models import Assignment, DashboardSession
from emulator import FakeUser
from tests.e2e.test_curator_flows import _setup
from tests.e2e.test_dashboard import WEBAPP, _expected_rows
from tests.e2e.test_dashboard import seeded as _seed
from tests.harness import ROOT, World

# Screenshots go to a temporary folder, so a test run changes no tracked file; to refresh the
# ones in docs/: KURATOR_SCREENSHOTS=docs/screenshots python -m pytest tests/browser
SHOTS = Path(
    os.environ.get("KURATOR_SCREENSHOTS") or Path(tempfile.gettempdir()) / "kurator-screenshots"
)
if not SHOTS.is_absolute():
    SHOTS = ROOT / SHOTS
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
DARK = {  # Telegram's night theme, as its clients pass themeParams
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}
# The cell colours of style.css (light scheme), as the browser computes them.
COLOURS = {
    "a": "rgb(63, 178, 111)",
    "s": "rgb(255, 209, 102)",
    "o": "rgb(229, 72, 77)",
    "r": "rgb(244, 162, 89)",
    "n": "rgb(213, 219, 225)",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": WEBAPP, "webhook_port": 0})


async def _open(
    world: World,
    browser: Any,
    person: FakeUser,
    viewport: dict[str, int] = PHONE,
    theme: dict[str, str] | None = None,
    query: str = "",
) -> Any:
    data = await world.client.web_app_data(person.id, theme=theme or LIGHT)
    page = await browser.new_page(viewport=viewport)
    await page.goto(f"http://127.0.0.1:{world.app.web_port}/app/{query}#{data['fragment']}")
    await page.wait_for_selector("body[data-ready='1']")
    return page


async def _cells(page: Any) -> dict[str, str]:
    return dict(
        await page.eval_on_selector_all(
            "#matrix tbody tr",
            "rows => rows.map(r => [r.querySelector('td.school').title,"
            " [...r.querySelectorAll('td.c')].map(c => c.dataset.code).join('')])",
        )
    )


async def test_matrix_colours_totals_and_screenshots(world: World, browser: Any) -> None:
    _, olga, _ = await _seed(world)
    page = await _open(world, browser, olga)
    plan_id = int(await page.eval_on_selector("#plan", "s => s.value"))
    expected = await _expected_rows(world, plan_id)
    assert await _cells(page) == expected
    for code, colour in COLOURS.items():
        found = await page.query_selector(f"#matrix td.c-{code} button")
        assert found is not None, code
        assert await found.evaluate("b => getComputedStyle(b).backgroundColor") == colour
    # Totals: per row "accepted/applicable", per column likewise, and the corner.
    for row in await page.query_selector_all("#matrix tbody tr"):
        name = await row.eval_on_selector("td.school", "c => c.title")
        line = expected[name]
        done, applicable = line.count("a"), len(line) - line.count("-")
        assert await row.eval_on_selector("td.sum", "c => c.textContent") == f"{done}/{applicable}"
    lines = list(expected.values())
    columns = await page.eval_on_selector_all(
        "#matrix tfoot td", "cs => cs.map(c => c.textContent)"
    )
    for index in range(len(lines[0])):
        done = sum(line[index] == "a" for line in lines)
        applicable = sum(line[index] != "-" for line in lines)
        assert columns[1 + index] == f"{done}/{applicable}"
    corner = sum(line.count("a") for line in lines), sum(len(x) - x.count("-") for x in lines)
    assert columns[-1] == f"{corner[0]}/{corner[1]}"
    # Readable on a phone: the page itself does not scroll sideways, the matrix does.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "dashboard-phone-light.png"))
    await page.close()
    for name, viewport, theme in (
        ("phone-dark", PHONE, DARK),
        ("desktop-light", DESKTOP, LIGHT),
        ("desktop-dark", DESKTOP, DARK),
    ):
        shot = await _open(world, browser, olga, viewport, theme)
        scheme = await shot.evaluate("document.documentElement.dataset.scheme")
        assert scheme == ("dark" if theme is DARK else "light")
        background = await shot.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == ("rgb(23, 33, 43)" if theme is DARK else "rgb(255, 255, 255)")
        await shot.screenshot(path=str(SHOTS / f"dashboard-{name}.png"))
        await shot.close()


async def test_filters_are_kept_in_the_url(world: World, browser: Any) -> None:
    _, olga, _ = await _seed(world)
    page = await _open(world, browser, olga)
    await page.check("#overdue")
    await page.wait_for_function("() => location.search.includes('status=o')")
    await page.wait_for_function(
        "() => [...document.querySelectorAll('#matrix tbody tr')]"
        ".every(r => r.querySelector('td.c-o'))"
    )
    shown = await _cells(page)
    assert shown and all(matrix.OVERDUE in line for line in shown.values())
    await page.fill("#search", "лицей")
    await page.wait_for_function("() => location.search.includes('q=')")
    await page.wait_for_function("() => document.querySelectorAll('#matrix tbody tr').length === 1")
    assert list(await _cells(page)) == ["МАОУ «Лицей № 3»"]
    # The same address opens the same view.
    query = await page.evaluate("location.search")
    again = await _open(world, browser, olga, query=query)
    assert await again.eval_on_selector("#overdue", "c => c.checked")
    assert await again.eval_on_selector("#search", "s => s.value") == "лицей"
    assert list(await _cells(again)) == ["МАОУ «Лицей № 3»"]


async def test_tap_opens_the_card_and_accept_tells_the_curator(world: World, browser: Any) -> None:
    alice, olga, school = await _seed(world)
    page = await _open(world, browser, olga, query="?status=s&q=СОШ")
    await page.click("#matrix td.c-s button")
    await page.wait_for_selector("#accept")
    card = await page.inner_text("#card")
    assert "Издание приказа" in card and "Приказ издан" in card and "Алиса" in card
    await page.click("#return")  # without a comment: refused in the page, nothing sent
    assert "без комментария" in await page.inner_text("#review-notice")
    await page.click("#accept")
    await page.wait_for_function(
        "() => document.querySelector('#review-notice').textContent.includes('Принято')"
    )
    assert "✅ Принято" in (await alice.expect_reply()).text
    async with world.app.session_factory() as session:
        accepted = await session.scalar(
            select(Assignment.status).where(
                Assignment.school_id == school, Assignment.status == AssignmentStatus.ACCEPTED
            )
        )
    assert accepted == AssignmentStatus.ACCEPTED
    await page.wait_for_function("() => document.querySelectorAll('#matrix td.c-s').length === 0")


async def test_a_curator_sees_their_school_only(world: World, browser: Any) -> None:
    alice, _, school = await _seed(world)
    page = await _open(world, browser, alice)
    assert await page.is_visible("#list") and not await page.is_visible("#matrix")
    titles = await page.eval_on_selector_all("#list h2", "hs => hs.map(h => h.textContent)")
    assert titles == ["МАОУ «СОШ № 21 г. Челябинска»"]
    await page.click("#list button.item")
    await page.wait_for_selector("#card h2")
    assert "СОШ № 21" in await page.inner_text("#card")
    assert not await page.query_selector("#accept")  # a curator does not review
    await page.screenshot(path=str(SHOTS / "dashboard-curator-phone.png"))
    del school


async def test_forged_init_data_shows_how_to_reopen(world: World, browser: Any) -> None:
    _, olga, _ = await _setup(world)
    data = await world.client.web_app_data(olga.id)
    page = await browser.new_page(viewport=PHONE)
    forged = data["fragment"].replace("auth_date%3D", "auth_date%3D1")
    await page.goto(f"http://127.0.0.1:{world.app.web_port}/app/#{forged}")
    await page.wait_for_function("() => document.querySelector('#message').textContent.length > 0")
    await page.wait_for_function(
        "() => document.querySelector('#message').textContent.includes('Откройте панель заново')"
    )
    assert await page.is_hidden("#matrix")


async def test_the_page_trades_its_signed_data_for_a_session(world: World, browser: Any) -> None:
    _, olga, _ = await _seed(world)
    data = await world.client.web_app_data(olga.id, theme=LIGHT)
    page = await browser.new_page(viewport=PHONE)
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    await page.goto(f"http://127.0.0.1:{world.app.web_port}/app/#{data['fragment']}")
    await page.wait_for_selector("body[data-ready='1']")

    async def calls() -> list[tuple[str, str]]:
        found = []
        for request in requests:
            path = request.url.split("/app/", 1)[1]
            if path.startswith("api/"):
                found.append((path, (await request.all_headers()).get("authorization", "")))
        return found

    # initData goes to the exchange only; everything else carries the session's token.
    (session, *rest) = await calls()
    assert session[0] == "api/session" and session[1].startswith("tma ")
    assert rest and all(auth.startswith("Bearer ") for path, auth in rest), rest
    await page.reload()  # a reload goes on with the same session
    await page.wait_for_selector("body[data-ready='1']")
    assert [path for path, _ in await calls()].count("api/session") == 1
    # The session is gone while the signed data is still fresh (as in the sandbox, whose clock
    # jumps by days): the page starts a new one by itself and the tap works.
    async with world.app.session_factory() as db, db.begin():
        await db.execute(delete(DashboardSession))
    await page.click("#matrix td.c-s button")
    await page.wait_for_selector("#card h2")
    assert [path for path, _ in await calls()].count("api/session") == 2
    # An hour unused: the signed data is too old for another session, so the page says to
    # reopen the panel from the chat.
    await page.click("#close")
    world.clock.advance(timedelta(minutes=61))  # type: ignore[attr-defined]
    await page.click("#matrix td.c-s button")
    await page.wait_for_function(
        "() => document.querySelector('#card').textContent.includes('Откройте её заново')"
    )


def test_screenshots_are_linked_from_the_docs() -> None:
    text = (ROOT / "docs" / "dashboard.md").read_text(encoding="utf-8")
    for name in ("phone-light", "phone-dark", "desktop-light", "desktop-dark"):
        assert f"screenshots/dashboard-{name}.png" in text
    assert Path(ROOT / "docs" / "screenshots").is_dir()


def test_a_test_run_writes_no_screenshot_into_the_repository() -> None:
    """Unless asked, the screenshots land outside the tracked tree."""
    if not os.environ.get("KURATOR_SCREENSHOTS"):
        assert ROOT not in SHOTS.parents
