"""Issue 28, section 3: statuses that are true, the same words on every surface.

Handed-in work is judged by the day it was handed in, never shown as overdue (the chat card,
/my, /status, the XLSX and Word reports, the dashboard); an item whose date has not come is
"срок не наступил", never "не выполнено". One history for all: plan 001 imported on
2 November 2020, the order (due 10 November) handed in that day and accepted, the self-review
information (due 30 November) handed in on 3 December and accepted, the 2019 training handed in
on 3 December and still on review; everything read on 7 December.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.settings import Settings
from core.clock import ManualClock
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan
from emulator import FakeUser
from emulator.client import BotMessage
from tests.e2e.test_curator_flows import _setup
from tests.e2e.test_dashboard import WEBAPP, page_for
from tests.harness import TOKEN, World

EARLY = "Издание приказа"  # due 10.11.2020, handed in 02.11.2020, accepted
LATE = "Предоставление информации по самооценке"  # due 30.11.2020, handed in 03.12.2020
ON_REVIEW = "Организация и проведение обучения классных руководителей"  # due Nov 2019
NOT_DUE = "Участие в VI Международной"  # 1-15 марта 2021
T = TypeVar("T")
OVERDUE_WORDS = ("просрочено", "не выполнено", "⚠️")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))  # 11:00 in Yekaterinburg


@pytest.fixture
def settings(server, db_url, tmp_path: Path) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=False,
        evidence_dir=str(tmp_path / "evidence"),
        webapp_url=WEBAPP,
        webhook_port=0,
        callback_answer_seconds=10,
        _env_file=None,
    )


def _number(listing: str, title: str) -> str | None:
    """The number /my or /status gives the item whose title starts with `title`."""
    for line in listing.splitlines():
        found = re.match(r"(\d+)\. (?:⚠️ )?(.*)", line)
        if found and found.group(2).startswith(title):
            return found.group(1)
    return None


def _line(listing: str, title: str) -> str:
    """The item's line in a list, with the line under it (/my puts the date there)."""
    lines = listing.splitlines()
    for index, line in enumerate(lines):
        if re.match(rf"\d+\. (?:⚠️ )?{re.escape(title)}", line):
            return "\n".join(lines[index : index + 2])
    raise AssertionError(f"{title!r} not in {listing!r}")


async def _my(alice: FakeUser, title: str, done: bool = False) -> tuple[BotMessage, str]:
    """/my (or its ✅ Готово view), paged until the item shows: the page and its number."""
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые")
    if done:
        await alice.press("✅ Готово", listing)
        listing = await alice.expect_edit()
    while (number := _number(listing.text, title)) is None:
        assert "▶️" in listing.buttons, f"{title!r} not in /my"
        await alice.press("▶️", listing)
        listing = await alice.expect_edit()
    return listing, number


async def _card(alice: FakeUser, title: str, done: bool = False) -> BotMessage:
    listing, number = await _my(alice, title, done)
    await alice.press(number, listing)
    return await alice.expect_reply("Статус:")


async def _hand_in(alice: FakeUser, olga: FakeUser, title: str, accept: bool) -> None:
    """The curator marks the item done in chat; the coordinator accepts it or leaves it."""
    card = await _card(alice, title)
    await alice.press("✅ Выполнено", card)
    await alice.expect_reply("Отмечаем выполнение")
    await alice.send("Сделано, справка у завуча")
    await alice.expect_reply("комментарий есть")
    await alice.press("✅ Отправить")
    await alice.expect_reply("Отправлено на проверку")
    request = await olga.expect_reply("На проверку")
    if accept:
        await olga.press("✅ Принять", request)
        await alice.expect_reply("✅ Принято")


@dataclass
class History:
    alice: FakeUser
    olga: FakeUser
    school: int
    plan_id: int
    dues: dict[str, date]
    activities: dict[str, int]

    def days_late(self, title: str, handed_in: date) -> int:
        return (handed_in - self.dues[title]).days


async def _history(world: World) -> History:
    alice, olga, school = await _setup(world)
    async with world.app.session_factory() as session:
        plan_id = await session.scalar(select(Plan.id))
        found = (
            await session.execute(
                select(Activity.title, Activity.id, Assignment.due_date).join(
                    Assignment, Assignment.activity_id == Activity.id
                )
            )
        ).all()
    assert plan_id is not None
    dues: dict[str, date] = {}
    activities: dict[str, int] = {}
    for title, activity_id, due in found:
        key = next((t for t in (EARLY, LATE, ON_REVIEW, NOT_DUE) if title.startswith(t)), None)
        if key is not None and due is not None:
            dues[key], activities[key] = due, activity_id
    assert dues[EARLY] == date(2020, 11, 10) and dues[LATE] == date(2020, 11, 30)
    assert dues[ON_REVIEW] < date(2020, 1, 1) and dues[NOT_DUE] > date(2020, 12, 7)
    await _hand_in(alice, olga, EARLY, accept=True)  # eight days early
    world.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]  # 3 December
    await _hand_in(alice, olga, LATE, accept=True)
    await _hand_in(alice, olga, ON_REVIEW, accept=False)
    world.clock.advance(timedelta(days=4))  # type: ignore[attr-defined]  # 7 December
    return History(alice, olga, school, plan_id, dues, activities)


HANDED_IN = date(2020, 12, 3)


async def test_handed_in_work_is_never_overdue_in_chat(world: World) -> None:
    h = await _history(world)
    late = h.days_late(LATE, HANDED_IN)
    on_review = h.days_late(ON_REVIEW, HANDED_IN)
    assert late == 3

    # The card of work accepted eight days early, read 27 days after its date.
    card = await _card(h.alice, EARLY, done=True)
    assert "Статус: принят" in card.text and "сдано в срок" in card.text, card.text
    assert not any(word in card.text for word in OVERDUE_WORDS), card.text
    card = await _card(h.alice, LATE, done=True)
    assert f"сдано с опозданием на {late} дн." in card.text, card.text
    assert "просрочено" not in card.text, card.text
    card = await _card(h.alice, ON_REVIEW, done=True)
    assert f"сдано с опозданием на {on_review} дн." in card.text, card.text
    assert "просрочено" not in card.text, card.text

    # /my → ✅ Готово: each handed-in item says whether it came in time, none is marked late.
    listing, _ = await _my(h.alice, EARLY, done=True)
    assert "сдано в срок" in _line(listing.text, EARLY), listing.text
    assert f"сдано с опозданием на {late} дн." in _line(listing.text, LATE), listing.text
    assert f"сдано с опозданием на {on_review} дн." in _line(listing.text, ON_REVIEW)
    assert "⚠️" not in listing.text and "просрочено" not in listing.text, listing.text

    # The coordinator's /status → the school: the same words.
    await h.olga.send("/status")
    summary = await h.olga.expect_reply("Всего")
    await h.olga.press(summary.buttons[1], summary)  # [0] is the chart
    direction = await h.olga.expect_reply()
    await h.olga.press("1", direction)
    school = await h.olga.expect_reply()
    assert _line(school.text, EARLY).split("\n")[0].endswith("— принято, сдано в срок")
    assert f"принято, сдано с опозданием на {late} дн." in _line(school.text, LATE)
    assert f"на проверке, сдано с опозданием на {on_review} дн." in _line(school.text, ON_REVIEW)
    for title in (EARLY, LATE, ON_REVIEW):
        assert "⚠️" not in _line(school.text, title).split("\n")[0], school.text


def _xlsx_details(path: Path) -> dict[str, str]:
    book = load_workbook(path, read_only=True)
    found = {
        str(row[2]): str(row[3])
        for row in book["Подробно"].iter_rows(min_row=2, values_only=True)
        if row[2]
    }
    late = {str(row[2]) for row in book["Просрочено"].iter_rows(min_row=2, values_only=True)}
    book.close()
    return {
        title: f"{words}{' [late sheet]' if title in late else ''}"
        for title, words in found.items()
    }


def _by_title(rows: dict[str, T], title: str) -> T:
    return next(value for key, value in rows.items() if key.startswith(title))


def _docx_marks(path: Path) -> tuple[list[str], list[tuple[str, str, bool]]]:
    """The document's paragraphs, and per item its title, mark and whether it is shaded red."""
    document = Document(str(path))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    marks = []
    for row in document.tables[1].rows[1:]:
        cells = [cell.text for cell in row.cells]
        if len(set(cells)) == 1:
            continue  # a school's line
        shade = row._tr.find(f"{w}tc/{w}tcPr/{w}shd")
        marks.append((cells[1], cells[4], shade is not None and shade.get(f"{w}fill") == "FFC7CE"))
    return [p.text for p in document.paragraphs], marks


def _mark(marks: list[tuple[str, str, bool]], title: str) -> tuple[str, bool]:
    found = [(mark, shaded) for name, mark, shaded in marks if name.startswith(title)]
    assert len(found) == 1, (title, marks)
    return found[0]


async def test_handed_in_work_is_never_overdue_in_reports(world: World, tmp_path: Path) -> None:
    h = await _history(world)
    late = h.days_late(LATE, HANDED_IN)
    on_review = h.days_late(ON_REVIEW, HANDED_IN)
    xlsx, docx = tmp_path / "report.xlsx", tmp_path / "report.docx"
    await world.cli("report", str(h.plan_id), "--out", str(xlsx))
    await world.cli("report", str(h.plan_id), "--out", str(docx))

    details = await asyncio.to_thread(_xlsx_details, xlsx)
    assert _by_title(details, EARLY) == "принято, сдано в срок"
    assert _by_title(details, LATE) == f"принято, сдано с опозданием на {late} дн."
    assert _by_title(details, ON_REVIEW) == f"на проверке, сдано с опозданием на {on_review} дн."

    _, marks = await asyncio.to_thread(_docx_marks, docx)
    assert _mark(marks, EARLY) == ("принято, сдано в срок (02.11.2020)", False)
    assert _mark(marks, LATE) == (
        f"принято, сдано с опозданием на {late} дн. (03.12.2020)",
        False,
    )
    assert _mark(marks, ON_REVIEW) == (
        f"на проверке, сдано с опозданием на {on_review} дн. (03.12.2020)",
        False,
    )


async def test_handed_in_work_is_never_overdue_on_the_dashboard(world: World) -> None:
    h = await _history(world)
    page = await page_for(world, h.olga)
    cards: dict[str, Any] = {}
    for title in (EARLY, LATE, ON_REVIEW, NOT_DUE):
        activity = h.activities[title]
        cards[title] = await page.ok(f"api/card?activity={activity}&school={h.school}")
    assert (cards[EARLY]["code"], cards[EARLY]["dueNote"]) == ("a", "сдано в срок")
    late = h.days_late(LATE, HANDED_IN)
    assert (cards[LATE]["code"], cards[LATE]["dueNote"]) == (
        "a",
        f"сдано с опозданием на {late} дн.",
    )
    on_review = h.days_late(ON_REVIEW, HANDED_IN)
    assert cards[ON_REVIEW]["code"] == "s"
    assert cards[ON_REVIEW]["dueNote"] == f"сдано с опозданием на {on_review} дн."
    assert cards[NOT_DUE]["code"] == "n" and cards[NOT_DUE]["dueNote"].startswith("через ")
    # The matrix: the same letters, handed-in work never "o".
    answer = await page.ok(f"api/matrix?plan={h.plan_id}")
    columns = [c["id"] for c in answer["columns"]]
    line = answer["rows"][0]["cells"]
    for title in (EARLY, LATE, ON_REVIEW, NOT_DUE):
        assert line[columns.index(h.activities[title])] == cards[title]["code"]


async def test_an_item_whose_date_has_not_come_is_not_undone(world: World, tmp_path: Path) -> None:
    h = await _history(world)
    docx, aggregated, xlsx = (tmp_path / n for n in ("r.docx", "a.docx", "r.xlsx"))
    await world.cli("report", str(h.plan_id), "--out", str(docx))
    await world.cli("report", str(h.plan_id), "--aggregate", "--out", str(aggregated))
    await world.cli("report", str(h.plan_id), "--out", str(xlsx))
    today = date(2020, 12, 7)
    async with world.app.session_factory() as session:
        dues = list(
            await session.scalars(
                select(Assignment.due_date).where(
                    Assignment.school_id == h.school, Assignment.status == AssignmentStatus.OPEN
                )
            )
        )
    overdue = sum(1 for d in dues if d is not None and d < today)
    waiting = len(dues) - overdue
    assert overdue and waiting

    paragraphs, marks = await asyncio.to_thread(_docx_marks, docx)
    assert _mark(marks, NOT_DUE) == ("срок не наступил", False)
    undone = [mark for _, mark, _ in marks if mark.startswith("не выполнено")]
    assert len(undone) == overdue, marks
    assert all("просрочено на" in mark for mark in undone)
    assert all(shaded == mark.startswith("не выполнено") for _, mark, shaded in marks)
    assert sum(mark == "срок не наступил" for _, mark, _ in marks) == waiting
    line = next(p for p in paragraphs if p.startswith("Всего мероприятий"))
    assert f"в работе (срок не истёк): {waiting}" in line, line
    assert f"не выполнено (срок истёк): {overdue}" in line, line

    document = await asyncio.to_thread(Document, str(aggregated))
    rows = [[c.text for c in row.cells] for row in document.tables[1].rows[1:]]
    not_due = next(cells[4] for cells in rows if cells[1].startswith(NOT_DUE))
    assert "в работе: 1" in not_due and "не выполнено" not in not_due, not_due

    # The same words, from the same place, in the XLSX and in chat.
    details = await asyncio.to_thread(_xlsx_details, xlsx)
    assert _by_title(details, NOT_DUE) == "срок не наступил"
    await h.olga.send("/status")
    summary = await h.olga.expect_reply("Всего")
    await h.olga.press(summary.buttons[1], summary)
    direction = await h.olga.expect_reply()
    await h.olga.press("1", direction)
    school = await h.olga.expect_reply()
    assert _line(school.text, NOT_DUE).split("\n")[0].endswith("— срок не наступил")
