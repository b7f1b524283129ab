"""The dashboard's API end to end: signed initData, the matrix against the database, the
card, a decision that reaches the curator in chat, and who may see what."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from bot.settings import Settings
from core import matrix
from core.states import AssignmentStatus
from db.models import Activity, Assignment, DashboardSession, School
from emulator import FakeUser
from tests.e2e.test_curator_flows import _setup, _start_done
from tests.harness import World
from tests.people import user_id_of

WEBAPP = "https://kurator.test/app/"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": WEBAPP, "webhook_port": 0})


class Page:
    """The dashboard's API as the page calls it, for one person (`authorization`: the header)."""

    def __init__(self, world: World, authorization: str, base: str | None = None) -> None:
        self.base = base or f"http://127.0.0.1:{world.app.web_port}/app/"
        self.headers = {"Authorization": authorization}

    async def call(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http:
            verb = http.post if body is not None else http.get
            async with verb(self.base + path, headers=self.headers, json=body) as response:
                return response.status, await response.json()

    async def post_raw(self, path: str, data: str) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.base + path, headers=self.headers, data=data) as response,
        ):
            return response.status, await response.json()

    async def ok(self, path: str, body: dict[str, Any] | None = None) -> Any:
        status, answer = await self.call(path, body)
        assert status == 200, answer
        return answer


async def exchange(world: World, init_data: str) -> tuple[int, Any]:
    """What the page does at load: its initData for a session."""
    return await Page(world, f"tma {init_data}").call("api/session", {})


async def page_for(world: World, person: FakeUser, **extra: Any) -> Page:
    data = await world.client.web_app_data(person.id, **extra)
    status, answer = await exchange(world, data["init_data"])
    assert status == 200, answer
    return Page(world, f"Bearer {answer['token']}")


async def _expected_rows(world: World, plan_id: int) -> dict[str, str]:
    """Each school's letters computed straight from the assignments (the reference)."""
    async with world.app.session_factory() as session:
        activities = list(
            await session.scalars(
                select(Activity.id)
                .where(Activity.plan_id == plan_id, Activity.cancelled_at.is_(None))
                .order_by(Activity.position, Activity.id)
            )
        )
        rows = (
            await session.execute(
                select(
                    School.name,
                    School.timezone,
                    Assignment.activity_id,
                    Assignment.status,
                    Assignment.due_date,
                )
                .join(School, School.id == Assignment.school_id)
                .where(Assignment.activity_id.in_(activities))
            )
        ).all()
    lines: dict[str, list[str]] = {}
    for name, zone, activity_id, status, due in rows:
        today = world.clock.now().astimezone(ZoneInfo(zone or "Asia/Yekaterinburg")).date()
        codes = lines.setdefault(name, [matrix.NOT_APPLICABLE] * len(activities))
        codes[activities.index(activity_id)] = matrix.cell_code(status, due, today)
    return {name: "".join(codes) for name, codes in lines.items()}


# The other schools' items, by position: (status, due in days from today) — a varied matrix
# whatever moment the suite runs at.
PATTERNS = {
    "МБОУ «Гимназия № 2»": ((AssignmentStatus.ACCEPTED, -5), (AssignmentStatus.OPEN, 7)),
    "МАОУ «Лицей № 3»": (
        (AssignmentStatus.ACCEPTED, 0),
        (AssignmentStatus.SUBMITTED, 5),
        (AssignmentStatus.RETURNED, 10),
        (AssignmentStatus.OPEN, -3),
        (AssignmentStatus.OPEN, 20),
    ),
}


async def seeded(world: World) -> tuple[FakeUser, FakeUser, int]:
    """The curator world with two more schools and a submission waiting for review."""
    alice, olga, school = await _setup(world)
    for name, statuses in PATTERNS.items():
        other = await world.add_school(name)
        async with world.app.session_factory() as session, session.begin():
            mine = list(
                await session.scalars(
                    select(Assignment).where(Assignment.school_id == school).order_by(Assignment.id)
                )
            )
            today = world.clock.now().astimezone(ZoneInfo("Asia/Yekaterinburg")).date()
            for index, item in enumerate(mine):
                status, days = statuses[index % len(statuses)]
                session.add(
                    Assignment(
                        activity_id=item.activity_id,
                        school_id=other,
                        status=status,
                        due_date=today + timedelta(days=days),
                        updated_at=world.clock.now(),
                    )
                )
    await _start_done(alice)
    await alice.send("Приказ издан")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    await olga.expect_reply("На проверку")
    return alice, olga, school


async def test_matrix_card_and_accept_reach_the_curator(world: World) -> None:
    alice, olga, school = await _setup(world)
    await _start_done(alice)
    await alice.send("Приказ издан")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    await olga.expect_reply("На проверку")

    page = await page_for(world, olga)
    plans = (await page.ok("api/plans"))["plans"]
    assert len(plans) == 1
    plan_id = plans[0]["id"]
    answer = await page.ok(f"api/matrix?plan={plan_id}")
    assert answer["view"] == "plan"
    expected = await _expected_rows(world, plan_id)
    assert {r["name"]: r["cells"] for r in answer["rows"]} == expected
    line = answer["rows"][0]["cells"]
    assert line.count(matrix.SUBMITTED) == 1
    assert answer["totals"]["s"] == 1 and answer["totals"]["total"] == len(line) - line.count("-")
    assert [t["total"] for t in answer["columnTotals"]] == [int(c != "-") for c in line]

    column = line.index(matrix.SUBMITTED)
    activity = answer["columns"][column]["id"]
    card = await page.ok(f"api/card?activity={activity}&school={school}")
    assert card["title"].startswith("Издание приказа") and card["canReview"]
    assert card["comment"] == "Приказ издан" and card["submittedBy"] == "Алиса"
    assert any("отправил" in h or "Алиса" in h for h in card["history"])

    status, refused = await page.call(
        "api/review", {"submission": card["submission"], "accept": False}
    )
    assert status == 400 and "комментари" in refused["error"]
    await page.ok("api/review", {"submission": card["submission"], "accept": True})
    assert "✅ Принято" in (await alice.expect_reply()).text  # the same notice as from chat
    after = await page.ok(f"api/matrix?plan={plan_id}&status=a")
    assert after["rows"][0]["cells"][column] == matrix.ACCEPTED and after["totals"]["a"] == 1
    again = await page.call("api/review", {"submission": card["submission"], "accept": True})
    assert again[0] == 409  # already decided: nothing changes twice


async def test_a_curator_sees_only_their_school(world: World) -> None:
    alice, olga, school = await _setup(world)
    page = await page_for(world, alice)
    plan_id = (await page.ok("api/plans"))["plans"][0]["id"]
    answer = await page.ok(f"api/matrix?plan={plan_id}")
    assert answer["view"] == "school" and [r["id"] for r in answer["rows"]] == [school]
    other = await world.add_school("МБОУ «Гимназия № 2»")
    async with world.app.session_factory() as session, session.begin():
        first = await session.scalar(select(Assignment).where(Assignment.school_id == school))
        assert first is not None
        session.add(
            Assignment(
                activity_id=first.activity_id,
                school_id=other,
                status=AssignmentStatus.OPEN,
                due_date=first.due_date,
                updated_at=world.clock.now(),
            )
        )
    status, _ = await page.call(f"api/card?activity={first.activity_id}&school={other}")
    assert status == 403
    coordinator = await page_for(world, olga)
    both = await coordinator.ok(f"api/matrix?plan={plan_id}")
    assert {r["id"] for r in both["rows"]} == {school, other}
    only = await coordinator.ok(f"api/matrix?plan={plan_id}&q=гимназ")
    assert [r["id"] for r in only["rows"]] == [other] and only["schools"] == 1


async def test_forged_expired_or_missing_init_data_is_refused(world: World) -> None:
    _, olga, _ = await _setup(world)
    good = await world.client.web_app_data(olga.id)
    forged = good["init_data"].replace("Ольга", "Olga").replace("%D0%9E", "%D0%90")
    assert forged != good["init_data"]
    old = int((world.clock.now() - timedelta(minutes=61)).timestamp())
    expired = (await world.client.web_app_data(olga.id, auth_date=old))["init_data"]
    for init_data in (forged, expired, ""):
        status, answer = await exchange(world, init_data)
        assert status == 401 and "Откройте панель заново" in answer["error"]
    # initData, however fresh, opens only the exchange; a made-up token opens nothing.
    for authorization in (f"tma {good['init_data']}", "Bearer made-up", "Bearer ", ""):
        status, _ = await Page(world, authorization).call("api/plans")
        assert status == 401
        review = {"submission": 1, "accept": True}
        assert (await Page(world, authorization).call("api/review", review))[0] == 401


async def test_buttons_and_menu_open_the_dashboard(world: World) -> None:
    alice, olga, _ = await _setup(world)
    await olga.send("/status")
    status = await olga.expect_reply()
    button = status.raw["reply_markup"]["inline_keyboard"][-1][0]
    assert button["text"] == "📊 Открыть панель" and button["web_app"]["url"] == WEBAPP
    menu = await world.client.menu_button(olga.id)
    assert menu == {"type": "web_app", "text": "Панель", "web_app": {"url": WEBAPP}}
    assert (await world.client.menu_button(alice.id))["type"] != "web_app"
    await alice.send("/dashboard")
    reply = await alice.expect_reply("на одном экране")
    assert reply.raw["reply_markup"]["inline_keyboard"][0][0]["web_app"]["url"] == WEBAPP


async def test_evidence_downloads_through_personal_short_lived_links(world: World) -> None:
    alice, olga, school = await _setup(world)
    await _start_done(alice)
    payload = b"%PDF-1.4 prikaz " * 300
    await alice.upload(("приказ.pdf", payload))
    await alice.expect_reply("Файлов: 1")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    page = await page_for(world, olga)
    plan_id = (await page.ok("api/plans"))["plans"][0]["id"]
    line = (await page.ok(f"api/matrix?plan={plan_id}"))["rows"][0]["cells"]
    activity = (await page.ok(f"api/matrix?plan={plan_id}"))["columns"][line.index("s")]["id"]
    card = await page.ok(f"api/card?activity={activity}&school={school}")
    (file,) = card["files"]
    assert file["name"] == "приказ.pdf" and not file["missing"]
    origin = f"http://127.0.0.1:{world.app.web_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(origin + file["url"]) as response:
            assert response.status == 200 and await response.read() == payload
            assert "attachment" in response.headers["Content-Disposition"]
        owner = int(parse_qs(urlsplit(file["url"]).query)["u"][0])
        forged = file["url"].replace(f"u={owner}", f"u={owner + 1}")
        async with http.get(origin + forged) as response:
            assert response.status == 401
    world.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    async with aiohttp.ClientSession() as http, http.get(origin + file["url"]) as response:
        assert response.status == 401 and "устарела" in (await response.json())["error"]


async def test_the_page_runs_only_its_own_scripts(world: World) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{world.app.web_port}/app/") as response,
    ):
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        # Framed only by Telegram's and MAX's web clients, not by any other site.
        (ancestors,) = [p.split()[1:] for p in policy.split(";") if "frame-ancestors" in p]
        assert ancestors == [
            "https://web.telegram.org",
            "https://*.telegram.org",
            "https://web.max.ru",
            "https://*.max.ru",
        ]
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert '"base":"/app/"' in (await response.text()).replace(" ", "")


async def test_managers_from_before_get_the_menu_button_at_start(world: World) -> None:
    from aiogram.types import MenuButtonDefault

    alice, olga, _ = await _setup(world)
    await world.app.bot.set_chat_menu_button(chat_id=olga.id, menu_button=MenuButtonDefault())
    assert (await world.client.menu_button(olga.id))["type"] == "default"
    assert await world.app._dashboard_buttons(WEBAPP) == 1  # what start-up runs
    assert (await world.client.menu_button(olga.id))["web_app"] == {"url": WEBAPP}
    assert (await world.client.menu_button(alice.id))["type"] != "web_app"


# Every integer the API reads, and values no database id can be: beyond int64 (2^70), beyond
# PostgreSQL's INTEGER (2^31), negative, not a whole number, not ASCII digits, too long to parse.
BAD_NUMBERS = [str(2**70), str(2**31), "-1", "abc", "1.5", "1e3", " 7", "+7", "1_0", "١"]
BAD_NUMBERS.append("9" * 5000)  # int() refuses more than 4300 digits with its own error
NUMBER_PARAMETERS = {
    "plan": "api/matrix?plan={}",
    "direction": "api/matrix?plan={plan}&direction={}",
    "offset": "api/matrix?plan={plan}&offset={}",
    "limit": "api/matrix?plan={plan}&limit={}",
    "activity": "api/card?activity={}&school={school}",
    "school": "api/card?activity={activity}&school={}",
}


async def _ids(world: World, page: Page) -> dict[str, int]:
    plan = (await page.ok("api/plans"))["plans"][0]["id"]
    async with world.app.session_factory() as session:
        item = await session.scalar(select(Assignment).order_by(Assignment.id))
    assert item is not None and item.school_id is not None
    return {"plan": plan, "activity": item.activity_id, "school": item.school_id}


@pytest.mark.parametrize("name", NUMBER_PARAMETERS)
async def test_a_number_no_database_id_can_be_is_a_clear_400(world: World, name: str) -> None:
    _, olga, _ = await _setup(world)
    page = await page_for(world, olga)
    ids = await _ids(world, page)
    template = NUMBER_PARAMETERS[name]
    for value in BAD_NUMBERS + ([""] if name in ("plan", "activity", "school") else []):
        status, answer = await page.call(template.format(quote(value), **ids))
        assert (status, answer["ok"]) == (400, False), (value[:20], answer)
        assert f"«{name}»" in answer["error"], answer
    # The largest id the database holds is a fine question: the item is just not there.
    status, _ = await page.call(template.format(2**31 - 1, **ids))
    assert status in (200, 403, 404)


@pytest.mark.parametrize(
    "body",
    [
        {"submission": 2**70, "accept": True},
        {"submission": 2**31, "accept": True},
        {"submission": -1, "accept": True},
        {"submission": "abc", "accept": True},
        {"submission": 1.5, "accept": True},
        {"submission": True, "accept": True},
        {"submission": None, "accept": True},
        {"submission": [1], "accept": True},
        {"accept": True},
        {"submission": 1, "accept": "no"},  # a string is not a decision (bool("no") is True)
        {"submission": 1, "accept": 1},
        {"submission": 1, "accept": True, "comment": {"x": 1}},
    ],
)
async def test_a_review_body_with_a_bad_field_is_a_clear_400(
    world: World, body: dict[str, Any]
) -> None:
    _, olga, _ = await _setup(world)
    page = await page_for(world, olga)
    status, answer = await page.call("api/review", body)
    assert (status, answer["ok"]) == (400, False), answer
    for raw in ("[1, 2]", "not json", '"text"', "[" * 100_000):
        status, answer = await page.post_raw("api/review", raw)
        assert (status, answer["ok"]) == (400, False), answer


async def test_a_file_or_feed_address_with_a_bad_number_is_refused_plainly(world: World) -> None:
    await _setup(world)
    origin = f"http://127.0.0.1:{world.app.web_port}/app/"
    async with aiohttp.ClientSession() as http:
        for value in [*BAD_NUMBERS[:4], "١", "9" * 5000]:
            async with http.get(f"{origin}files/{quote(value)}?u=1&e=1&s=0") as response:
                assert response.status == 400, value[:20]
                assert "«evidence»" in (await response.json())["error"]
            # The feed's address is its own key: anything not signed is simply not there.
            async with http.get(f"{origin}cal/{quote(value)}.1.{'0' * 32}.ics") as response:
                assert response.status == 404, value[:20]


async def test_init_data_is_exchanged_once_for_a_session_that_use_renews(world: World) -> None:
    _, olga, _ = await _setup(world)
    data = await world.client.web_app_data(olga.id)
    status, answer = await exchange(world, data["init_data"])
    assert status == 200
    token = answer["token"]
    page = Page(world, f"Bearer {token}")
    await page.ok("api/plans")
    async with world.app.session_factory() as session:  # only the token's hash is kept
        assert list(await session.scalars(select(DashboardSession.token_hash))) == [
            hashlib.sha256(token.encode()).hexdigest()
        ]
    for _ in range(4):  # used within every hour: it outlives the first one
        world.clock.advance(timedelta(minutes=55))  # type: ignore[attr-defined]
        await page.ok("api/plans")
    world.clock.advance(timedelta(minutes=61))  # type: ignore[attr-defined]
    status, answer = await page.call("api/plans")
    assert status == 401 and "Откройте её заново" in answer["error"]
    # The address the page was opened with cannot start another: it is hours old.
    assert (await exchange(world, data["init_data"]))[0] == 401
    fresh = await page_for(world, olga)  # reopened from the chat: a new session
    await fresh.ok("api/plans")
    async with world.app.session_factory() as session:  # the lapsed one is gone
        assert len(list(await session.scalars(select(DashboardSession.id)))) == 1


async def test_a_session_ends_a_working_day_after_the_exchange_however_busy(world: World) -> None:
    _, olga, _ = await _setup(world)
    page = await page_for(world, olga)
    for _ in range(23):
        world.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
        await page.ok("api/plans")
    world.clock.advance(timedelta(minutes=29))  # type: ignore[attr-defined]
    await page.ok("api/plans")  # 11:59 after the exchange
    world.clock.advance(timedelta(minutes=2))  # type: ignore[attr-defined]
    status, answer = await page.call("api/plans")
    assert status == 401 and "Откройте её заново" in answer["error"]


async def test_a_switched_off_person_loses_the_open_session_at_once(world: World) -> None:
    from bot.cli_admin import EVERYTHING
    from core import admin

    _, olga, _ = await _setup(world)
    page = await page_for(world, olga)
    await page.ok("api/plans")
    async with world.app.session_factory() as session, session.begin():
        user_id = await user_id_of(session, olga.id)
        await admin.set_active(session, world.clock, EVERYTHING, None, user_id, False)
    status, _ = await page.call("api/plans")
    assert status == 403
    data = await world.client.web_app_data(olga.id)
    assert (await exchange(world, data["init_data"]))[0] == 403


async def test_another_process_on_the_same_database_honours_the_session(world: World) -> None:
    from aiohttp import web

    from web.dashboard import WebDeps, add_routes

    _, olga, _ = await _setup(world)
    page = await page_for(world, olga)
    other = web.Application()
    deps = WebDeps(
        world.settings, world.app.session_factory, world.clock, world.app.bot, lambda: None
    )
    add_routes(other, deps)
    runner = web.AppRunner(other, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/app/"
        second = Page(world, page.headers["Authorization"], base)
        assert (await second.ok("api/plans"))["plans"]
    finally:
        await runner.cleanup()
