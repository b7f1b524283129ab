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
from sqlalchemy import func, select, update

from core.clock import ManualClock
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, School, Stage
from reports.layout import Columns, ColumnText, share, text_width
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

    # The summary is split by the road map's stages (it has no directions), each stage's
    # numbers the database's; its total is the XLSX summary's.
    stages = await _by_stage(world)
    lines = {cells[0]: [int(x) for x in cells[1:7]] for cells in _cells(summary)[1:-1]}
    assert _cells(summary)[0][0] == "Этап" and set(lines) == set(stages)
    assert {label: numbers[0] for label, numbers in lines.items()} == stages
    book = await asyncio.to_thread(load_workbook, xlsx, read_only=True)
    sheet = book["Сводка"]
    xlsx_total = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] == "Итого")
    total_, on_time, late, submitted, in_work, overdue = (int(x) for x in last[1:7])
    assert xlsx_total[1:6] == (total_, on_time + late, submitted, in_work + overdue, overdue)
    assert last[7] == f"{round(100 * (on_time + late) / total_)}\u00a0%"


async def _by_stage(world: World) -> dict[str, int]:
    """Items per stage of the plan, from the database."""
    async with world.app.session_factory() as session:
        rows = (
            await session.execute(
                select(Stage.title, func.count())
                .select_from(Assignment)
                .join(Activity, Activity.id == Assignment.activity_id)
                .join(Stage, Stage.id == Activity.stage_id)
                .where(Assignment.status != AssignmentStatus.CANCELLED)
                .group_by(Stage.title)
            )
        ).all()
    return {title: count for title, count in rows}


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
    # One school: each activity is one item, said once.
    line = next(t for t in texts if t.startswith("Всего мероприятий"))
    assert line.startswith("Всего мероприятий: 23. Выполнено в срок:"), line
    assert "пунктов плана по организациям" not in line
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
    await olga.press("📄 Word: сводный по мероприятиям", offer)
    summary = await olga.expect_reply("отчёт")
    # Two variants, two readable names and captions: neither overwrites the other.
    day = f"{world.clock.now().astimezone(ZONE):%d.%m.%Y}"
    names = [m.raw["document"]["file_name"] for m in (document, summary)]
    assert names[0].startswith("Отчёт по школам — ДОРОЖНАЯ КАРТА МАОУ «СОШ № 21")
    assert names[1].startswith("Сводный отчёт по мероприятиям — ДОРОЖНАЯ КАРТА")
    assert all(n.endswith(f"… — {day}.docx") and len(n) < 120 for n in names), names
    assert document.text.startswith("📊 Отчёт по школам (Word)")
    assert summary.text.startswith("📊 Сводный отчёт по мероприятиям (Word)")
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


async def test_word_layout_widths_dates_and_page_numbers(world: World, tmp_path: Path) -> None:
    """Headers never break inside a word (each column holds its longest header word at the
    header's size, measured in the font LibreOffice lays Times out with); widths come from the
    content; the date printed is the one the plan runs on, its own text noted where it differs;
    every page says "Страница N из M"."""
    await seeded(world)
    async with world.app.session_factory() as session:
        plan = await session.scalar(select(Plan))
    assert plan is not None
    for variant in ((), ("--aggregate",)):
        out = tmp_path / f"report{len(variant)}.docx"
        await world.cli("report", str(plan.id), *variant, "--out", str(out))
        document = await asyncio.to_thread(Document, str(out))
        section = document.sections[0]
        assert section.page_width and section.left_margin and section.right_margin
        room = (section.page_width - section.left_margin - section.right_margin) // 635
        for table in document.tables:
            grid = [int(c.get(f"{W}w")) for c in table._tbl.findall(f"{W}tblGrid/{W}gridCol")]
            assert abs(sum(grid) - room) <= len(grid)  # the tables fill the text's width
            head = table.rows[0]
            assert head._tr.find(f"{W}trPr/{W}tblHeader") is not None
            for cell, width in zip(head.cells, grid, strict=True):
                size = cell.paragraphs[0].runs[0].font.size.pt
                assert size <= 10
                longest = max(text_width(w, size, bold=True) for w in cell.text.split())
                assert longest + 200 <= width, (cell.text, longest, width)
        summary, table = document.tables
        grid = [int(c.get(f"{W}w")) for c in table._tbl.findall(f"{W}tblGrid/{W}gridCol")]
        assert grid[1] == max(grid) and grid[0] == min(grid)  # "Мероприятие" widest, "№" least
        assert all(cells[-1].endswith("\u00a0%") for cells in _cells(summary)[1:])
        dues = [c[2] for c in _cells(table) if c[1].startswith("Диагностика педагогического")]
        assert "30.11.2020\nв плане: «до 31.11.2020»" in dues  # as the plan has it
        moved = [d for d in dues if "(по плану 30.11.2020)" in d]  # a school's own date
        assert all(d.endswith("\nв плане: «до 31.11.2020»") for d in moved) and (moved or variant)
        dues = [c[2] for c in _cells(table) if c[1].startswith("Издание приказа")]
        assert "10.11.2020" in dues and not any("в плане" in d for d in dues)
        footer = section.footer.paragraphs[0]
        fields = [f.get(f"{W}instr").strip() for f in footer._p.iter(f"{W}fldSimple")]
        assert footer.text.startswith("Страница ") and " из " in footer.text
        assert fields == ["PAGE", "NUMPAGES"]


def test_columns_share_the_room_by_content() -> None:
    """No column below its longest word; a column of long text takes most of what is left."""
    short = ColumnText("Срок", 10, 11)
    long = ColumnText("Мероприятие", 10, 11)
    for _ in range(20):
        short.add("10.11.2020")
        long.add("Участие рабочей группы в совещаниях, семинарах, вебинарах по направлению")
    widths = Columns([short, long]).widths(8000)
    assert sum(widths) == 8000 and widths[0] >= short.least() and widths[1] > 2 * widths[0]
    assert share([100, 100], [300, 300], 1000, [1, 1]) == [500, 500]  # all fits: spread
    assert share([600, 600], [900, 900], 1000, [1, 1]) == [500, 500]  # not even the least
