"""Plan import in chat, issue 29: a long PDF shows its progress, a flagged row of a PDF names
its page, a month-grid циклограмма imports one item per mark."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import Settings
from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from db.models import Activity
from handlers import plan_import
from importer.draft import DraftSchool
from importer.files import load_plan
from tests.harness import TOKEN, World

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"


async def _coordinator(world: World):
    person = await world.person("Ольга", "Методист")
    await person.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await person.expect_reply("координатор")
    return person


async def test_a_long_pdf_shows_pages_read_and_a_flagged_row_its_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan_import, "PROGRESS_MIN_PAGES", 2)  # three pages count as long here
    olga = await _coordinator(world)
    await olga.upload(("plan.pdf", (PLANS / "merged_across_pages.pdf").read_bytes()))
    await olga.expect_reply("⏳ Читаю файл: страница 1 из 3")
    assert "✅ Файл прочитан: страниц 3" in (await olga.expect_edit()).text
    preview = await olga.expect_reply("Мероприятий: 60")
    # Rows 20-50 share one merged cell the page breaks cut: only row 60 has no date.
    assert "Требуют внимания: 1" in preview.text
    assert "Мероприятие 60 — колонка «Сроки» пуста, стр. 3" in preview.text
    await olga.press("✅ Импортировать", preview)
    await olga.expect_reply("⏳ Читаю файл")  # read again on confirmation
    assert "План импортирован" in (await olga.expect_reply()).text


async def test_a_short_file_shows_no_progress(world: World) -> None:
    olga = await _coordinator(world)
    await olga.upload(("plan.pdf", (PLANS / "merged_across_pages.pdf").read_bytes()))
    await olga.expect_reply("Мероприятий: 60")  # the preview is the first answer


async def test_a_month_grid_imports_one_item_per_mark(world: World) -> None:
    olga = await _coordinator(world)
    await olga.upload(("cyclogram.docx", (PLANS / "grid_cyclogram.docx").read_bytes()))
    preview = await olga.expect_reply("Мероприятий: 13")
    assert "Циклограмма внутришкольного контроля" in preview.text
    assert "Требуют внимания: 2" in preview.text
    await olga.press("✅ Импортировать", preview)
    assert "План импортирован" in (await olga.expect_reply()).text
    async with world.app.session_factory() as session:
        titles = list(
            await session.scalars(
                select(Activity.title)
                .where(Activity.title.startswith("Проверка классных журналов"))
                .order_by(Activity.due_date)
            )
        )
    assert titles == [
        f"Проверка классных журналов — {month}"
        for month in ("сентябрь", "ноябрь", "январь", "апрель")
    ]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2020, 11, 2, 6, 0, tzinfo=UTC))


@pytest.fixture
def settings(server, db_url, tmp_path: Path) -> Settings:
    return Settings(
        bot_token=TOKEN,
        telegram_api_url=server.url,
        database_url=db_url,
        polling_timeout=10,
        scheduler_enabled=False,
        evidence_dir=str(tmp_path / "evidence"),
        _env_file=None,
    )


async def test_my_items_show_each_rows_next_occurrence_and_the_overdue_ones(world: World) -> None:
    school = await world.add_school("МБОУ СОШ № 7")
    vera = await world.person("Вера")
    await vera.send(f"/start {await world.invite(Role.CURATOR, school)}")
    await vera.expect_reply("куратор")
    draft = load_plan((PLANS / "grid_cyclogram.docx").read_bytes(), "grid_cyclogram.docx")
    draft.schools, draft.single_school = [DraftSchool("s7", "МБОУ СОШ № 7")], "s7"
    async with world.app.session_factory() as session, session.begin():
        await import_plan(session, world.clock, draft, timezone="Asia/Yekaterinburg")
    await vera.send("/my")
    # 13 occurrences; on 2 November the journals' January and April, the control works' May
    # wait behind the occurrence due next of their rows.
    listing = await vera.expect_reply("Все открытые: 10")
    await vera.press("⚠️ Просрочено", listing)
    assert "Просроченные: 4" in (await vera.expect_edit()).text
