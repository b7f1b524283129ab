"""/calendar: the person's deadlines and seminars as iCalendar, in chat and as a feed that
follows changes, marks cancellations, and stops at a renewed or switched-off address."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from icalendar import Calendar
from sqlalchemy import select, update

from bot.settings import Settings
from db.models import Activity, Assignment, Plan, Seminar
from tests.e2e.test_curator_flows import _setup, _setup_here
from tests.harness import World
from tests.people import ON_BOTH, Person

WEBAPP = "https://kurator.test/app/"
ZONE = ZoneInfo("Asia/Yekaterinburg")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": WEBAPP, "webhook_port": 0})


async def _near_dates(world: World, school: int) -> dict[str, Any]:
    """Two of the school's items due soon, a seminar on a set hour and one cancelled."""
    today = world.clock.now().astimezone(ZONE).date()
    async with world.app.session_factory() as session, session.begin():
        items = list(
            await session.scalars(
                select(Assignment).where(Assignment.school_id == school).order_by(Assignment.id)
            )
        )
        for days, item in zip((5, 12), items[:2], strict=True):
            item.due_date = today + timedelta(days=days)
            item.version += 1
        plan_id = await session.scalar(select(Plan.id))
        assert plan_id is not None
        starts = datetime.combine(today + timedelta(days=3), time(10, 0), ZONE)
        now = world.clock.now()
        meeting = Seminar(
            plan_id=plan_id,
            topic="Семинар по МСОКО",
            starts_on=starts.date(),
            starts_at=starts,
            place="ИРО, ауд. 5",
            created_at=now,
        )
        dropped = Seminar(
            plan_id=plan_id,
            topic="Отменённый семинар",
            starts_on=starts.date(),
            starts_at=starts + timedelta(hours=4),
            created_at=now,
            cancelled_at=now,
        )
        session.add_all([meeting, dropped])
        await session.flush()
        titles = {
            a.id: await session.scalar(select(Activity.title).where(Activity.id == a.activity_id))
            for a in items[:2]
        }
    return {"items": items[:2], "titles": titles, "starts": starts, "today": today}


def _events(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _local(url: str, world: World) -> str:
    return url.replace(WEBAPP, f"http://127.0.0.1:{world.app.web_port}/app/")


async def _get(url: str) -> tuple[int, bytes, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read(), response.headers.get("Content-Type", "")


async def _calendar(world: World, person: Person) -> tuple[dict[str, Any], str, Any]:
    await person.send("/calendar")
    message = await person.expect_reply("сроки и семинары")
    url = re.search(r"https://\S+\.ics", message.text)
    assert url is not None
    return _events(await world.file_of(message)), url.group(0), message


async def test_calendar_file_and_feed_follow_changes(world: World) -> None:
    alice, _, school = await _setup(world)
    seeded = await _near_dates(world, school)
    first, second = seeded["items"]
    in_chat, url, _ = await _calendar(world, alice)
    status, body, kind = await _get(_local(url, world))
    assert status == 200 and kind.startswith("text/calendar")
    feed = _events(body)
    assert set(feed) == set(in_chat)
    deadline = feed[f"assignment-{first.id}@kurator"]
    assert deadline.decoded("DTSTART") == seeded["today"] + timedelta(days=5)  # all day
    assert str(deadline["SUMMARY"]) == f"Срок: {seeded['titles'][first.id]}"
    seminar = next(e for e in feed.values() if str(e["SUMMARY"]) == "Семинар: Семинар по МСОКО")
    assert seminar.decoded("DTSTART") == seeded["starts"]
    assert seminar["DTSTART"].params["TZID"] == "Asia/Yekaterinburg"
    assert str(seminar["LOCATION"]) == "ИРО, ауд. 5" and str(seminar["STATUS"]) == "CONFIRMED"
    cancelled = next(e for e in feed.values() if "Отменённый семинар" in str(e["SUMMARY"]))
    assert str(cancelled["STATUS"]) == "CANCELLED"
    zones = [str(z["TZID"]) for z in Calendar.from_ical(body).walk("VTIMEZONE")]
    assert zones == ["Asia/Yekaterinburg"]

    # A deadline moved and the seminar called off: the same address shows both.
    async with world.app.session_factory() as session, session.begin():
        await session.execute(
            update(Assignment)
            .where(Assignment.id == second.id)
            .values(due_date=seeded["today"] + timedelta(days=20))
        )
        await session.execute(
            update(Seminar)
            .where(Seminar.topic == "Семинар по МСОКО")
            .values(cancelled_at=world.clock.now())
        )
    feed = _events((await _get(_local(url, world)))[1])
    moved = feed[f"assignment-{second.id}@kurator"]
    assert moved.decoded("DTSTART") == seeded["today"] + timedelta(days=20)
    called_off = next(e for e in feed.values() if str(e["UID"]) == str(seminar["UID"]))
    assert str(called_off["STATUS"]) == "CANCELLED"


async def test_a_renewed_or_switched_off_address_answers_404(world: World) -> None:
    alice, olga, school = await _setup(world)
    await _near_dates(world, school)
    _, old, message = await _calendar(world, alice)
    await alice.press("🔄 Новая ссылка", message)
    renewed = await alice.expect_reply("Новая ссылка")
    new = re.search(r"https://\S+\.ics", renewed.text)
    assert new is not None and new.group(0) != old
    assert (await _get(_local(old, world)))[0] == 404
    assert (await _get(_local(new.group(0), world)))[0] == 200
    forged = new.group(0).replace(".ics", "0.ics")
    assert (await _get(_local(forged, world)))[0] == 404
    # Another person's token with a guessed version: the signature does not match.
    other = re.sub(r"/cal/\d+\.", f"/cal/{olga.id}.", new.group(0))
    assert (await _get(_local(other, world)))[0] == 404
    await alice.press("🚫 Отключить подписку", message)
    await alice.expect_reply("Подписка отключена")
    assert (await _get(_local(new.group(0), world)))[0] == 404
    _, again, _ = await _calendar(world, alice)  # /calendar again: a new address works
    assert again not in (old, new.group(0)) and (await _get(_local(again, world)))[0] == 200


@ON_BOTH
async def test_a_coordinator_gets_the_plan_deadlines(world: World) -> None:
    _, olga, school = await _setup_here(world)
    await _near_dates(world, school)
    today = world.clock.now().astimezone(ZONE).date()
    async with world.app.session_factory() as session, session.begin():
        activity = await session.scalar(select(Activity).order_by(Activity.id))
        assert activity is not None
        activity.due_date = today + timedelta(days=9)
    events, _, _ = await _calendar(world, olga)
    assert events[f"activity-{activity.id}@kurator"].decoded("DTSTART") == activity.due_date
    assert not any(uid.startswith("assignment-") for uid in events)  # not a curator
