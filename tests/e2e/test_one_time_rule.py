"""One rule for a time wherever a person reads it: the same submission shows the same clock
time, its zone named, in the evidence index (chat and CLI), the XLSX report and the dashboard's
card and history (issue 32). The plan runs on Yekaterinburg's clock; the bot's default is
Moscow's, two hours behind."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from bot.callbacks import ItemAct
from bot.settings import Settings
from core.clock import ManualClock
from db.models import Activity, Assignment, Submission
from emulator import FakeUser
from tests.e2e.test_dashboard import WEBAPP, page_for
from tests.e2e.test_evidence_archive import _read, _world
from tests.harness import World

ZONE = "по Екатеринбургу"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 30, 4, 7, tzinfo=UTC))  # 09:07 in Yekaterinburg


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webapp_url": WEBAPP, "webhook_port": 0})


async def _archive_in_chat(world: World, olga: object) -> list[list[str]]:
    await olga.send("/evidence")  # type: ignore[attr-defined]
    document = await olga.expect_reply("Материалы")  # type: ignore[attr-defined]
    file = await world.app.bot.get_file(document.raw["document"]["file_id"])
    data = await world.app.bot.download_file(file.file_path or "")
    assert data is not None
    with zipfile.ZipFile(io.BytesIO(data.read())) as archive:
        text = archive.read("опись.csv").decode("utf-8-sig")
    return [line.split(";") for line in text.splitlines()]


async def test_a_submission_shows_one_time_in_every_document_and_screen(
    world: World, tmp_path: Path
) -> None:
    alice, olga, plan_id = await _world(world)
    assert isinstance(olga, FakeUser)  # the dashboard's launch data here are Telegram's
    async with world.app.session_factory() as session:
        row = (
            await session.execute(
                select(
                    Submission.created_at,
                    Assignment.activity_id,
                    Assignment.school_id,
                    Assignment.id,
                )
                .join(Assignment, Assignment.id == Submission.assignment_id)
                .join(Activity, Activity.id == Assignment.activity_id)
                .order_by(Submission.id)
                .limit(1)
            )
        ).one()
    sent, activity, school, assignment = row
    assert sent.astimezone(UTC).strftime("%H:%M") == "04:07"
    expected = f"{sent.astimezone(UTC):%d.%m.%Y} 09:07"  # the plan's clock, not Moscow's 07:07

    # The evidence index, from chat and from the command line: the column names the zone.
    chat = await _archive_in_chat(world, olga)
    out = tmp_path / "materials.zip"
    await world.cli("evidence", str(plan_id), "--out", str(out))
    _, cli = await asyncio.to_thread(_read, [out])
    for index in (chat, cli):
        head, first = index[0], index[1]
        column = head.index(f"Отправлено ({ZONE})")
        assert first[column] == expected
        assert f"Принято ({ZONE})" in head

    # The XLSX report: the same clock time under the same named zone.
    xlsx = tmp_path / "report.xlsx"
    await world.cli("report", str(plan_id), "--out", str(xlsx))
    book = await asyncio.to_thread(openpyxl.load_workbook, xlsx)
    details = book["Подробно"]
    head = [c.value for c in details[1]]
    column = head.index(f"Отправлено ({ZONE})")
    moments = [r[column] for r in details.iter_rows(min_row=2, values_only=True) if r[column]]
    assert f"{moments[0]:%d.%m.%Y %H:%M}" == expected

    # The dashboard's card: the time with its zone, the history's zone in its heading.
    page = await page_for(world, olga)
    card = await page.ok(f"api/card?activity={activity}&school={school}")
    assert card["submittedAt"] == f"{expected} {ZONE}"
    assert card["timesZone"] == ZONE
    assert any(line.split(" — ")[0].endswith(" 09:07") for line in card["history"])

    # The item's history in chat: the same clock and zone (Alice set no zone of her own; the
    # bot's default is Moscow's), as on the dashboard's card.
    await alice.send("/my")
    listing = await alice.expect_reply("Все открытые")  # on review: opened by its button
    await alice.press_data(listing, ItemAct(action="history", assignment_id=assignment).pack())
    history = (await alice.expect_reply("История")).text
    assert f"Время {ZONE}" in history
    sent_line = next(x for x in history.splitlines() if "отправила на проверку" in x)
    assert " 09:07 — " in sent_line, history
