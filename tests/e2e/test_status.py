"""/status and /overdue agree with a direct computation, in every time zone; drill-down works."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select, update

from bot import texts
from core.clock import ManualClock
from core.plan_import import import_plan
from core.roles import Role
from core.states import AssignmentStatus
from db.models import Activity, Assignment, Plan, PlanSchool, School
from importer.interpret import interpret
from importer.text_reader import read_text
from tests.harness import World
from tests.plan_files import seed_text

# 20:30 UTC on Nov 30: already Dec 1 in Yekaterinburg (+5) and Krasnoyarsk (+7), still Nov 30
# in Moscow (+3) — so an item due Nov 30 is overdue in two zones but not in the third.
NOW = datetime(2020, 11, 30, 20, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def _fixture(world: World) -> dict[str, int]:
    ekb = await world.add_school("МАОУ «СОШ № 21 г. Челябинска»", timezone="Asia/Yekaterinburg")
    msk = await world.add_school("ГБОУ «Школа № 7 г. Ломоносова»", timezone="Europe/Moscow")
    krs = await world.add_school("МБОУ «Богучанская СОШ № 1»", timezone="Asia/Krasnoyarsk")
    async with world.app.session_factory() as session, session.begin():
        await import_plan(
            session,
            world.clock,
            interpret(read_text(seed_text("001"))),
            timezone="Asia/Yekaterinburg",
        )
        draft = interpret(read_text(seed_text("004")), academic_year=2020)
        report = await import_plan(session, world.clock, draft, timezone="Asia/Krasnoyarsk")
        for school in (msk, krs):
            session.add(PlanSchool(plan_id=report.plan_id, school_id=school))
        await session.flush()
        await import_plan(session, world.clock, draft, timezone="Asia/Krasnoyarsk")
        # Every state: some accepted, some submitted, one returned, one due Nov 30 everywhere.
        ids = list(await session.scalars(select(Assignment.id).order_by(Assignment.id)))
        for index, assignment_id in enumerate(ids):
            status = {
                0: AssignmentStatus.ACCEPTED,
                1: AssignmentStatus.SUBMITTED,
                2: AssignmentStatus.RETURNED,
            }.get(index % 7)
            if status:
                await session.execute(
                    update(Assignment).where(Assignment.id == assignment_id).values(status=status)
                )
        await session.execute(
            update(Assignment)
            .where(Assignment.school_id.in_([msk, krs]))
            .values(due_date=date(2020, 11, 30))
        )
    return {"ekb": ekb, "msk": msk, "krs": krs}


async def _expected(world: World) -> dict[str, tuple[int, int, int, int, int]]:
    """Per plan title: total, accepted, submitted, open, overdue — computed row by row."""
    async with world.app.session_factory() as session:
        rows = (
            await session.execute(
                select(
                    Plan.title,
                    Plan.timezone,
                    Assignment.status,
                    Assignment.due_date,
                    School.timezone,
                )
                .join(Activity, Activity.id == Assignment.activity_id)
                .join(Plan, Plan.id == Activity.plan_id)
                .outerjoin(School, School.id == Assignment.school_id)
                .where(
                    Assignment.status != AssignmentStatus.CANCELLED, Activity.cancelled_at.is_(None)
                )
            )
        ).all()
    result: dict[str, list[int]] = {}
    for title, plan_zone, status, due, school_zone in rows:
        counts = result.setdefault(title, [0, 0, 0, 0, 0])
        today = NOW.astimezone(ZoneInfo(school_zone or plan_zone)).date()
        is_open = status in (AssignmentStatus.OPEN, AssignmentStatus.RETURNED)
        counts[0] += 1
        counts[1] += status == AssignmentStatus.ACCEPTED
        counts[2] += status == AssignmentStatus.SUBMITTED
        counts[3] += is_open
        counts[4] += bool(is_open and due is not None and due < today)
    return {title: tuple(c) for title, c in result.items()}  # type: ignore[misc]


async def test_status_numbers_match_a_direct_computation(world: World) -> None:
    schools = await _fixture(world)
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    expected = await _expected(world)
    await olga.send("/status")
    reply = await olga.expect_reply("Всего")
    found = re.findall(
        r"<?b?>?(.+)\nВсего (\d+): ✅ (\d+) \(\d+%\) · 📥 (\d+) · ⏳ (\d+) · ⚠️ (\d+)", reply.text
    )
    shown = {title.strip(): tuple(int(x) for x in numbers) for title, *numbers in found}
    assert shown == {texts.clip(title, 150): numbers for title, numbers in expected.items()}
    # The Moscow school's Nov 30 items are not overdue yet; Krasnoyarsk's are.
    async with world.app.session_factory() as session:
        open_msk = len(
            list(
                await session.scalars(
                    select(Assignment.id).where(
                        Assignment.school_id == schools["msk"],
                        Assignment.status.in_([AssignmentStatus.OPEN, AssignmentStatus.RETURNED]),
                    )
                )
            )
        )
    assert open_msk > 0
    await olga.send("/overdue")
    overdue = await olga.expect_reply("Просрочено по школам")
    assert "Богучанская" in overdue.text and "Ломоносова" not in overdue.text


async def test_drill_down_to_an_item_card_and_a_curators_view(world: World) -> None:
    schools = await _fixture(world)
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    await olga.send("/status")
    summary = await olga.expect_reply("Всего")
    await olga.press(summary.buttons[1], summary)  # [0] is the chart
    direction = await olga.expect_reply()
    assert "1." in direction.text
    await olga.press("1", direction)
    school = await olga.expect_reply()
    assert "1." in school.text
    await olga.press("1", school)
    card = await olga.expect_reply("Статус:")
    assert "Срок" in card.text or "срок" in card.text

    alice = await world.person("Алиса")
    await alice.send(f"/start {await world.invite(Role.CURATOR, schools['ekb'])}")
    await alice.expect_reply("куратор")
    await alice.send("/status")
    mine = await alice.expect_reply("Всего")
    assert (
        "ДОРОЖНАЯ КАРТА" in mine.text and "Богучанского" not in mine.text
    )  # only her school's plan
    forged = await alice.press_data(mine, "ss:2:0:" + str(schools["krs"]))
    # Another school's items are not shown: a plain refusal, no message at all.
    assert forged is not None and forged["text"] == texts.NOT_IN_SCOPE
    await alice.expect_silence()


async def test_xlsx_report_in_chat_and_cli_agree_with_the_database(world: World, tmp_path) -> None:
    import asyncio
    import io

    import openpyxl

    await _fixture(world)
    expected = await _expected(world)
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    await olga.send("/report")
    offers = [await olga.expect_reply("в каком виде"), await olga.expect_reply("в каком виде")]
    documents = []
    for offer in offers:  # one offer per plan: the spreadsheet, or Word
        assert offer.buttons == [
            "📊 Таблица XLSX",
            "📄 Word: по школам",
            "📄 Word: сводный по мероприятиям",
        ]
        await olga.press("📊 Таблица XLSX", offer)
        documents.append(await olga.expect_reply("Отчёт"))
    for document in documents:
        file = await world.app.bot.get_file(document.raw["document"]["file_id"])
        data = (await world.app.bot.download_file(file.file_path)).read()  # type: ignore[union-attr, arg-type]
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book.sheetnames == ["Сводка", "Матрица", "Подробно", "Просрочено"]
        summary = book["Сводка"]
        title = summary["A1"].value
        # Times are in the plan's zone and say so (20:30 UTC is 01:30 next day in Yekaterinburg).
        assert summary["A2"].value in (
            "Сформирован: 01.12.2020 01:30 по Екатеринбургу",
            "Сформирован: 01.12.2020 03:30 по Красноярску",
        )
        assert book["Подробно"]["F1"].value == "Срок по плану"
        assert book["Подробно"]["G1"].value in (
            "Отправлено (по Екатеринбургу)",
            "Отправлено (по Красноярску)",
        )
        total_row = next(r for r in summary.iter_rows(values_only=True) if r and r[0] == "Итого")
        assert tuple(total_row[1:6]) == expected[title]
        details = list(book["Подробно"].iter_rows(min_row=2, values_only=True))
        assert len(details) == expected[title][0]
        assert len(list(book["Просрочено"].iter_rows(min_row=2))) == expected[title][4]
        colours = {
            c.fill.fgColor.rgb[-6:]
            for row in book["Матрица"].iter_rows(min_row=2, min_col=2)
            for c in row
            if c.value
        }
        assert colours <= {"C6EFCE", "FFEB9C", "F8CBAD", "FFFFFF", "FFC7CE"} and "C6EFCE" in colours
    out = tmp_path / "report.xlsx"
    result = await world.cli("report", "ДОРОЖНАЯ КАРТА", "--out", str(out))
    title = next(t for t in expected if t.startswith("ДОРОЖНАЯ КАРТА"))
    total, accepted, submitted, open_, _ = expected[title]  # the CLI's "overdue" uses today
    assert (
        f"всего {total}, принято {accepted}, на проверке {submitted}, открыто {open_}"
        in result.stdout
    )
    book = openpyxl.load_workbook(io.BytesIO(await asyncio.to_thread(out.read_bytes)))
    assert book["Сводка"]["A1"].value == title
    # The counts /status reads agree with a full recount, and can be rebuilt from scratch.
    assert "совпадают" in (await world.cli("status", "check")).stdout
    assert "пересчитана" in (await world.cli("status", "rebuild")).stdout
    assert "совпадают" in (await world.cli("status", "check")).stdout


async def test_progress_chart_is_a_png_with_the_summary(world: World) -> None:
    import struct

    await _fixture(world)
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    await olga.send("/status")
    summary = await olga.expect_reply("Всего")
    await olga.press("📈", summary)
    photo = await olga.expect_reply("Всего")
    file = await world.app.bot.get_file(photo.raw["photo"][-1]["file_id"])
    data = (await world.app.bot.download_file(file.file_path)).read()  # type: ignore[union-attr, arg-type]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 800 and height >= 300


def test_at_most_25_bars_the_rest_summed() -> None:
    from reports.chart import Bar, limit_bars

    bars = [Bar(f"ОО № {i}", 1, 1, 1, 1) for i in range(40)]
    shown = limit_bars(bars)
    assert len(shown) == 25 and shown[-1].label == "остальные (16)" and shown[-1].accepted == 16


async def test_in_a_group_the_bot_keeps_personal_answers_to_itself(world: World) -> None:
    await _fixture(world)
    olga = await world.person("Ольга")
    await olga.send(f"/start {await world.invite(Role.COORDINATOR)}")
    await olga.expect_reply("координатор")
    group = await world.client.add_group("РМО заместителей директоров", [olga], added_by=olga)
    await olga.expect_reply("отправьте /link", chat_id=group)
    for command in ("/overdue", "/my", "/review", "/report"):
        await olga.send(command, chat_id=group)
    await olga.expect_silence(chat_id=group, wait=1.0)
    await olga.send("/status", chat_id=group)  # an unlinked group gets no numbers at all
    assert "Всего" not in (await olga.expect_reply("не привязана", chat_id=group)).text
    await olga.send("/help", chat_id=group)
    await olga.expect_reply("в личном чате", chat_id=group)
    await olga.send("/status")  # the same person in private gets the answer
    await olga.expect_reply("Всего")


async def test_a_road_map_is_summed_by_its_stages(world: World, tmp_path) -> None:
    """Seed 001 has stages and no directions: /status and the XLSX summary sum it by stage in
    the plan's order (as the Word report does), not one "Без направления" line; its drill-down
    button says "этапы" and opens the plan's schools."""
    from tests.e2e.test_curator_flows import _setup

    _, olga, _ = await _setup(world)
    await olga.send("/status")
    summary = await olga.expect_reply("Всего")
    lines = summary.text.splitlines()
    stages = [line.split(" — ")[0] for line in lines if "этап." in line]
    assert stages == [
        "I этап. Организационно-подготовительный",
        "II этап. Деятельностный",
        "III этап. Рефлексивный",
    ]
    assert "Без направления" not in summary.text
    assert summary.buttons[:2] == ["📈", "🏫 Школы — все этапы"]

    out = tmp_path / "report.xlsx"
    await world.cli("report", "1", "--out", str(out))
    book = openpyxl.load_workbook(out, read_only=True)
    rows = [r for r in book["Сводка"].iter_rows(values_only=True) if r and r[0]]
    head = next(r for r in rows if r[0] == "Этап")
    body = rows[rows.index(head) + 1 :]
    assert [r[0] for r in body] == [*stages, "Итого"]
    assert sum(r[1] for r in body[:-1]) == body[-1][1] > 0

    await olga.press("🏫 Школы — все этапы", summary)
    schools = await olga.expect_reply()
    assert "1. МАОУ «СОШ № 21 г. Челябинска»" in schools.text


def test_status_buttons_name_their_plan_when_there_are_several() -> None:
    from bot.texts import status_buttons

    labels = status_buttons("Сетевой план", [(1, "I"), (2, "II"), (None, "")], None, True)
    assert [t for _, t in labels] == ["Сетевой план: I", "Сетевой план: II",
                                      "Сетевой план: Без направления"]  # fmt: skip
    alone = status_buttons("План школы", [(None, "")], "разделы", True)
    assert alone == [(None, "🏫 План школы: школы — все разделы")]
