"""The DOCX report from the CLI: a valid Word package whose title, summary and table say what
the database says, and whose numbers are the XLSX report's."""

from __future__ import annotations

import asyncio
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select, update

from core.clock import ManualClock
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, School
from tests.e2e.test_dashboard import seeded
from tests.harness import World

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ZONE = ZoneInfo("Asia/Yekaterinburg")


# One fixed moment: the report's day rules are the report data's, which the XLSX tests
# (tests/e2e/test_status.py) run at every moment CI varies.
@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))


async def _late_and_on_time(world: World) -> None:
    """Two accepted items handed in after their date, the others on time."""
    async with world.app.session_factory() as session, session.begin():
        accepted = list(
            await session.scalars(
                select(Assignment)
                .where(Assignment.status == AssignmentStatus.ACCEPTED)
                .order_by(Assignment.id)
            )
        )
        for index, item in enumerate(accepted):
            day = item.due_date or world.clock.now().date()
            shift = timedelta(days=2) if index < 2 else timedelta(days=-1)
            moment = datetime.combine(day + shift, datetime.min.time(), ZONE).replace(hour=10)
            await session.execute(
                update(Assignment).where(Assignment.id == item.id).values(submitted_at=moment)
            )


async def _expected(world: World) -> dict[str, Counter[str]]:
    """Per school: how many items stand how (from the database)."""
    today = world.clock.now().astimezone(ZONE).date()
    async with world.app.session_factory() as session:
        rows = (
            await session.execute(
                select(School.name, Assignment.status, Assignment.due_date)
                .join(School, School.id == Assignment.school_id)
                .join(Activity, Activity.id == Assignment.activity_id)
                .where(Assignment.status != AssignmentStatus.CANCELLED)
            )
        ).all()
    found: dict[str, Counter[str]] = {}
    for name, status, due in rows:
        counts = found.setdefault(name, Counter())
        counts[status.value] += 1
        late = status in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED) and due and due < today
        counts["overdue"] += int(bool(late))
    return found


def _cells(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


async def test_docx_report_per_school_matches_the_database_and_the_xlsx(
    world: World, tmp_path: Path
) -> None:
    await seeded(world)
    await _late_and_on_time(world)
    async with world.app.session_factory() as session:
        plan = await session.scalar(select(Plan))
    assert plan is not None
    out, xlsx = tmp_path / "report.docx", tmp_path / "report.xlsx"
    await world.cli("report", str(plan.id), "--out", str(out))
    await world.cli("report", str(plan.id), "--out", str(xlsx))

    # A valid OOXML package: every part readable, the main part well-formed, types declared.
    with zipfile.ZipFile(out) as package:
        assert package.testzip() is None
        types = package.read("[Content_Types].xml").decode()
        assert "wordprocessingml.document.main+xml" in types
        etree.fromstring(package.read("word/document.xml"))
    document = await asyncio.to_thread(Document, str(out))
    texts = [p.text for p in document.paragraphs]
    assert "Отчёт о выполнении плана мероприятий" in texts and plan.title in texts
    today = world.clock.now().astimezone(ZoneInfo(plan.timezone)).date()
    assert f"Дата отчёта: {today:%d.%m.%Y}" in texts
    assert any(t.startswith("Ответственный ____") for t in texts)
    assert all(s.orientation == WD_ORIENT.LANDSCAPE for s in document.sections)

    summary, table = document.tables
    expected = await _expected(world)
    every = sum((c for c in expected.values()), Counter())
    total = sum(every[s] for s in ("open", "returned", "submitted", "accepted"))
    last = _cells(summary)[-1]
    assert last[0] == "Итого"
    assert [int(x) for x in last[1:7]] == [
        total,
        every["accepted"] - 2,  # on time
        2,  # late
        every["submitted"],
        every["open"] + every["returned"] - every["overdue"],  # in work, the date not passed
        every["overdue"],  # "не выполнено": only work past its date
    ]
    line = next(t for t in texts if t.startswith("Всего мероприятий"))
    assert f"пунктов плана по организациям: {total}" in line and "с опозданием: 2" in line

    # The plan's table: the header repeats on each page; a school's line, then its items.
    rows = _cells(table)
    assert rows[0][-2:] == ["Отметка о выполнении", "Подтверждающие материалы"]
    assert table.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    by_school: dict[str, Counter[str]] = {}
    school = ""
    for row, cells in zip(table.rows[1:], rows[1:], strict=True):
        if len(set(cells)) == 1:  # the merged line naming the school
            school = cells[0]
            continue
        marks = by_school.setdefault(school, Counter())
        mark = cells[4]
        kind = (
            "accepted"
            if mark.startswith("принято")
            else "submitted"
            if mark.startswith("на проверке")
            else "returned"
            if mark.startswith("возвращено")
            else "open"
        )
        marks[kind] += 1
        shaded = row._tr.find(f"{W}tc/{W}tcPr/{W}shd")
        is_late = "просрочено на" in mark
        marks["overdue"] += int(is_late)
        assert (shaded is not None and shaded.get(f"{W}fill") == "FFC7CE") == is_late
    assert by_school == {name: +counts for name, counts in expected.items()}
    assert any("Приказ издан" in cells[5] for cells in rows)  # the submission's comment

    # The XLSX summary has the same numbers, group by group.
    book = await asyncio.to_thread(load_workbook, xlsx, read_only=True)
    sheet = book["Сводка"]
    xlsx_rows = {
        r[0]: r[1:6] for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] is not None
    }
    for cells in _cells(summary)[1:]:
        label, numbers = cells[0], [int(x) for x in cells[1:7]]
        total_, on_time, late, submitted, in_work, overdue = numbers
        assert xlsx_rows[label] == (total_, on_time + late, submitted, in_work + overdue, overdue)


async def test_aggregated_and_school_reports(world: World, tmp_path: Path) -> None:
    _, _, school = await seeded(world)
    async with world.app.session_factory() as session:
        plan = await session.scalar(select(Plan))
        activities = await session.scalar(
            select(Activity.id).where(Activity.cancelled_at.is_(None)).limit(1)
        )
    assert plan is not None and activities is not None
    whole = tmp_path / "whole.docx"
    await world.cli("report", str(plan.id), "--aggregate", "--out", str(whole))
    table = (await asyncio.to_thread(Document, str(whole))).tables[1]
    rows = _cells(table)[1:]
    assert all("выполнено:" in cells[4] and " из 3 " in cells[4] for cells in rows)
    own = tmp_path / "own.docx"
    await world.cli("report", str(plan.id), "--school", str(school), "--out", str(own))
    document = await asyncio.to_thread(Document, str(own))
    texts = [p.text for p in document.paragraphs]
    assert "Образовательная организация: МАОУ «СОШ № 21 г. Челябинска»" in texts
    names = {cells[0] for cells in _cells(document.tables[1])[1:] if len(set(cells)) == 1}
    assert names == set()  # one school: no school lines, only its items
    assert len(_cells(document.tables[1])) - 1 == int(_cells(document.tables[0])[-1][1])
    refused = await world.cli(
        "report", str(plan.id), "--school", "x", "--out", str(own), check=False
    )
    assert refused.returncode != 0


async def test_report_in_chat_word_for_a_coordinator_and_a_curator(world: World) -> None:
    alice, olga, school = await seeded(world)
    await olga.send("/report")
    offer = await olga.expect_reply("в каком виде")
    await olga.press("📄 Word: по школам", offer)
    document = await olga.expect_reply("Отчёт")
    assert document.raw["document"]["file_name"].endswith(".docx")
    await alice.send("/report")  # a curator: the school's own report only
    own = await alice.expect_reply("в каком виде")
    assert own.buttons == ["📄 Word: МАОУ «СОШ № 21 г. Челябинска»"]
    await alice.press(own.buttons[0], own)
    mine = await alice.expect_reply("Отчёт")
    file = await world.app.bot.get_file(mine.raw["document"]["file_id"])
    data = await world.app.bot.download_file(file.file_path or "")
    assert data is not None
    report = Document(data)
    assert "Образовательная организация: МАОУ «СОШ № 21 г. Челябинска»" in [
        p.text for p in report.paragraphs
    ]
    assert school
