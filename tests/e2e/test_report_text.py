"""People's text in the reports: a formula stays text in the XLSX, a control character in a
title or a school name cannot break the Word report, and no title moves its table."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from sqlalchemy import select, update

from core.clock import ManualClock
from db.models import Activity, Plan, School
from tests.e2e.test_dashboard import seeded
from tests.harness import World

FORMULA = '=HYPERLINK("http://x", "нажмите")'


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 30, 6, 0, tzinfo=UTC))


async def _plan_id(world: World) -> int:
    async with world.app.session_factory() as session:
        plan_id = await session.scalar(select(Plan.id))
    assert plan_id is not None
    return int(plan_id)


async def test_a_title_like_a_formula_is_a_string_in_the_xlsx(world: World, tmp_path: Path) -> None:
    await seeded(world)
    async with world.app.session_factory() as session, session.begin():
        first = await session.scalar(select(Activity.id).order_by(Activity.position).limit(1))
        await session.execute(
            update(Activity).where(Activity.id == first).values(title=FORMULA, number=None)
        )
        await session.execute(update(Activity).values(section="+7 (900) раздел"))
    out = tmp_path / "report.xlsx"
    await world.cli("report", str(await _plan_id(world)), "--out", str(out))
    book = await asyncio.to_thread(openpyxl.load_workbook, out)
    cells = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and ("HYPERLINK" in cell.value or "+7" in cell.value)
    ]
    sheets = {cell.parent.title for cell in cells}
    assert {"Матрица", "Подробно"} <= sheets  # the matrix's head and the details' rows
    assert all(cell.data_type == "s" for cell in cells), [
        (c.parent.title, c.coordinate, c.data_type) for c in cells if c.data_type != "s"
    ]
    assert any(cell.value == FORMULA for cell in cells)


async def test_control_characters_in_titles_and_school_names_do_not_break_the_word_report(
    world: World, tmp_path: Path
) -> None:
    _, _, school = await seeded(world)
    async with world.app.session_factory() as session, session.begin():
        await session.execute(update(Plan).values(title="План\x01 работы\x0b на год\x7f"))
        await session.execute(
            update(School).where(School.id == school).values(name="МАОУ «СОШ\x01 № 21»\x1b")
        )
        await session.execute(update(Activity).values(section="Раздел\x02 1"))
    plan_id = str(await _plan_id(world))
    whole, own = tmp_path / "whole.docx", tmp_path / "own.docx"
    await world.cli("report", plan_id, "--out", str(whole))
    await world.cli("report", plan_id, "--school", str(school), "--out", str(own))
    document = await asyncio.to_thread(Document, str(whole))
    texts = [p.text for p in document.paragraphs]
    assert "План работы\n на год" in texts  # \x0b: a line break in Word's text
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    # The summary is by stage where the plan has them (sections stay in the data): no cell
    # carries a control character, whatever it names.
    assert not any(ch in text for text in cells for ch in "\x01\x02\x0b\x1b\x7f")
    rows = {cell.text for row in document.tables[1].rows for cell in row.cells}
    assert "МАОУ «СОШ № 21»" in rows
    own_texts = [p.text for p in (await asyncio.to_thread(Document, str(own))).paragraphs]
    assert "Образовательная организация: МАОУ «СОШ № 21»" in own_texts


async def test_a_title_like_the_old_splice_marker_stays_text_and_the_table_its_place(
    world: World, tmp_path: Path
) -> None:
    title = "KURATOR-PLAN-TABLE"  # the marker the table was once spliced at
    await seeded(world)
    async with world.app.session_factory() as session, session.begin():
        await session.execute(update(Plan).values(title=title))
    out = tmp_path / "report.docx"
    await world.cli("report", str(await _plan_id(world)), "--out", str(out))
    document = await asyncio.to_thread(Document, str(out))
    body = [
        ("table" if child.tag.endswith("}tbl") else "".join(child.xpath(".//w:t/text()")))
        for child in document.element.body.iterchildren()
        if child.tag.endswith(("}tbl", "}p"))
    ]
    assert body.count(title) == 1  # the title, as typed, in its own paragraph
    heading = body.index("Отчёт о выполнении плана мероприятий")
    assert body[heading + 1] == title
    tables = [index for index, kind in enumerate(body) if kind == "table"]
    signature = next(i for i, text in enumerate(body) if text.startswith("Ответственный ____"))
    assert len(tables) == 2 and heading < tables[0] < tables[1] < signature


async def test_a_title_naming_a_placeholder_fills_the_template_as_typed(
    world: World, tmp_path: Path
) -> None:
    await seeded(world)
    async with world.app.session_factory() as session, session.begin():
        await session.execute(update(Plan).values(title="План {{date}}"))
    template = tmp_path / "template.docx"
    letterhead = Document()
    letterhead.add_paragraph("{{title}} / {{date}}")
    letterhead.save(str(template))
    out = tmp_path / "report.docx"
    plan_id = str(await _plan_id(world))
    await world.cli("report", plan_id, "--template", str(template), "--out", str(out))
    first = (await asyncio.to_thread(Document, str(out))).paragraphs[0].text
    assert first == "План {{date}} / 30.11.2026"
